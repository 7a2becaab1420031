/**
 * Case-type codes (사건별 부호문자) that appear in Korean case numbers, with the
 * category each belongs to. The table is what makes case-number detection
 * precise: a year + Hangul + digits sequence is only a case number when the
 * Hangul part is a known code. Sources: 법원 사건별 부호문자에 관한 예규, plus
 * the pre-1961 (단기) codes that occur in our corpus (민상, 형상 …).
 */
export type CaseCategory = '민사' | '형사' | '행정' | '가사' | '특허' | '헌법' | '기타';

const CODES: Record<CaseCategory, readonly string[]> = {
  민사: [
    '가합',
    '가단',
    '가소',
    '나',
    '다',
    '라',
    '마',
    '그',
    '바',
    '머',
    '카',
    '카합',
    '카단',
    '카기',
    '카공',
    '카담',
    '카명',
    '카조',
    '카구',
    '카열',
    '카정',
    '카경',
    '카소',
    '카확',
    '카임',
    '카불',
    '카허',
    '타경',
    '타기',
    '타채',
    '타인',
    '타',
    '차',
    '차전',
    '자',
    '재가합',
    '재가단',
    '재나',
    '재다',
    '재라',
    '재마',
    '재그',
    '재자',
    '준재다',
    '준재가단',
    '준재나',
    '다카',
    '마카',
    '재다카',
    '나합',
    '사',
    '민상',
    '민공',
    '민재',
    '민재항',
    '민항',
    '민준재',
    '민',
    '소',
    '가',
    '인라',
    '어',
    '회합',
    '회단',
    '하합',
    '하단',
    '하면',
    '간회합',
    '간회단',
    '개회',
    '개확',
    '회기',
    '하기',
  ],
  형사: [
    '고합',
    '고단',
    '고정',
    '고약',
    '고약전',
    '노',
    '도',
    '로',
    '모',
    '오',
    '보',
    '초',
    '초기',
    '초적',
    '초보',
    '초재',
    '코',
    '감고',
    '감노',
    '감도',
    '재고합',
    '재고단',
    '재노',
    '재도',
    '전고',
    '전노',
    '전도',
    '전로',
    '전모',
    '전초',
    '동고',
    '동노',
    '동도',
    '형상',
    '형공',
    '형재',
    '형재항',
    '형비상',
    '형비',
    '형항',
    '노형공',
    '노합',
    '정로',
    '토',
    '파',
    '이',
  ],
  행정: ['구합', '구단', '구', '누', '두', '루', '무', '부', '아', '행상', '재누', '재두', '재구합'],
  가사: ['드합', '드단', '드', '르', '므', '브', '스', '느합', '느단', '으', '즈합', '즈단', '즈기', '호파'],
  특허: ['허', '후', '흐', '재허', '재후'],
  헌법: ['헌가', '헌바', '헌마', '헌라', '헌사', '헌아'],
  기타: ['수', '수호', '주', '추', '과', '정', '크'],
};

const CATEGORY_OF: ReadonlyMap<string, CaseCategory> = (() => {
  const m = new Map<string, CaseCategory>();
  for (const [cat, codes] of Object.entries(CODES) as [CaseCategory, readonly string[]][]) {
    for (const c of codes) if (!m.has(c)) m.set(c, cat);
  }
  return m;
})();

/** Every known code, longest first (the order a regex alternation needs). */
export const CASE_CODES: readonly string[] = [...CATEGORY_OF.keys()].sort((a, b) => b.length - a.length || a.localeCompare(b));

/** True when `code` is a known case-type code. */
export function isCaseCode(code: string): boolean {
  return CATEGORY_OF.has(code);
}

/** The category (민사, 형사 …) a case code belongs to, or undefined for unknown codes. */
export function caseCategoryOf(code: string): CaseCategory | undefined {
  return CATEGORY_OF.get(code);
}
