import { E, type AlawError } from '../errors/index.js';
import { createHash } from 'node:crypto';
import { caseNumberKeys, normalizeCourtName, parseCaseNumber } from '../legal/index.js';
import { CASE_TYPES, FIELD_LIMITS, type CaseType, type Precedent } from './model.js';

/** Why one input record was rejected: a catalog code (`E.IMPORT_*`) and its Korean message. */
export interface RecordProblem {
  code: string;
  message: string;
}

/** The plain `{ code, message }` of a catalog error, as import reports keep it. */
export const problem = (err: AlawError): RecordProblem => ({ code: err.code, message: err.message });

export type RecordResult = { ok: true; record: Precedent } | { ok: false; problem: RecordProblem };

/** law.go.kr (국가법령정보센터) precedent keys and the field of ours each fills. */
const LAWGO_KEYS = {
  사건번호: 'case_number',
  법원명: 'court',
  선고일자: 'decision_date',
  사건명: 'case_name',
  사건종류명: 'case_type',
  판시사항: 'holdings',
  판결요지: 'summary',
  참조조문: 'statutes',
  참조판례: 'cited_cases',
  판례내용: 'full_text',
} as const;

const CASE_TYPE_ALIASES: Record<string, CaseType> = {
  일반행정: '행정',
  세무: '행정',
  행정: '행정',
  특허: '특허',
  가사: '가사',
  민사: '민사',
  형사: '형사',
  '선거·특별': '기타',
  선거특별: '기타',
  기타: '기타',
};

type FieldProblem = Parameters<typeof E.IMPORT_FIELD.message>[0];
const fieldError = (p: FieldProblem): RecordResult => ({ ok: false, problem: problem(E.IMPORT_FIELD.error(p)) });

/**
 * Parses one line of an import file: our JSONL schema or a law.go.kr-style
 * record with Korean keys. Never throws; a bad record gives a problem with a
 * message that says which field is wrong and why.
 */
export function parseRecordLine(line: string, source: string): RecordResult {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    return { ok: false, problem: problem(E.IMPORT_JSON.error({ reason: (err as Error).message })) };
  }
  return toPrecedent(value, source);
}

/** Year, case code (one to four syllables: 다, 가합, 준재가단) and the first digit of a serial. */
const CASE_NUMBER_SHAPE = /[0-9]{2,4}\s*[가-힣]{1,4}\s*[0-9]/u;

/** Validates and normalizes one decoded record (see {@link parseRecordLine}). */
export function toPrecedent(value: unknown, source: string): RecordResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, problem: problem(E.IMPORT_NOT_OBJECT.error()) };
  }
  const obj = value as Record<string, unknown>;
  let fields: Record<string, unknown>;
  let lawgo = false;
  if ('case_number' in obj) fields = obj;
  else if ('사건번호' in obj) {
    lawgo = true;
    fields = {};
    for (const [ko, en] of Object.entries(LAWGO_KEYS)) if (ko in obj) fields[en] = obj[ko];
    if ('판례일련번호' in obj)
      fields.id =
        obj['판례일련번호'] == null
          ? undefined
          : `lawgo-${typeof obj['판례일련번호'] === 'string' ? obj['판례일련번호'] : JSON.stringify(obj['판례일련번호'])}`;
    if (!('source' in fields)) fields.source = 'law.go.kr';
  } else {
    return { ok: false, problem: problem(E.IMPORT_UNKNOWN_FORMAT.error()) };
  }

  const text = (key: keyof typeof FIELD_LIMITS, required: boolean): string | null | RecordResult => {
    const v = fields[key];
    if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) {
      return required ? fieldError({ problem: 'required', field: key }) : null;
    }
    if (typeof v !== 'string' && !(key === 'id' && typeof v === 'number')) {
      return fieldError({ problem: 'not_text', field: key, type: Array.isArray(v) ? 'array' : typeof v });
    }
    let s = String(v);
    if (lawgo) s = stripHtml(s);
    s = s.trim();
    if (s.length > FIELD_LIMITS[key]) return fieldError({ problem: 'too_long', field: key, max: FIELD_LIMITS[key], length: s.length });
    return s;
  };

  const out: Partial<Precedent> = {};
  for (const key of ['case_number', 'court'] as const) {
    const v = text(key, true);
    if (typeof v === 'object' && v !== null) return v;
    out[key] = v as string;
  }
  for (const key of ['case_name', 'holdings', 'summary', 'statutes', 'cited_cases', 'full_text', 'source', 'id'] as const) {
    const v = text(key, false);
    if (typeof v === 'object' && v !== null) return v;
    (out as Record<string, unknown>)[key] = v;
  }
  if (!out.full_text && !out.holdings && !out.summary) {
    return fieldError({ problem: 'no_text' });
  }
  // A year, a case code and a serial somewhere (`2016다276177`, `(제주)2014나1166`, merged
  // crawler strings such as `2009다7886378870`); not `선고` or `30.자` left by a broken scrape,
  // which no one could look up or cite.
  // Ids derived from the case number use it as written, so records imported before it was
  // normalized keep their ids (a re-import updates them instead of adding a second row).
  const caseNumberAsWritten = out.case_number!;
  out.case_number = caseNumberAsWritten.normalize('NFKC');
  if (out.case_number.length > FIELD_LIMITS.case_number) {
    return fieldError({ problem: 'too_long', field: 'case_number', max: FIELD_LIMITS.case_number, length: out.case_number.length });
  }
  if (!CASE_NUMBER_SHAPE.test(out.case_number)) {
    return fieldError({ problem: 'case_number', value: JSON.stringify(out.case_number).slice(0, 60) });
  }
  out.court = normalizeCourtName(out.court!);
  out.case_name ??= '';
  out.full_text ??= '';
  if (out.id != null && !/^[A-Za-z0-9._:-]{1,100}$/.test(out.id)) {
    return fieldError({ problem: 'id', value: JSON.stringify(out.id).slice(0, 60) });
  }

  const date = parseDecisionDate(fields.decision_date);
  if (date === undefined) {
    return fieldError({ problem: 'date', value: JSON.stringify(fields.decision_date) ?? String(fields.decision_date) });
  }
  out.decision_date = date;

  const type = resolveCaseType(fields.case_type, out.case_number);
  if (type === undefined) {
    return fieldError({ problem: 'case_type', value: JSON.stringify(fields.case_type) ?? String(fields.case_type), allowed: CASE_TYPES });
  }
  out.case_type = type;
  out.id ??= derivedId(out.court, caseNumberAsWritten, out.decision_date);
  out.source ??= source;
  return { ok: true, record: out as Precedent };
}

