import { COURT_LEVELS, type CourtLevel } from '../legal/index.js';

/** yyyymmdd integer of an ISO date, 0 for null. */
export function dateToInt(date: string | null): number {
  if (!date) return 0;
  return Number(date.slice(0, 4)) * 10000 + Number(date.slice(5, 7)) * 100 + Number(date.slice(8, 10));
}

/** ISO date of a yyyymmdd integer, null for 0. */
export function intToDate(v: number): string | null {
  if (v === 0) return null;
  const y = Math.floor(v / 10000);
  const m = Math.floor(v / 100) % 100;
  const d = v % 100;
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

export function levelName(id: number): CourtLevel {
  return COURT_LEVELS[id]!;
}
