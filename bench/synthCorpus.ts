/**
 * Generator of large, realistic benchmark corpora (issue 15). Replicating the dev corpus 30× gives
 * identical documents whose term statistics and compression flatter the index; a national corpus of
 * 1–4 million decisions has documents that all differ. Each generated decision here is recombined
 * from paragraphs of several real decisions of the same case type:
 *
 * - 【주문】: the whole 주문 of one source decision (A); case_name from A.
 * - 【이유】: contiguous runs of paragraphs from 2–4 other decisions of the same case type (and, when
 *   the pool is large enough, the same court level), then A's last 이유 paragraph (its conclusion,
 *   which matches the 주문). The target length is the full_text length of a random real decision of
 *   that type, so the length distribution follows the real one.
 * - Years written in the text (`1987.`, `1987년`) are moved by the distance between the donor's
 *   decision year and the new one (never past it), and amounts (`35000000원`) are rescaled, so dates
 *   and numbers vary as they do across real decisions.
 * - holdings: 판시사항 items (split on `\n`) of the decisions used, as many as a random real decision has.
 * - court: A's court or another court of the same level and case type (the real distribution by
 *   case type); case number from the court level and case type (`2015다12345`, `2015노1234`,
 *   `2015구합1234` …), its year the decision year or one or two before, serials increasing per
 *   (court, year, code) so (case_number, court) never repeats; decision dates weighted towards the
 *   2000s–2020s, on weekdays.
 * - id: `synth-` + 16 hex of sha1(`seed|index`), stable for a seed and a position.
 *
 * Deterministic for a seed (mulberry32); memory is the source pool plus the serial counters (one per
 * court, year and code), independent of the number generated.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { courtLevelOf, parseCaseNumber } from '../src/legal/index.js';

/** A record of the corpus schema (data/README.md). */
export interface CorpusRecord {
  id: string;
  case_number: string;
  court: string;
  decision_date: string | null;
  case_name: string;
  case_type: string;
  holdings: string | null;
  summary: string | null;
  statutes: string | null;
  cited_cases: string | null;
  full_text: string;
  source: string | null;
}

/** The fields of a source record the generator reads. */
export type SourceRecord = Pick<CorpusRecord, 'case_number' | 'court' | 'decision_date' | 'case_name' | 'case_type' | 'holdings' | 'full_text'>;

/** mulberry32: a small, fast 32-bit PRNG; `next()` in [0, 1). */
export function mulberry32(seed: number): { next: () => number; int: (n: number) => number } {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n) };
}

interface Donor {
  caseType: string;
  court: string;
  level: string;
  /** Case-number code of the source (다, 마, 노, 가단 …), '' when unparsable. */
  code: string;
  caseName: string;
  year: number | null;
  orders: string[];
  reasons: string[];
  /** Per 이유 paragraph: whether it holds a year or an amount to rewrite (most do not). */
  reasonsRewritable: boolean[];
  ordersLength: number;
  reasonsLength: number;
  holdings: string[];
  fullLength: number;
}

export interface Pool {
  all: Donor[];
  byType: Map<string, Donor[]>;
  byTypeLevel: Map<string, Donor[]>;
  /** Courts of each (type, level) with their multiplicity: drawing one uniformly gives the real distribution. */
  courtsByTypeLevel: Map<string, string[]>;
}

/** Below this many decisions a (type, level) bucket is too small to draw 이유 donors from. */
const MIN_LEVEL_BUCKET = 40;

function toDonor(r: SourceRecord): Donor | null {
  const text = r.full_text;
  const o = text.indexOf('【주문】');
  const i = text.indexOf('【이유】');
  if (o < 0 || i < o) return null;
  const lines = (s: string): string[] =>
    s
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');
  const orders = lines(text.slice(o + 4, i));
  const reasons = lines(text.slice(i + 4));
  if (orders.length === 0 || reasons.length === 0) return null;
  const parsed = parseCaseNumber(r.case_number);
  const year = r.decision_date ? Number(r.decision_date.slice(0, 4)) : null;
  return {
    caseType: r.case_type,
    court: r.court,
    level: courtLevelOf(r.court),
    code: parsed?.[0]?.code ?? '',
    caseName: r.case_name,
    year,
    orders,
    reasons,
    reasonsRewritable: reasons.map(hasRewritable),
    ordersLength: orders.reduce((n, l) => n + l.length + 1, 0),
    reasonsLength: reasons.reduce((n, l) => n + l.length + 1, 0),
    holdings: r.holdings ? lines(r.holdings) : [],
    fullLength: text.length,
  };
}

