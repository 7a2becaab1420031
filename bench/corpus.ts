import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { IndexableDocument } from '../src/search/index.js';
import { toIndexable } from '../src/search/testing.js';

/** The development corpus: ../shared/data/precedents-dev.jsonl, else the bundled gzip copy. */
export function loadDevCorpus(): IndexableDocument[] {
  const shared = path.resolve('../shared/data/precedents-dev.jsonl');
  const text = fs.existsSync(shared) ? fs.readFileSync(shared, 'utf8') : zlib.gunzipSync(fs.readFileSync('data/precedents-dev.jsonl.gz')).toString('utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => toIndexable(JSON.parse(l) as Record<string, unknown>));
}

/** The corpus replicated `times` times with perturbed ids (the "10× corpus"). */
export function replicate(docs: IndexableDocument[], times: number): IndexableDocument[] {
  const out: IndexableDocument[] = [];
  for (let r = 0; r < times; r++) for (const d of docs) out.push(r === 0 ? d : { ...d, id: `${d.id}~${r}` });
  return out;
}

/** Deterministic order of documents by sha256 of their id (for choosing query sets). */
export function hashOrder(docs: IndexableDocument[]): IndexableDocument[] {
  const key = (d: IndexableDocument): string => createHash('sha256').update(d.id).digest('hex');
  return [...docs]
    .map((d) => ({ d, k: key(d) }))
    .sort((a, b) => (a.k < b.k ? -1 : 1))
    .map((x) => x.d);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

/**
 * The search benchmarks' queries from the dev corpus in hash order: keyword queries are case names (what
 * people type: 손해배상, 소유권이전등기말소 …) and 2–3-word phrases from 판시사항; long queries are 300–2,000-
 * character passages of decisions' reasons, as a lawyer's case description would be.
 */
export function benchQueries(picked: readonly IndexableDocument[], n: number): { keyword: string[]; long: string[] } {
  const keyword = picked
    .slice(0, n)
    .map((d, i) => (i % 2 === 0 ? d.case_name.replace(/[()·,]/g, ' ').trim() : (d.holdings ?? '').split(/\s+/).slice(0, 3).join(' ')))
    .filter((q) => q.length > 1);
  const long = picked
    .slice(1000)
    .filter((d) => d.full_text.length > 2500)
    .slice(0, n)
    .map((d, i) => d.full_text.slice(200, 200 + 300 + ((i * 97) % 1700)));
  return { keyword, long };
}

/** Ten keyword searches of the kind people type, shared by the HTTP, operations and queue benchmarks. */
export const KEYWORD_QUERIES: readonly string[] = [
  '취득시효',
  '손해배상 책임',
  '명의신탁 부동산 횡령',
  '사기',
  '교통사고 과실',
  '임대차 보증금',
  '상속 포기',
  '배임죄 성립',
  '근로자 해고',
  '소유권이전등기 말소',
];
