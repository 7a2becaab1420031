/**
 * How different generated documents are (issue 15): the generated corpus against the dev corpus
 * replicated to the same size, by distinct full texts, distinct paragraphs, distinct character
 * bigrams and vocabulary (space-separated words) as the corpus grows; plus the generator's
 * throughput and the length distribution against the real one.
 *
 *   node --import tsx bench/synth.bench.ts [--count 137090] [--seed 1]
 */
import { createHash } from 'node:crypto';
import { arg, percentile } from './corpus.js';
import { buildPool, loadSource, synthesize, type SourceRecord } from './synthCorpus.js';

const count = Number(arg('count', '137090'));
const seed = Number(arg('seed', '1'));

const source = loadSource(null);
const pool = buildPool(source);

// Throughput: generation alone, then generation and JSON serialization (what the CLI adds before writing).
function rate(serialize: boolean): number {
  const n = 100_000;
  const t = performance.now();
  let sink = 0;
  for (const r of synthesize(pool, n, seed + 1000)) sink += serialize ? JSON.stringify(r).length : r.full_text.length;
  if (sink < 0) console.log(sink);
  return n / ((performance.now() - t) / 1000);
}
const rates = { generate: [rate(false), rate(false), rate(false)], serialize: [rate(true), rate(true), rate(true)] };
console.log(
  `throughput (100,000 documents, best of 3): generate ${Math.max(...rates.generate).toFixed(0)} docs/s, ` +
    `generate + JSON.stringify ${Math.max(...rates.serialize).toFixed(0)} docs/s`,
);

interface Stats {
  docs: number;
  texts: Set<string>;
  paragraphs: Set<string>;
  bigrams: Set<number>;
  words: Set<string>;
  growth: string[];
  lengths: number[];
}

function measure(docs: Iterable<Pick<SourceRecord, 'full_text'>>, checkpoints: number[]): Stats {
  const s: Stats = { docs: 0, texts: new Set(), paragraphs: new Set(), bigrams: new Set(), words: new Set(), growth: [], lengths: [] };
  for (const d of docs) {
    const text = d.full_text;
    // Texts and paragraphs by a 64-bit hash: millions of strings would not fit in memory.
    s.texts.add(createHash('sha1').update(text).digest('base64').slice(0, 11));
    for (const p of text.split('\n')) if (p.length > 20) s.paragraphs.add(createHash('sha1').update(p).digest('base64').slice(0, 11));
    for (let i = 1; i < text.length; i++) s.bigrams.add(text.charCodeAt(i - 1) * 65536 + text.charCodeAt(i));
    for (const w of text.split(/\s+/u)) if (w) s.words.add(w);
    s.lengths.push(text.length);
    s.docs++;
    if (checkpoints.includes(s.docs)) s.growth.push(`${s.docs.toLocaleString('en')}: ${s.words.size.toLocaleString('en')}`);
  }
  return s;
}

function* replicated(times: number): Generator<SourceRecord> {
  for (let r = 0; r < times; r++) yield* source;
}

const checkpoints = [source.length, 2 * source.length, 5 * source.length, count];
const times = Math.ceil(count / source.length);
const rep = measure(
  (function* () {
    let n = 0;
    for (const d of replicated(times)) if (n++ < count) yield d;
  })(),
  checkpoints,
);
const gen = measure(synthesize(pool, count, seed), checkpoints);

const row = (name: string, f: (s: Stats) => number | string): string => `| ${name} | ${f(rep)} | ${f(gen)} |`;
const fmt = (n: number): string => n.toLocaleString('en');
console.log(`\n${fmt(count)} documents: the dev corpus (${fmt(source.length)}) replicated ×${times} vs generated (seed ${seed})\n`);
console.log('| | replicated | generated |\n| --- | ---: | ---: |');
console.log(row('distinct full texts', (s) => fmt(s.texts.size)));
console.log(row('distinct paragraphs (> 20 chars)', (s) => fmt(s.paragraphs.size)));
console.log(row('distinct character bigrams', (s) => fmt(s.bigrams.size)));
console.log(row('distinct words (space-separated)', (s) => fmt(s.words.size)));
console.log(row('words as the corpus grows', (s) => s.growth.join(' · ')));
console.log(row('full_text length p10 / median / p90 / p99', (s) => [10, 50, 90, 99].map((p) => fmt(percentile(s.lengths, p))).join(' / ')));