/** Indexes the source records (those with both 【주문】 and 【이유】) for drawing. */
export function buildPool(source: Iterable<SourceRecord>): Pool {
  const pool: Pool = { all: [], byType: new Map(), byTypeLevel: new Map(), courtsByTypeLevel: new Map() };
  const push = <T>(m: Map<string, T[]>, k: string, v: T): void => {
    const list = m.get(k);
    if (list) list.push(v);
    else m.set(k, [v]);
  };
  for (const r of source) {
    const d = toDonor(r);
    if (!d) continue;
    pool.all.push(d);
    push(pool.byType, d.caseType, d);
    push(pool.byTypeLevel, `${d.caseType}|${d.level}`, d);
    push(pool.courtsByTypeLevel, `${d.caseType}|${d.level}`, d.court);
  }
  if (pool.all.length < 5) throw new Error(`source pool too small: ${pool.all.length} decisions with 【주문】 and 【이유】 (need ≥ 5)`);
  return pool;
}

/**
 * Decision years: a national corpus is mostly 2000s–2020s (the dev corpus peaks in the 1980s).
 * Weights per decade, 1950s … 2020s; the 2020s run to mid-2025.
 */
const DECADE_WEIGHTS: readonly [number, number][] = [
  [1950, 1],
  [1960, 2],
  [1970, 4],
  [1980, 7],
  [1990, 14],
  [2000, 24],
  [2010, 32],
  [2020, 16],
];
const DECADE_TOTAL = DECADE_WEIGHTS.reduce((n, [, w]) => n + w, 0);
const LAST_DAY = Date.UTC(2025, 5, 30);

/** Serial counters: first serial (scale) and mean step by court level. */
const SERIAL_SCALE: Record<string, { start: number; step: number }> = {
  대법원: { start: 20_000, step: 6 },
  고등법원: { start: 3_000, step: 4 },
  default: { start: 800, step: 3 },
};

/** Case-number code from court level, case type, the decision year and the 주문 donor's own code. */
function caseCode(level: string, type: string, year: number, donorCode: string, rng: ReturnType<typeof mulberry32>): string {
  if (level === '특허법원') return '허';
  if (level === '대법원') {
    if (type === '형사') return donorCode === '모' ? '모' : '도';
    if (type === '행정') return year >= 1998 ? '두' : '누';
    return donorCode === '마' || donorCode === '그' ? donorCode : '다';
  }
  if (level === '고등법원') {
    if (type === '형사') return '노';
    if (type === '행정') return '누';
    return donorCode === '라' ? '라' : '나';
  }
  // District courts and their branches: first instance or the appellate division.
  if (type === '형사') return donorCode === '노' ? '노' : donorCode === '고단' || donorCode === '고합' ? donorCode : rng.next() < 0.5 ? '고합' : '고단';
  if (type === '행정') return '구합';
  return donorCode === '나' ? '나' : donorCode === '가단' || donorCode === '가합' ? donorCode : rng.next() < 0.6 ? '가합' : '가단';
}

/**
 * True for serials that the crawler-merge heuristic of caseNumberKeys would split in two (an even
 * number of ≥ 6 digits whose second half is larger): such a number gets extra lookup keys.
 */
function splitsAsMerged(serial: number): boolean {
  const s = String(serial);
  if (s.length < 6 || s.length % 2 !== 0) return false;
  const a = s.slice(0, s.length / 2);
  const b = s.slice(s.length / 2);
  return Number(b) > Number(a) && !a.startsWith('0') && !b.startsWith('0');
}

