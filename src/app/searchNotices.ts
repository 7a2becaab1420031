import { formatCitation, formatKoreanDate } from '../legal/index.js';
import type { SearchNotice, SearchResult } from '../search/index.js';

/** The search response of the API and `alaw search --json`: the engine's result with its notices in Korean. */
export interface SearchResponse extends Omit<SearchResult, 'notices'> {
  /** Things the person who searched should know about how the query was run (Korean). */
  notices: string[];
}

/** One notice as the person who searched reads it. */
export function noticeText(n: SearchNotice): string {
  switch (n.kind) {
    case 'case_number_not_found':
      return `사건번호 ${n.caseNumber}에 해당하는 판례가 ${n.filtered ? '이 조건으로는 ' : ''}없습니다.`;
    case 'citation_mismatch': {
      const cited = [n.citedCourt, formatKoreanDate(n.citedDate)].filter(Boolean).join(' ');
      return `인용한 ${cited} ${n.caseNumber} 판례는 없고, 같은 사건번호의 ${formatCitation(n.found)} 판례${n.shown ? '를 보여 줍니다' : '가 있습니다 (이 조건에서는 제외됨)'}. 인용의 법원·선고일을 확인하세요.`;
    }
    case 'words_not_in_corpus':
      return `판례에 나오지 않는 낱말이 있습니다: ${n.words.join(', ')}`;
    case 'no_match':
      return n.filtered ? '이 조건에 맞는 판례가 없습니다. 법원·사건 종류·선고일 조건을 넓혀 보세요.' : '검색어와 일치하는 판례가 없습니다.';
    case 'relaxed':
      return `${n.filtered ? '이 조건에서 ' : ''}모든 낱말을 포함한 판례가 없어, 일부 낱말만 일치하는 판례를 ${n.byDate ? '선고일순' : '관련도순'}으로 보여 줍니다.`;
    case 'long_query':
      return `긴 검색어여서 그중 가장 특징적인 표현 ${n.usedTerms}개로 유사 판례를 찾았습니다.`;
  }
}

/** The engine's result as the API answers it. */
export function searchResponse(r: SearchResult): SearchResponse {
  return { ...r, notices: r.notices.map(noticeText) };
}
