import { CASE_TYPES } from '../corpus/index.js';
import { AlawError } from '../errors.js';
import { COURT_LEVELS, isCourtLevel, normalizeCourtName, type CourtLevel } from '../legal/index.js';
import type { SearcherSettings } from './params.js';
import type { RequestedMode } from './queryPlan.js';

export type SortOrder = 'relevance' | 'date' | 'date_asc';

/** A validated search request. */
export interface SearchRequest {
  q: string;
  page: number;
  size: number;
  sort: SortOrder;
  mode: RequestedMode;
  courts: string[];
  courtLevels: CourtLevel[];
  caseTypes: string[];
  /** yyyymmdd bounds, inclusive; 0 when open. */
  dateFrom: number;
  dateTo: number;
  /** Include highlighted snippets (default true). */
  snippets: boolean;
}

/** Raw parameters as they arrive from HTTP (query string or JSON body) or the CLI. */
export interface RawSearchParams {
  q?: unknown;
  page?: unknown;
  size?: unknown;
  sort?: unknown;
  mode?: unknown;
  court?: unknown;
  court_level?: unknown;
  case_type?: unknown;
  date_from?: unknown;
  date_to?: unknown;
  snippets?: unknown;
}

const bad = (code: string, message: string, details?: Record<string, unknown>): AlawError => new AlawError(code, 400, message, details);

/** A parameter value as text: strings as they are, numbers and booleans printed, anything else as JSON. */
const text = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v));

function list(v: unknown): string[] {
  if (v === undefined || v === null || v === '') return [];
  const items = Array.isArray(v) ? v : [v];
  return items
    .flatMap((x) => text(x).split(','))
    .map((x) => x.trim())
    .filter(Boolean);
}

function integer(v: unknown, fallback: number, code: string, name: string, min: number, max: number): number {
  if (v === undefined || v === null || v === '') return fallback;
  const n = typeof v === 'number' ? v : /^\s*-?\d+\s*$/u.test(text(v)) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw bad(code, `${name}는 ${min} 이상 ${max} 이하의 정수여야 합니다 (받은 값: ${JSON.stringify(v)}).`, { parameter: name, min, max });
  }
  return n;
}

/** true/false, 1/0, yes/no (any case); anything else is a 400. */
function flag(v: unknown, fallback: boolean, name: string): boolean {
  if (v === undefined || v === null || v === '') return fallback;
  if (typeof v === 'boolean') return v;
  const s = text(v).trim().toLowerCase();
  if (['true', '1', 'yes'].includes(s)) return true;
  if (['false', '0', 'no'].includes(s)) return false;
  throw bad('ALAW_ERR_SEARCH_FILTER_INVALID', `${name}는 true 또는 false여야 합니다 (받은 값: ${JSON.stringify(v)}).`, { parameter: name });
}

/**
 * Parses a date bound: `YYYY`, `YYYY-MM` or `YYYY-MM-DD` (also with dots and
 * spaces as courts write them, `2010. 3. 15.`, or as `20100315`).
 * A partial date covers its whole year or month: from=2010 is 2010-01-01,
 * to=2010 is 2010-12-31.
 */
export function parseDateBound(v: unknown, name: 'date_from' | 'date_to'): number {
  if (v === undefined || v === null || v === '') return 0;
  // 2010-03-15, 2010.3.15, 2010. 3. 15. (as courts write dates), 20100315
  const s = text(v)
    .trim()
    .replace(/^(\d{4})(\d{2})(\d{2})$/u, '$1-$2-$3');
  const m = /^(\d{4})(?:\s*[-.]\s*(\d{1,2})(?:\s*[-.]\s*(\d{1,2}))?)?\s*\.?$/u.exec(s);
  const fail = (): never => {
    throw bad(
      'ALAW_ERR_SEARCH_DATE_INVALID',
      `${name}의 날짜 형식이 올바르지 않습니다 (받은 값: ${JSON.stringify(v)}). 예: 2010, 2010-03, 2010-03-15, 2010. 3. 15.`,
      { parameter: name },
    );
  };
  if (!m) return fail();
  const year = Number(m[1]);
  const from = name === 'date_from';
  const month = m[2] ? Number(m[2]) : from ? 1 : 12;
  if (year < 1000 || month < 1 || month > 12) return fail();
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const day = m[3] ? Number(m[3]) : from ? 1 : lastDay;
  if (day < 1 || day > lastDay) return fail();
  return year * 10000 + month * 100 + day;
}

/**
 * Validates raw search parameters. Every problem is a 400 with a stable code
 * and a Korean message naming the parameter and the accepted values.
 */
