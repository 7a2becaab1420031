/**
 * Court names: abbreviation expansion and court level (심급/법원 종류), used
 * for the `court_level` search filter and for matching citations.
 */
export const COURT_LEVELS = ['대법원', '고등법원', '특허법원', '지방법원', '가정법원', '행정법원', '회생법원', '기타'] as const;
export type CourtLevel = (typeof COURT_LEVELS)[number];

const ABBREVIATIONS: readonly [RegExp, string][] = [
  [/고법/gu, '고등법원'],
  [/지법/gu, '지방법원'],
  [/가정법/gu, '가정법원'],
  [/행정법(?!원)/gu, '행정법원'],
  [/회생법(?!원)/gu, '회생법원'],
  [/특허법(?!원)/gu, '특허법원'],
];

/**
 * Canonical court name: NFKC, abbreviations expanded (`서울고법` →
 * `서울고등법원`), a space before a branch (`수원지방법원평택지원` →
 * `수원지방법원 평택지원`), whitespace collapsed.
 */
export function normalizeCourtName(name: string): string {
  let s = name.normalize('NFKC').replace(/\s+/gu, ' ').trim();
  for (const [re, full] of ABBREVIATIONS) s = s.replace(re, full);
  s = s.replace(/(법원)\s*(?=[가-힣]+지원$)/u, '$1 ');
  return s;
}

/** The level of a (normalized) court name; old names such as 서울민사지방법원 are 지방법원. */
export function courtLevelOf(court: string): CourtLevel {
  const c = court.replace(/\s+/gu, '');
  if (c === '대법원') return '대법원';
  if (c.includes('고등법원')) return '고등법원';
  if (c.includes('특허법원')) return '특허법원';
  if (c.includes('가정법원')) return '가정법원';
  if (c.includes('행정법원')) return '행정법원';
  if (c.includes('회생법원')) return '회생법원';
  if (c.includes('지방법원') || c.endsWith('지원')) return '지방법원';
  return '기타';
}

/** True when `value` is one of {@link COURT_LEVELS}. */
export function isCourtLevel(value: string): value is CourtLevel {
  return (COURT_LEVELS as readonly string[]).includes(value);
}
