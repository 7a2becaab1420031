import { CASE_CODES } from './caseCodes.js';
import { findCaseNumbers, type CaseNumber } from './caseNumber.js';
import { normalizeCourtName } from './court.js';

/** A full citation: `대법원 2019. 5. 30. 선고 2016다276177 판결`. */
export interface Citation {
  start: number;
  end: number;
  /** Normalized court name; null when the citation says 당원/본원 (this court) or omits it. */
  court: string | null;
  /** ISO date (YYYY-MM-DD) or null when the text gives none or only part of it. */
  date: string | null;
  numbers: CaseNumber[];
  /** 판결 (judgment), 결정 (decision) or 명령 (order). */
  kind: '판결' | '결정' | '명령';
  enBanc: boolean;
}

const COURT = '(대법원|헌법재판소|당원|본원|[가-힣]+(?:고등|지방|가정|행정|특허|회생)법원(?:\\s*[가-힣]+지원)?|[가-힣]+(?:고법|지법)(?:\\s*[가-힣]+지원)?)';
const DATE = '(?:((?:19|20)[0-9]{2}|[0-9]{2})\\s*\\.\\s*([0-9]{1,2})\\s*\\.\\s*(?:([0-9]{1,2})\\s*\\.?)?)?';
const CODES = CASE_CODES.join('|');
const YEAR = '(?:19|20|42)[0-9]{2}|[0-9]{2}';
// The case numbers, as one span: the first, then joined serials (`2009다78863, 78870`) or further
// full numbers (`92다41054, 93다42016 판결`: cases decided together). findCaseNumbers reads it.
const CASE = `((?:${YEAR})\\s*(?:${CODES})\\s*[0-9]{1,7}(?:\\s*,\\s*(?:(?:${YEAR})\\s*(?:${CODES})\\s*)?[0-9]{1,7}(?![0-9]))*)`;
const CITATION = new RegExp(`${COURT}\\s*${DATE}\\s*(선고|자)\\s*${CASE}\\s*(전원합의체\\s*)?(판결|결정|명령)`, 'gu');

function fullYear(y: string): number {
  if (y.length === 4) return Number(y);
  const n = Number(y);
  return n >= 47 ? 1900 + n : 2000 + n;
}

function isoDate(y: string | undefined, m: string | undefined, d: string | undefined): string | null {
  if (!y || !m || !d) return null;
  const year = fullYear(y);
  const month = Number(m);
  const day = Number(d);
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** Finds full citations (court, optional date, 선고/자, case number, 판결/결정) in text. */
export function findCitations(text: string): Citation[] {
  const out: Citation[] = [];
  CITATION.lastIndex = 0;
  for (let m = CITATION.exec(text); m !== null; m = CITATION.exec(text)) {
    const [, court, y, mo, d, , span, enBanc, kind] = m;
    const numbers = findCaseNumbers(span!, { loose: true }).flatMap((c) => c.numbers);
    if (numbers.length === 0) continue;
    out.push({
      start: m.index,
      end: m.index + m[0].length,
      court: court === '당원' || court === '본원' ? null : normalizeCourtName(court!),
      date: isoDate(y, mo, d),
      numbers,
      kind: kind as Citation['kind'],
      enBanc: enBanc !== undefined,
    });
  }
  return out;
}

/** `대법원 2019. 5. 30. 선고 2016다276177`: how Korean lawyers cite a decision (a missing date is said so). */
export function formatCitation(p: { court: string; decision_date: string | null; case_number: string }): string {
  return `${p.court} ${formatKoreanDate(p.decision_date) ?? '(선고일 미상)'} 선고 ${p.case_number}`;
}

/** `2019-05-30` → `2019. 5. 30.` (as courts write dates); null for anything else. */
export function formatKoreanDate(iso: string | null): string | null {
  if (!iso || !/^\d{4}-\d{2}-\d{2}$/u.test(iso)) return null;
  return `${Number(iso.slice(0, 4))}. ${Number(iso.slice(5, 7))}. ${Number(iso.slice(8, 10))}.`;
}