export function parseSearchRequest(raw: RawSearchParams, s: SearcherSettings): SearchRequest {
  const qRaw = raw.q;
  if (qRaw !== undefined && qRaw !== null && typeof qRaw !== 'string') {
    throw bad('ALAW_ERR_SEARCH_QUERY_INVALID', '검색어(q)는 문자열이어야 합니다.', { parameter: 'q' });
  }
  const q = (qRaw ?? '').trim();
  if (q === '') throw bad('ALAW_ERR_SEARCH_QUERY_EMPTY', '검색어(q)를 입력해 주세요.', { parameter: 'q' });
  if (q.length > s.maxQueryChars) {
    throw bad(
      'ALAW_ERR_SEARCH_QUERY_TOO_LONG',
      `검색어가 너무 깁니다 (${q.length.toLocaleString('ko-KR')}자). ${s.maxQueryChars.toLocaleString('ko-KR')}자 이하로 줄여 주세요.`,
      {
        parameter: 'q',
        length: q.length,
        max: s.maxQueryChars,
      },
    );
  }
  if (!/[\p{L}\p{N}]/u.test(q)) {
    throw bad('ALAW_ERR_SEARCH_QUERY_EMPTY', '검색어에 글자나 숫자가 없습니다. 찾을 낱말을 입력해 주세요.', { parameter: 'q' });
  }
  const size = integer(raw.size, s.defaultPageSize, 'ALAW_ERR_SEARCH_SIZE_INVALID', 'size', 1, s.maxPageSize);
  const page = integer(raw.page, 1, 'ALAW_ERR_SEARCH_PAGE_INVALID', 'page', 1, 1_000_000);
  if (page * size > s.maxResultWindow) {
    throw bad(
      'ALAW_ERR_SEARCH_PAGE_OUT_OF_RANGE',
      `검색 결과는 앞에서부터 ${s.maxResultWindow.toLocaleString('ko-KR')}건까지만 볼 수 있습니다 (요청: ${page}페이지 × ${size}건). 검색어나 필터로 범위를 좁혀 주세요.`,
      { page, size, max_result_window: s.maxResultWindow, last_page: Math.floor(s.maxResultWindow / size) },
    );
  }
  const sort = (raw.sort ?? 'relevance') as SortOrder;
  if (!['relevance', 'date', 'date_asc'].includes(sort)) {
    throw bad(
      'ALAW_ERR_SEARCH_SORT_INVALID',
      `sort는 relevance(관련도), date(최신순), date_asc(오래된순) 중 하나여야 합니다 (받은 값: ${JSON.stringify(raw.sort)}).`,
      { parameter: 'sort' },
    );
  }
  const mode = (raw.mode ?? 'auto') as RequestedMode;
  if (!['auto', 'all', 'similar'].includes(mode)) {
    throw bad(
      'ALAW_ERR_SEARCH_MODE_INVALID',
      `mode는 auto, all(모든 낱말 포함), similar(유사 판례) 중 하나여야 합니다 (받은 값: ${JSON.stringify(raw.mode)}).`,
      { parameter: 'mode' },
    );
  }
  const caseTypes = list(raw.case_type);
  for (const t of caseTypes) {
    if (!(CASE_TYPES as readonly string[]).includes(t)) {
      throw bad('ALAW_ERR_SEARCH_CASE_TYPE_INVALID', `case_type은 ${CASE_TYPES.join(', ')} 중에서 골라 주세요 (받은 값: ${JSON.stringify(t)}).`, {
        parameter: 'case_type',
        allowed: CASE_TYPES,
      });
    }
  }
  const courtLevels = list(raw.court_level);
  for (const l of courtLevels) {
    if (!isCourtLevel(l)) {
      throw bad('ALAW_ERR_SEARCH_COURT_LEVEL_INVALID', `court_level은 ${COURT_LEVELS.join(', ')} 중에서 골라 주세요 (받은 값: ${JSON.stringify(l)}).`, {
        parameter: 'court_level',
        allowed: COURT_LEVELS,
      });
    }
  }
  const dateFrom = parseDateBound(raw.date_from, 'date_from');
  const dateTo = parseDateBound(raw.date_to, 'date_to');
  if (dateFrom && dateTo && dateFrom > dateTo) {
    throw bad('ALAW_ERR_SEARCH_DATE_RANGE', `date_from(${String(raw.date_from)})이 date_to(${String(raw.date_to)})보다 늦습니다.`, { parameter: 'date_from' });
  }
  const snippets = flag(raw.snippets, true, 'snippets');
  return {
    q,
    page,
    size,
    sort,
    mode,
    courts: list(raw.court).map(normalizeCourtName),
    courtLevels: courtLevels as CourtLevel[],
    caseTypes,
    dateFrom,
    dateTo,
    snippets,
  };
}