const YEAR_OR_AMOUNT = /(?<![0-9])((?:19|20)[0-9]{2})(?=\s*[.년])(?![^선\n]{0,16}선고)|(?<![0-9])([1-9][0-9]{3,11})(?=원)/gu;

/**
 * Generates `count` decisions from `source` (see the module comment). Lazy: records are produced as
 * the caller iterates; the same seed gives the same sequence.
 */
export function* synthesize(source: Iterable<SourceRecord> | Pool, count: number, seed: number): Generator<CorpusRecord> {
  const pool = 'byType' in source ? source : buildPool(source);
  const rng = mulberry32(seed ^ 0x9e3779b9);
  const serials = new Map<string, number>();
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)]!;

  for (let index = 0; index < count; index++) {
    // The 주문 donor: uniform over the pool, so case types keep the real proportions.
    const a = pick(pool.all);
    const type = a.caseType;
    const sameType = pool.byType.get(type)!;
    const levelBucket = pool.byTypeLevel.get(`${type}|${a.level}`)!;
    const donors = levelBucket.length >= MIN_LEVEL_BUCKET ? levelBucket : sameType;
    // Court: another court of A's level and type, drawn with the real distribution.
    const court = pick(pool.courtsByTypeLevel.get(`${type}|${a.level}`)!);

    // Decision date: decade by weight, then a day; weekends move to the Friday before.
    let r = rng.next() * DECADE_TOTAL;
    let decade = 2020;
    for (const [d, w] of DECADE_WEIGHTS) {
      if (r < w) {
        decade = d;
        break;
      }
      r -= w;
    }
    const from = Date.UTC(decade, 0, 1);
    const to = Math.min(Date.UTC(decade + 10, 0, 1), LAST_DAY);
    const day = new Date(from + rng.int(Math.round((to - from) / 86_400_000)) * 86_400_000);
    const dow = day.getUTCDay();
    if (dow === 0 || dow === 6) day.setUTCDate(day.getUTCDate() - (dow === 0 ? 2 : 1));
    const date = day.toISOString().slice(0, 10);
    const year = day.getUTCFullYear();

    // Case number: filed in the decision year or up to two years before.
    const lag = rng.next();
    const caseYear = Math.max(1948, year - (lag < 0.45 ? 0 : lag < 0.9 ? 1 : 2));
    const code = caseCode(a.level, type, caseYear, a.code, rng);
    const scale = SERIAL_SCALE[a.level] ?? SERIAL_SCALE.default!;
    const key = `${court}|${caseYear}|${code}`;
    let serial = serials.get(key) ?? rng.int(scale.start);
    do serial += 1 + rng.int(2 * scale.step - 1);
    while (splitsAsMerged(serial));
    if (serial > 9_999_999) throw new Error(`serials of ${key} ran past 7 digits; generate fewer decisions`);
    serials.set(key, serial);
    const caseNumber = `${caseYear < 2000 ? String(caseYear % 100).padStart(2, '0') : caseYear}${code}${serial}`;

    // Full text: A's 주문; 이유 from 2–4 other donors, then A's conclusion.
    const target = pick(sameType).fullLength;
    const conclusion = a.reasons[a.reasons.length - 1]!;
    const budget = Math.max(0, target - a.ordersLength - conclusion.length - 12);
    const k = budget < 800 ? 2 : 2 + rng.int(3);
    let remaining = budget;
    const parts: string[] = [];
    const used: Donor[] = [a];
    // Rescale amounts by one factor per decision.
    const factor = 0.3 + rng.next() * 2.7;
    for (let j = 0; j < k; j++) {
      // What is left is shared among the donors still to come, so a donor with few paragraphs
      // leaves its part to the next one.
      const share = remaining / (k - j);
      // A donor not used yet, with enough 이유 for its share and (the first one) an opening that fits.
      let d = pick(donors);
      for (let tries = 0; tries < 6 && !fits(d, j, share, used); tries++) d = pick(donors);
      used.push(d);
      const shift = d.year === null ? 0 : year - d.year;
      const lines = d.reasons;
      // The first donor opens the reasons with its own opening; the others from a random paragraph
      // (not their conclusion when there is anything else), preferring one that fits the share.
      const span = Math.max(1, lines.length - 1);
      let at = j === 0 ? 0 : rng.int(span);
      for (let tries = 0; tries < 4 && lines[at]!.length > share * 1.2; tries++) {
        const other = rng.int(span);
        if (lines[other]!.length < lines[at]!.length) at = other;
      }
      let taken = 0;
      for (let n = 0; n < lines.length && (taken === 0 || taken < share); n++, at = (at + 1) % lines.length) {
        const line = lines[at]!;
        // Stop before a paragraph that would overshoot the share by more than stopping undershoots it.
        if (taken > 0 && taken + line.length - share > share - taken) break;
        parts.push(d.reasonsRewritable[at] ? rewrite(line, shift, year, factor) : line);
        taken += line.length + 1;
      }
      remaining -= taken;
    }
    const aShift = a.year === null ? 0 : year - a.year;
    parts.push(a.reasonsRewritable[a.reasons.length - 1] ? rewrite(conclusion, aShift, year, factor) : conclusion);
    const fullText = `【주문】\n${a.orders.map((l) => rewrite(l, aShift, year, factor)).join('\n')}\n\n【이유】\n${parts.join('\n')}`;

    // Holdings: as many items as a random real decision of the type has, from the donors used.
    const items = pick(sameType).holdings.length;
    const holdings: string[] = [];
    for (let j = 0, guard = 0; holdings.length < items && guard < items * 6; guard++) {
      const d = j < used.length ? used[j++]! : pick(sameType);
      if (d.holdings.length > 0) holdings.push(pick(d.holdings));
    }

    yield {
      id: 'synth-' + createHash('sha1').update(`${seed}|${index}`).digest('hex').slice(0, 16),
      case_number: caseNumber,
      court,
      decision_date: date,
      case_name: a.caseName,
      case_type: type,
      holdings: holdings.length > 0 ? holdings.join('\n') : null,
      summary: null,
      statutes: null,
      cited_cases: null,
      full_text: fullText,
      source: 'synthetic',
    };
  }
}

