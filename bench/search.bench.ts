/**
 * Search speed, side by side in one run (issue 2): our engine, SQLite FTS5
 * bm25() and MiniSearch, all given the same tokens and the same query terms,
 * on the dev corpus (13,709 decisions) and on a 10× corpus (replicated with
 * perturbed ids). Reports per-query medians over repeats, then p50/p90 over
 * queries, and speed ratios. Also index build time, index size and memory.
 *
 *   npx tsx bench/search.bench.ts [--scales 1,10] [--repeats 5] [--queries 60] [--peers fts5,minisearch]
 *
 * MiniSearch runs at 1× only: at 10× its in-memory index would need tens of
 * GB of JavaScript objects (it took 147 s and ~3 GB at 1× on this machine).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/index.js';
import { runSearch, searchParamsOf } from '../src/app/index.js';
import { buildIndex, planQuery, readIndexDir, SearchEngine, writeIndexDir, type IndexableDocument } from '../src/search/index.js';
import { arg, benchQueries, hashOrder, loadDevCorpus, median, percentile, replicate } from './corpus.js';
import { fieldTokens, Fts5Peer, MiniSearchPeer } from './peers.js';

const scales = arg('scales', '1,10').split(',').map(Number);
const repeats = Number(arg('repeats', '5'));
const nQueries = Number(arg('queries', '60'));
const peers = arg('peers', 'fts5,minisearch').split(',').filter(Boolean);
const { bm25, settings } = searchParamsOf(loadConfig({ env: {} }));

const dev = loadDevCorpus();
const picked = hashOrder(dev);
const { keyword: keywordQueries, long: longQueries } = benchQueries(picked, nQueries);

interface Timing {
  p50: number;
  p90: number;
}
function time(queries: string[], run: (q: string) => unknown): Timing {
  const perQuery = queries.map((q) => {
    run(q); // warm
    const ts: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const t = performance.now();
      run(q);
      ts.push(performance.now() - t);
    }
    return median(ts);
  });
  return { p50: median(perQuery), p90: percentile(perQuery, 90) };
}
const fmt = (t: Timing): string => `${t.p50.toFixed(3)} / ${t.p90.toFixed(3)}`;
const mb = (b: number): string => (b / 1024 / 1024).toFixed(1);

const lines: string[] = [];
const out = (s: string): void => {
  lines.push(s);
  console.log(s);
};
out(
  `Search speed — ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), node ${process.version}, ${repeats} repeats per query, ${keywordQueries.length} keyword and ${longQueries.length} long queries (${Math.min(...longQueries.map((q) => q.length))}–${Math.max(...longQueries.map((q) => q.length))} chars)`,
);

for (const scale of scales) {
  const docs: IndexableDocument[] = scale === 1 ? dev : replicate(dev, scale);
  out(`\n### ${scale}× corpus: ${docs.length.toLocaleString('en')} decisions\n`);
  const t0 = performance.now();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'alaw-bench-'));
  const { bytes } = writeIndexDir(tmp, buildIndex(docs, bm25, 'bench'));
  const buildMs = performance.now() - t0;
  const lt = performance.now();
  const index = readIndexDir(tmp);
  const loadMs = performance.now() - lt;
  const engine = new SearchEngine(index, settings);
  // The loaded index is the segment files' sections (display strings as UTF-8 columns among them)
  // plus the global filter columns.
  const columns = index.docs.dates.byteLength + index.docs.courtIds.byteLength + index.docs.typeIds.byteLength + index.docs.levelIds.byteLength;
  out(
    `ours: build ${(buildMs / 1000).toFixed(1)} s (incl. writing the files), index ${mb(bytes)} MB in ${index.segments.length} segment(s), load ${loadMs.toFixed(0)} ms, in memory ≈ ${mb(bytes + columns)} MB (postings ${index.header.postingCount.toLocaleString('en')}, terms ${index.header.termCount.toLocaleString('en')})`,
  );

  const ours = {
    keyword: time(keywordQueries, (q) => runSearch(engine, { q, snippets: 'false' })),
    long: time(longQueries, (q) => runSearch(engine, { q, snippets: 'false' })),
  };
  // The peers get the terms our plan scores, with the same matching: every
  // required term for a keyword (all-words) query, any term for a long one.
  const termsOf = (q: string): { terms: string[]; all: boolean } => {
    const plan = planQuery(index, q, 'auto', settings);
    return plan.mode === 'all' && plan.required.length > 0
      ? { terms: plan.required.map((t) => t.term), all: true }
      : { terms: plan.terms.map((t) => t.term), all: false };
  };
  const rows: [string, { keyword: Timing; long: Timing }][] = [['ours (MaxScore, BM25F)', ours]];

  let tokens: Record<string, string>[] | undefined;
  if (peers.includes('fts5')) {
    tokens ??= docs.length === dev.length ? dev.map(fieldTokens) : undefined;
    const fts = new Fts5Peer(bm25);
    const ft = performance.now();
    if (tokens) fts.build(docs, tokens);
    else {
      const base = dev.map(fieldTokens);
      fts.build(
        docs,
        docs.map((_, i) => base[i % dev.length]!),
      );
    }
    out(`fts5: build ${((performance.now() - ft) / 1000).toFixed(1)} s (same tokens), database ${mb(fts.bytes())} MB`);
    const kw = keywordQueries.map(termsOf);
    const lg = longQueries.map(termsOf);
    rows.push([
      'SQLite FTS5 bm25()',
      {
        keyword: time(
          kw.map((_, i) => String(i)),
          (i) => fts.search(kw[Number(i)]!.terms, kw[Number(i)]!.all),
        ),
        long: time(
          lg.map((_, i) => String(i)),
          (i) => fts.search(lg[Number(i)]!.terms, lg[Number(i)]!.all),
        ),
      },
    ]);
    fts.db.close();
  }
  if (peers.includes('minisearch') && scale === 1) {
    tokens ??= dev.map(fieldTokens);
    const ms = new MiniSearchPeer(bm25);
    const mt = performance.now();
    ms.build(docs, tokens);
    out(`minisearch: build ${((performance.now() - mt) / 1000).toFixed(1)} s (same tokens)`);
    const kw = keywordQueries.map(termsOf);
    const lg = longQueries.map(termsOf);
    rows.push([
      'MiniSearch',
      {
        keyword: time(
          kw.map((_, i) => String(i)),
          (i) => ms.search(kw[Number(i)]!.terms, kw[Number(i)]!.all),
        ),
        long: time(
          lg.map((_, i) => String(i)),
          (i) => ms.search(lg[Number(i)]!.terms, lg[Number(i)]!.all),
        ),
      },
    ]);
  }
  out('\n| engine | keyword p50 / p90 (ms) | long p50 / p90 (ms) | keyword p50 ratio to ours | long p50 ratio to ours |');
  out('| --- | ---: | ---: | ---: | ---: |');
  for (const [name, r] of rows) {
    out(`| ${name} | ${fmt(r.keyword)} | ${fmt(r.long)} | ${(r.keyword.p50 / ours.keyword.p50).toFixed(1)}× | ${(r.long.p50 / ours.long.p50).toFixed(1)}× |`);
  }
  fs.rmSync(tmp, { recursive: true, force: true });
}
fs.mkdirSync('bench/results', { recursive: true });
fs.writeFileSync(`bench/results/search-${new Date().toISOString().slice(0, 19).replace(/:/g, '')}.md`, lines.join('\n') + '\n');
