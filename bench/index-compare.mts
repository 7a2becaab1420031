/**
 * Index format comparison (issue 15): builds the dev-corpus index with the
 * search code of a source tree (`--root`, default this checkout), writes it,
 * and reports build time, bytes on disk and in-process search medians; dumps
 * every query's top 10 (ids, scores) and total to `--out`, so two trees' runs
 * can be compared result by result.
 *
 *   git archive af0524e | tar -x -C /tmp/old && ln -s "$PWD/node_modules" /tmp/old/
 *   npx tsx bench/index-compare.mts --root /tmp/old --out /tmp/old.json
 *   npx tsx bench/index-compare.mts --out /tmp/new.json
 *   npx tsx bench/index-compare.mts --diff /tmp/old.json /tmp/new.json
 *   npx tsx bench/index-compare.mts --budget 64 --out /tmp/budget.json   # segments at a 64 MB budget, merged
 *
 * Peak RSS is the process's (`process.resourceUsage().maxRSS`), corpus included.
 */
/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call --
   the search code of another source tree is loaded at run time, untyped: its API differs between formats */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const argOf = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};

type Dump = Record<string, { total: number; hits: string[] }>;
if (process.argv.includes('--diff')) {
  const i = process.argv.indexOf('--diff');
  const a = JSON.parse(fs.readFileSync(process.argv[i + 1]!, 'utf8')) as Dump;
  const b = JSON.parse(fs.readFileSync(process.argv[i + 2]!, 'utf8')) as Dump;
  const ids = (x: { hits: string[] }): string[] => x.hits.map((h) => h.split(':')[0]!);
  let identical = 0;
  let sameOrder = 0;
  let overlap = 0;
  const keys = Object.keys(a);
  for (const k of keys) {
    if (JSON.stringify(a[k]) === JSON.stringify(b[k])) identical++;
    if (JSON.stringify(ids(a[k]!)) === JSON.stringify(ids(b[k]!))) sameOrder++;
    const set = new Set(ids(b[k]!));
    overlap += ids(a[k]!).filter((x) => set.has(x)).length / Math.max(1, ids(a[k]!).length);
  }
  console.log(JSON.stringify({ queries: keys.length, identical, sameTop10Order: sameOrder, meanTop10Overlap: +(overlap / keys.length).toFixed(4) }));
  process.exit(0);
}

const root = path.resolve(argOf('root', process.cwd()));
const imp = (p: string) => import(path.join(root, p));
const { loadConfig } = await imp('src/config/index.ts');
const { runSearch, searchParamsOf } = await imp('src/app/index.ts');
const S = await imp('src/search/index.ts');
const { hashOrder, loadDevCorpus, median } = await import('./corpus.js');
const { bm25, settings } = searchParamsOf(loadConfig({ env: {} }));
const dev = loadDevCorpus();
const picked = hashOrder(dev);
const keyword = picked
  .slice(0, 200)
  .map((d, i) => (i % 2 === 0 ? d.case_name.replace(/[()·,]/g, ' ').trim() : (d.holdings ?? '').split(/\s+/).slice(0, 3).join(' ')))
  .filter((q) => q.length > 1);
const long = picked
  .slice(1000)
  .filter((d) => d.full_text.length > 2500)
  .slice(0, 100)
  .map((d, i) => d.full_text.slice(200, 200 + 300 + ((i * 97) % 1700)));

const t0 = performance.now();
const budgetMb = Number(argOf('budget', '0'));
let segmentsWritten = 0;
const index =
  budgetMb > 0
    ? S.buildIndex(dev, bm25, 'compare', {
        memoryBudgetBytes: budgetMb * 1024 * 1024,
        maxSegments: 1,
        onSegment: (e: { kind: string }) => {
          if (e.kind === 'flush') segmentsWritten++;
        },
      })
    : S.buildIndex(dev, bm25, 'compare');
const buildMs = performance.now() - t0;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alaw-compare-'));
const bytes: number = S.writeIndexDir ? S.writeIndexDir(dir, index).bytes : S.writeIndexFile(path.join(dir, 'search.idx'), index);
fs.rmSync(dir, { recursive: true, force: true });
const engine = new S.SearchEngine(index, settings);
const run = (q: string) => runSearch(engine, { q, snippets: 'false' }) as { total: number; hits: { id: string; score: number }[] };
const p50 = (qs: string[]): number =>
  median(
    qs.map((q) => {
      run(q);
      const ts: number[] = [];
      for (let r = 0; r < 7; r++) {
        const t = performance.now();
        run(q);
        ts.push(performance.now() - t);
      }
      return median(ts);
    }),
  );
const dump: Dump = {};
for (const q of [...keyword, ...long]) {
  const r = run(q);
  dump[q.slice(0, 80)] = { total: r.total, hits: r.hits.map((h) => `${h.id}:${h.score}`) };
}
if (process.argv.includes('--out')) fs.writeFileSync(argOf('out', ''), JSON.stringify(dump));
console.log(
  JSON.stringify({
    root,
    budgetMb,
    segmentsWritten,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    buildS: +(buildMs / 1000).toFixed(1),
    bytes,
    keywordP50Ms: +p50(keyword).toFixed(3),
    longP50Ms: +p50(long).toFixed(3),
    postings: index.header.postingCount,
  }),
);