function fits(d: Donor, j: number, share: number, used: readonly Donor[]): boolean {
  return !used.includes(d) && d.reasonsLength >= share * 0.8 && (j > 0 || d.reasons[0]!.length <= share * 1.2);
}

function hasRewritable(line: string): boolean {
  YEAR_OR_AMOUNT.lastIndex = 0;
  return YEAR_OR_AMOUNT.test(line);
}

/** Moves written years by `shift` (not past `maxYear`) and rescales amounts by `factor`. */
function rewrite(line: string, shift: number, maxYear: number, factor: number): string {
  YEAR_OR_AMOUNT.lastIndex = 0;
  return line.replace(YEAR_OR_AMOUNT, (all: string, y: string | undefined, amount: string | undefined) => {
    if (y !== undefined) {
      const moved = Number(y) + shift;
      return shift !== 0 && moved <= maxYear && moved >= 1900 ? String(moved) : all;
    }
    const v = Number(amount);
    const zeros = /0*$/u.exec(amount!)![0].length;
    const unit = 10 ** Math.min(zeros, amount!.length - 1);
    return String(Math.max(unit, Math.round((v * factor) / unit) * unit));
  });
}

/** Source decisions: the given file, else ../shared/data/precedents-dev.jsonl, else the bundled gzip. */
export function loadSource(file: string | null): SourceRecord[] {
  const shared = path.resolve('../shared/data/precedents-dev.jsonl');
  const chosen = file ?? (fs.existsSync(shared) ? shared : 'data/precedents-dev.jsonl.gz');
  const raw = fs.readFileSync(chosen);
  const text = (chosen.endsWith('.gz') ? zlib.gunzipSync(raw) : raw).toString('utf8');
  const out: SourceRecord[] = [];
  for (const line of text.split('\n')) if (line.trim() !== '') out.push(JSON.parse(line) as SourceRecord);
  return out;
}
