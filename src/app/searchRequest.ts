import { CASE_TYPES } from '../corpus/index.js';
import { E, type ErrorSpec } from '../errors/index.js';
import { COURT_LEVELS, isCourtLevel, normalizeCourtName, type CourtLevel } from '../legal/index.js';
import type { RequestedMode, SearchEngine, SearcherSettings, SearchRequest, SortOrder } from '../search/index.js';
import { searchResponse, type SearchResponse } from './searchNotices.js';

/*
 * What people send to search (query strings, JSON bodies, `alaw search` options) turned into the
 * engine's typed SearchRequest. It lives here, shared by HTTP and the CLI, not in src/search: the
 * engine takes a validated request and knows nothing of how it was written.
 */

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

/** A parameter value as text: strings as they are, numbers and booleans printed, anything else as JSON. */
const text = (v: unknown): string =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : (JSON.stringify(v) ?? typeof v);

function list(v: unknown): string[] {
  if (v === undefined || v === null || v === '') return [];
  const items = Array.isArray(v) ? v : [v];
  return items
    .flatMap((x) => text(x).split(','))
    .map((x) => x.trim())
    .filter(Boolean);
}

function integer(
  v: unknown,
  fallback: number,
  spec: ErrorSpec<{ name: string; min: number; max: number; value: unknown }>,
  name: string,
  min: number,
  max: number,
): number {
  if (v === undefined || v === null || v === '') return fallback;
  const n = typeof v === 'number' ? v : /^\s*-?\d+\s*$/u.test(text(v)) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw spec.error({ name, min, max, value: v }, { parameter: name, min, max });
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
  throw E.SEARCH_FILTER_INVALID.error({ name, value: v }, { parameter: name });
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
    throw E.SEARCH_DATE_INVALID.error({ name, value: v }, { parameter: name });
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
    throw E.SEARCH_QUERY_INVALID.error({ parameter: 'q' });
  }
  const q = (qRaw ?? '').trim();
  if (q === '') throw E.SEARCH_QUERY_EMPTY.error({ reason: 'missing' }, { parameter: 'q' });
  if (q.length > s.maxQueryChars) {
    throw E.SEARCH_QUERY_TOO_LONG.error(
      { length: q.length, max: s.maxQueryChars },
      {
        parameter: 'q',
        length: q.length,
        max: s.maxQueryChars,
      },
    );
  }
  if (!/[\p{L}\p{N}]/u.test(q)) {
    throw E.SEARCH_QUERY_EMPTY.error({ reason: 'no_letters' }, { parameter: 'q' });
  }
  const size = integer(raw.size, s.defaultPageSize, E.SEARCH_SIZE_INVALID, 'size', 1, s.maxPageSize);
  const page = integer(raw.page, 1, E.SEARCH_PAGE_INVALID, 'page', 1, 1_000_000);
  if (page * size > s.maxResultWindow) {
    throw E.SEARCH_PAGE_OUT_OF_RANGE.error(
      { kind: 'window', window: s.maxResultWindow, page, size },
      { page, size, max_result_window: s.maxResultWindow, last_page: Math.floor(s.maxResultWindow / size) },
    );
  }
  const sort = (raw.sort ?? 'relevance') as SortOrder;
  if (!['relevance', 'date', 'date_asc'].includes(sort)) {
    throw E.SEARCH_SORT_INVALID.error({ value: raw.sort }, { parameter: 'sort' });
  }
  const mode = (raw.mode ?? 'auto') as RequestedMode;
  if (!['auto', 'all', 'similar'].includes(mode)) {
    throw E.SEARCH_MODE_INVALID.error({ value: raw.mode }, { parameter: 'mode' });
  }
  const caseTypes = list(raw.case_type);
  for (const t of caseTypes) {
    if (!(CASE_TYPES as readonly string[]).includes(t)) {
      throw E.SEARCH_CASE_TYPE_INVALID.error(
        { value: t, allowed: CASE_TYPES },
        {
          parameter: 'case_type',
          allowed: CASE_TYPES,
        },
      );
    }
  }
  const courtLevels = list(raw.court_level);
  for (const l of courtLevels) {
    if (!isCourtLevel(l)) {
      throw E.SEARCH_COURT_LEVEL_INVALID.error(
        { value: l, allowed: COURT_LEVELS },
        {
          parameter: 'court_level',
          allowed: COURT_LEVELS,
        },
      );
    }
  }
  const dateFrom = parseDateBound(raw.date_from, 'date_from');
  const dateTo = parseDateBound(raw.date_to, 'date_to');
  if (dateFrom && dateTo && dateFrom > dateTo) {
    throw E.SEARCH_DATE_RANGE.error({ from: text(raw.date_from), to: text(raw.date_to) }, { parameter: 'date_from' });
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

/** Validates what a person sent and runs it on `engine`: the search of the API and `alaw search`. */
export function runSearch(engine: SearchEngine, raw: RawSearchParams): SearchResponse {
  return searchResponse(engine.run(parseSearchRequest(raw, engine.settings)));
}
