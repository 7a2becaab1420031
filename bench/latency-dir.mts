// Engine-only latency over an index directory as it is on disk (the index an `alaw import` wrote, e.g. by
// bench/scale.bench.ts): load time, then keyword and long-query medians without snippets, in process,
// one thread — the engine's own cost, beside the service-level numbers of the scale bench.
//
//   node --expose-gc --max-old-space-size=16000 --import tsx bench/latency-dir.mts <indexDir> [--repeats 5]
import { searchParamsOf } from '../src/app/index.js';
import { loadConfig } from '../src/config/index.js';
import { readIndexDir, SearchEngine, type SearchRequest } from '../src/search/index.js';
import { arg, benchQueries, hashOrder, loadDevCorpus, median, percentile } from './corpus.js';

const dir = process.argv[2]!;
const repeats = Number(arg('repeats', '5'));
const { settings } = searchParamsOf(loadConfig({ env: {} }));
const t0 = performance.now();
const index = readIndexDir(dir);
const loadMs = performance.now() - t0;
const engine = new SearchEngine(index, settings);
engine.warm();
const { keyword, long } = benchQueries(hashOrder(loadDevCorpus()), 60);
const request = (q: string): SearchRequest => ({
  q,
  mode: 'auto',
  page: 1,
  size: 10,
  sort: 'relevance',
  courts: [],
  courtLevels: [],
  caseTypes: [],
  dateFrom: 0,
  dateTo: 0,
  snippets: false,
});
function time(queries: string[]): { p50: number; p90: number } {
  const per = queries.map((q) => {
    const req = request(q);
    engine.run(req);
    const ts: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const t = performance.now();
      engine.run(req);
      ts.push(performance.now() - t);
    }
    return median(ts);
  });
  return { p50: Math.round(median(per) * 1000) / 1000, p90: Math.round(percentile(per, 90) * 1000) / 1000 };
}
const out = {
  documents: index.header.docCount,
  segments: index.segments.length,
  load_ms: Math.round(loadMs),
  keyword: time(keyword),
  long: time(long),
  rss_mb: Math.round(process.memoryUsage().rss / 1024 / 1024),
};
process.stdout.write(JSON.stringify(out) + '\n');
