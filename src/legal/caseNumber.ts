import { CASE_CODES, caseCategoryOf, isCaseCode, type CaseCategory } from './caseCodes.js';

/** A parsed case number (사건번호), e.g. `2016다276177`. */
export interface CaseNumber {
  /** Year as written: two digits (before 2000), four digits, or a 단기 year (42xx). */
  year: string;
  /** Case-type code (다, 가합, 도 …). */
  code: string;
  /** Serial number as written, without leading zeros. */
  serial: string;
  /** Canonical form: year + code + serial, no spaces (`2016다276177`). */
  normalized: string;
  category: CaseCategory;
}

export interface CaseNumberMatch {
  /** Offsets into the scanned string. */
  start: number;
  end: number;
  /** The first number and any joined ones (`2009다78863, 78870` gives two). */
  numbers: CaseNumber[];
}

const CODE_ALT = CASE_CODES.join('|');
// Year: 4 digits (19xx, 20xx, 단기 42xx) or 2 digits, not glued to a preceding digit.
const YEAR = '(?<![0-9])((?:19|20|42)[0-9]{2}|[0-9]{2})';
const SERIAL = '([0-9]{1,7})(?![0-9])';
// Parenthesised roles after a number: (본소), (반소), (병합), (참가) …
const ROLE = '(?:\\s*\\((?:본소|반소|병합|참가|독립당사자참가|승계참가)\\))?';

// A joined serial after a comma (`2009다78863, 78870`), but not the year of the next case number
// in a list (`92다41054, 93다42016`: 93 is followed by a case code and a digit).
const JOINED = `((?:\\s*,\\s*[0-9]{1,7}(?![0-9])(?!\\s*(?:${CODE_ALT})\\s*[0-9])${ROLE})*)`;
/** Case numbers written tightly (as in decisions): `2016다276177`. */
const TIGHT = new RegExp(`${YEAR}(${CODE_ALT})${SERIAL}${ROLE}${JOINED}`, 'gu');
/** Case numbers as people type them: `2016 다 276177`. */
const LOOSE = new RegExp(`${YEAR}\\s*(${CODE_ALT})\\s*${SERIAL}${ROLE}${JOINED}`, 'gu');

function make(year: string, code: string, serial: string): CaseNumber | null {
  const category = caseCategoryOf(code);
  if (category === undefined) return null;
  const s = serial.replace(/^0+(?=\d)/, '');
  return { year, code, serial: s, normalized: `${year}${code}${s}`, category };
}

/**
 * Finds case numbers in free text. `loose` allows spaces between year, code
 * and serial (for user queries); decisions write them tightly. Joined numbers
 * (`2009다78863, 78870`) are returned as one match with several numbers.
 */
export function findCaseNumbers(text: string, options: { loose?: boolean } = {}): CaseNumberMatch[] {
  const re = options.loose ? LOOSE : TIGHT;
  re.lastIndex = 0;
  const out: CaseNumberMatch[] = [];
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const [, year, code, serial, joined] = m;
    const first = make(year!, code!, serial!);
    if (!first) continue;
    const numbers = [first];
    if (joined) {
      for (const extra of joined.matchAll(/[0-9]{1,7}(?![0-9])/gu)) {
        const n = make(year!, code!, extra[0]);
        if (n) numbers.push(n);
      }
    }
    out.push({ start: m.index, end: m.index + m[0].length, numbers });
  }
  return out;
}

/**
 * Parses a string that should be exactly one case number (possibly with joined
 * numbers), tolerating spaces, a court prefix such as `(제주)` and role
 * suffixes. Returns null when the string is not a case number.
 */
export function parseCaseNumber(text: string): CaseNumber[] | null {
  const trimmed = text
    .normalize('NFKC')
    .trim()
    .replace(/^\([^)]*\)\s*/u, '');
  const matches = findCaseNumbers(trimmed, { loose: true });
  if (matches.length !== 1) return null;
  const m = matches[0]!;
  if (m.start !== 0 || trimmed.slice(m.end).trim() !== '') return null;
  return m.numbers;
}

/**
 * Lookup keys for a case number as stored in a record. Besides the canonical
 * number, it recovers the numbers of merged strings produced by the corpus
 * crawler, which dropped commas: `2009다7886378870` is `2009다78863, 78870`,
 * `2009도60612009전도13` is `2009도6061` and `2009전도13`. Keys never contain
 * spaces, so `normalizeCaseNumberKey` of user input can be looked up directly.
 */
export function caseNumberKeys(raw: string): string[] {
  const keys = new Set<string>();
  const compact = normalizeCaseNumberKey(raw);
  if (compact) keys.add(compact);
  const body = compact.replace(/^\([^)]*\)/u, '');
  if (body) keys.add(body);
  // Drop role annotations: 90가합33955(본소) → 90가합33955
  const plain = body.replace(/\([^)]*\)/gu, '');
  for (const n of splitMerged(plain)) keys.add(n);
  return [...keys];
}

/** Canonical lookup form of user input: NFKC, no whitespace, no commas. */
export function normalizeCaseNumberKey(raw: string): string {
  return raw.normalize('NFKC').replace(/[\s,]+/gu, '');
}

/**
 * Splits a compact, comma-less string of one or more case numbers into the
 * numbers it most likely holds. Pure; see {@link caseNumberKeys}.
 */
function splitMerged(s: string): string[] {
  const out: string[] = [];
  // Segments: alternating digit runs and Hangul runs, anything else ends parsing.
  const segs = s.match(/[0-9]+|[가-힣]+|[^0-9가-힣]+/gu) ?? [];
  let i = 0;
  let year = '';
  let code = '';
  while (i < segs.length) {
    const seg = segs[i]!;
    if (/^[0-9]+$/u.test(seg) && i + 1 < segs.length && isCaseCode(segs[i + 1]!) && year === '') {
      year = seg;
      code = segs[i + 1]!;
      i += 2;
      continue;
    }
    if (/^[0-9]+$/u.test(seg) && year !== '') {
      const next = segs[i + 1];
      if (next !== undefined && isCaseCode(next) && seg.length > year.length) {
        // serial glued to the next number's year: 6061|2009 전도 13
        const cut = seg.length - year.length;
        push(out, year, code, seg.slice(0, cut));
        year = seg.slice(cut);
        code = next;
        i += 2;
        continue;
      }
      push(out, year, code, seg);
      // Comma-less joined serials of equal length: 78863|78870
      if (seg.length >= 6 && seg.length % 2 === 0) {
        const a = seg.slice(0, seg.length / 2);
        const b = seg.slice(seg.length / 2);
        if (Number(b) > Number(a) && !a.startsWith('0') && !b.startsWith('0')) {
          push(out, year, code, a);
          push(out, year, code, b);
        }
      }
      year = '';
      code = '';
      i += 1;
      continue;
    }
    // A Hangul run without a year: a code continuing the previous year (86나합1649 handled by isCaseCode); skip others.
    i += 1;
  }
  return out;
}

function push(out: string[], year: string, code: string, serial: string): void {
  const n = make(year, code, serial);
  if (n) out.push(n.normalized);
}
