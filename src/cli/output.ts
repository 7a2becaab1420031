import { formatCitation } from '../legal/index.js';
import type { SearchResponse } from '../app/index.js';
import type { SearchHit } from '../search/index.js';

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };

/** Renders a snippet's `<mark>` for a terminal: bold yellow on a TTY, 【】 otherwise. */
export function terminalSnippet(html: string, color: boolean): string {
  const open = color ? '\x1b[1;33m' : '【';
  const close = color ? '\x1b[0m' : '】';
  return html
    .replace(/<mark>/g, open)
    .replace(/<\/mark>/g, close)
    .replace(/&(amp|lt|gt|quot|#39);/g, (e) => ENTITIES[e] ?? e);
}

/** `대법원 1993. 5. 25. 선고 92다41054` style header of a hit. */
export const citationLine = (h: Pick<SearchHit, 'court' | 'decision_date' | 'case_number'>): string => formatCitation(h);

/** The human-readable result list of `alaw search`. */
export function formatSearch(r: SearchResponse, color: boolean): string {
  const bold = (s: string): string => (color ? `\x1b[1m${s}\x1b[0m` : s);
  const dim = (s: string): string => (color ? `\x1b[2m${s}\x1b[0m` : s);
  const lines: string[] = [];
  const count = `${r.total_relation === 'gte' && r.total > 0 ? '최소 ' : ''}${r.total.toLocaleString('ko-KR')}건`;
  const mode = r.mode === 'similar' ? '유사 판례 검색' : '모든 낱말 포함';
  lines.push(
    `${bold(`"${r.query.length > 60 ? r.query.slice(0, 60) + '…' : r.query}"`)} — ${count} (${mode}${r.relaxed ? ', 일부 일치로 완화' : ''}, ${r.took_ms} ms)`,
  );
  for (const n of r.notices) lines.push(dim(`※ ${n}`));
  if (r.hits.length === 0) {
    if (r.notices.length === 0) lines.push('검색 결과가 없습니다. 낱말을 줄이거나 다른 표현으로 검색해 보세요.');
    return lines.join('\n');
  }
  r.hits.forEach((h, i) => {
    const n = (r.page - 1) * r.size + i + 1;
    const tag = h.match === 'case_number' ? ' [사건번호 일치]' : '';
    lines.push('');
    lines.push(`${n}. ${bold(citationLine(h))} ${h.case_name}${tag}`);
    // A decision named by its case number is first because of the number, not a text score.
    const score = h.match === 'case_number' && h.score === 0 ? '' : ` · 점수 ${h.score}`;
    lines.push(dim(`   ${h.case_type} · ${h.court_level}${score} · id ${h.id}`));
    if (h.snippet) lines.push(`   ${terminalSnippet(h.snippet, color)}`);
  });
  if (r.total_pages && r.page < r.total_pages) lines.push('', dim(`다음 페이지: --page ${r.page + 1} (전체 ${r.total_pages}페이지)`));
  return lines.join('\n');
}