/** `kr-` + 16 hex of sha1(court|case_number|date): stable across imports of the same decision. */
export function derivedId(court: string, caseNumber: string, date: string | null): string {
  return (
    'kr-' +
    createHash('sha1')
      .update(`${court}|${caseNumber}|${date ?? ''}`)
      .digest('hex')
      .slice(0, 16)
  );
}

/**
 * Accepts `2019-05-30`, `20190530`, `2019.05.30`, `2019. 5. 30.` and null.
 * Returns the ISO date, null for "no date", undefined when the value is invalid.
 */
export function parseDecisionDate(v: unknown): string | null | undefined {
  if (v === undefined || v === null || v === '') return null;
  const s = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : undefined;
  if (s === undefined) return undefined;
  const m = /^(\d{4})(?:-(\d{1,2})-(\d{1,2})|(\d{2})(\d{2})|\s*\.\s*(\d{1,2})\s*\.\s*(\d{1,2})\s*\.?)$/u.exec(s);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2] ?? m[4] ?? m[6]);
  const day = Number(m[3] ?? m[5] ?? m[7]);
  const d = new Date(Date.UTC(year, month - 1, day));
  if (year < 1900 || year > 2100 || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return undefined;
  return `${m[1]}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

function resolveCaseType(v: unknown, caseNumber: string): CaseType | undefined {
  if (typeof v === 'string' && v.trim() !== '') return CASE_TYPE_ALIASES[v.trim().replace(/\s+/g, '')];
  if (v !== undefined && v !== null && v !== '') return undefined;
  const parsed = parseCaseNumber(caseNumber);
  const cat = parsed?.[0]?.category;
  if (cat === '민사' || cat === '형사' || cat === '행정' || cat === '가사' || cat === '특허') return cat;
  return '기타';
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** law.go.kr text carries `<br/>` and entities; turn them into plain text. */
function stripHtml(s: string): string {
  return s
    .replace(/<br\s*\/?>/giu, '\n')
    .replace(/<[^>]{0,200}>/gu, '')
    .replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/giu, (all, e: string) => {
      if (e[0] === '#') {
        const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
        return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : all;
      }
      return ENTITIES[e.toLowerCase()] ?? all;
    })
    .replace(/[ \t]+\n/gu, '\n');
}

/** Lookup keys (see legal/caseNumberKeys) for a stored record. */
export function recordCaseKeys(p: Pick<Precedent, 'case_number'>): string[] {
  return caseNumberKeys(p.case_number);
}

/**
 * Content fingerprint used to make re-imports of unchanged records no-ops.
 * `source` is left out: it is where a record came from (often just the path
 * of the imported file), not what the decision says, so the same decisions
 * imported from another path or from stdin are unchanged.
 */
export function contentHash(p: Precedent): string {
  const canonical = JSON.stringify([
    p.case_number,
    p.court,
    p.decision_date,
    p.case_name,
    p.case_type,
    p.holdings,
    p.summary,
    p.statutes,
    p.cited_cases,
    p.full_text,
  ]);
  return createHash('sha1').update(canonical).digest('hex');
}
