import { COURT_LEVELS, caseNumberKeys, courtLevelOf, type CourtLevel } from '../legal/index.js';

/**
 * Per-document metadata held by the index: what a hit displays, and compact
 * columns the filters read (court, level, type, date as typed arrays).
 */
export interface DocTable {
  ids: string[];
  caseNumbers: string[];
  caseNames: string[];
  /** Decision date as yyyymmdd; 0 when unknown. */
  dates: Int32Array;
  courtIds: Uint16Array;
  courts: string[];
  typeIds: Uint8Array;
  types: string[];
  /** Index into COURT_LEVELS, derived from the court name. */
  levelIds: Uint8Array;
}

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

/** Court levels of every court id. */
export function levelIdsOf(courts: readonly string[], courtIds: Uint16Array): Uint8Array {
  const levelOfCourt = courts.map((c) => COURT_LEVELS.indexOf(courtLevelOf(c)));
  const out = new Uint8Array(courtIds.length);
  for (let d = 0; d < courtIds.length; d++) out[d] = levelOfCourt[courtIds[d]!]!;
  return out;
}

export function levelName(id: number): CourtLevel {
  return COURT_LEVELS[id]!;
}

/** Case-number lookup keys → documents, for pinning exact case-number matches. */
export function caseKeyIndex(caseNumbers: readonly string[]): Map<string, number[]> {
  const map = new Map<string, number[]>();
  for (let d = 0; d < caseNumbers.length; d++) {
    for (const key of caseNumberKeys(caseNumbers[d]!)) {
      const list = map.get(key);
      if (list) list.push(d);
      else map.set(key, [d]);
    }
  }
  return map;
}
