import { CATALOG } from './catalog.js';
import type { Surface } from './spec.js';

const SURFACE_NAMES: Record<Surface, string> = {
  api: 'API',
  cli: '`alaw`',
  task: '작업 기록',
  import: '가져오기',
  startup: '서버 시작',
  narrative: '분석 서술',
  edge: 'nginx',
};

/** Markers around the generated table in docs/API.md. */
export const TABLE_BEGIN = '<!-- error-table:begin (generated from src/errors/catalog.ts by `npm run docs:errors`; do not edit by hand) -->';
export const TABLE_END = '<!-- error-table:end -->';

/** The error table of docs/API.md, one row per catalog entry, in catalog order. */
export function renderErrorTable(): string {
  const rows = CATALOG.map((s) => {
    const where = s.surfaces.map((x) => SURFACE_NAMES[x]).join(', ');
    const exit = s.surfaces.includes('cli') ? String(s.exit) : '—';
    return `| \`${s.code}\` | ${s.status} | ${exit} | ${where} | ${s.description.replace(/\|/g, '\\|')} |`;
  });
  return [TABLE_BEGIN, '', '| 코드 | HTTP | `alaw` 종료 코드 | 나타나는 곳 | 언제 |', '| --- | ---: | ---: | --- | --- |', ...rows, '', TABLE_END].join('\n');
}

/** `text` (docs/API.md) with the part between the markers replaced by the current table; null when the markers are missing. */
export function withErrorTable(text: string): string | null {
  const begin = text.indexOf(TABLE_BEGIN);
  const end = text.indexOf(TABLE_END);
  if (begin < 0 || end < begin) return null;
  return text.slice(0, begin) + renderErrorTable() + text.slice(end + TABLE_END.length);
}
