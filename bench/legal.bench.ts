/**
 * Accuracy of the legal parsers (issue 4) on hand-annotated sets of real
 * sentences from the corpus: test/fixtures/legal-extraction-gold.jsonl (130, also
 * used while writing the parsers) and legal-extraction-heldout.jsonl (110, annotated
 * afterwards and measured once, without changing the parsers):
 * precision and recall of statute references (`민법 제750조`, by law and
 * article) and of case numbers (`2016다276177`), with every disagreement listed.
 *
 *   npx tsx bench/legal.bench.ts [--show-errors]
 */
import fs from 'node:fs';
import { findCaseNumbers, findStatutes } from '../src/legal/index.js';

export interface GoldLine {
  source_id: string;
  text: string;
  statutes: string[];
  case_numbers: string[];
}

export interface Score {
  tp: number;
  fp: number;
  fn: number;
  precision: number;
  recall: number;
  errors: { source_id: string; missing: string[]; extra: string[] }[];
}

export function readGold(file = 'test/fixtures/legal-extraction-gold.jsonl'): GoldLine[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as GoldLine);
}

const norm = (s: string): string => s.replace(/\s+/gu, ' ').trim();

export function score(gold: GoldLine[], extract: (text: string) => string[], expected: (g: GoldLine) => string[]): Score {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  const errors: Score['errors'] = [];
  for (const g of gold) {
    const want = new Set(expected(g).map(norm));
    const got = new Set(extract(g.text).map(norm));
    const missing = [...want].filter((x) => !got.has(x));
    const extra = [...got].filter((x) => !want.has(x));
    tp += [...got].filter((x) => want.has(x)).length;
    fp += extra.length;
    fn += missing.length;
    if (missing.length || extra.length) errors.push({ source_id: g.source_id, missing, extra });
  }
  return { tp, fp, fn, precision: tp + fp === 0 ? 1 : tp / (tp + fp), recall: tp + fn === 0 ? 1 : tp / (tp + fn), errors };
}

export const statuteKeys = (text: string): string[] => findStatutes(text).map((r) => r.key);
export const caseNumbers = (text: string): string[] => findCaseNumbers(text).flatMap((m) => m.numbers.map((n) => n.normalized));

if (process.argv[1]?.endsWith('legal.bench.ts')) {
  const show = process.argv.includes('--show-errors');
  console.log('| set | what | annotated | found | correct | precision | recall |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
  const all: [string, Score][] = [];
  for (const [set, file] of [
    ['development (130)', 'test/fixtures/legal-extraction-gold.jsonl'],
    ['held out (110)', 'test/fixtures/legal-extraction-heldout.jsonl'],
  ] as const) {
    const gold = readGold(file);
    for (const [name, s] of [
      ['statute references', score(gold, statuteKeys, (g) => g.statutes)],
      ['case numbers', score(gold, caseNumbers, (g) => g.case_numbers)],
    ] as const) {
      console.log(`| ${set} | ${name} | ${s.tp + s.fn} | ${s.tp + s.fp} | ${s.tp} | ${s.precision.toFixed(3)} | ${s.recall.toFixed(3)} |`);
      all.push([`${set} ${name}`, s]);
    }
  }
  if (show)
    for (const [name, s] of all)
      for (const e of s.errors) console.log(`${name} ${e.source_id}: missing ${JSON.stringify(e.missing)} extra ${JSON.stringify(e.extra)}`);
}
