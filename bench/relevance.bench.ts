/**
 * Relevance harness (issue 2): withhold the 판시사항 of N decisions from the
 * index and use each as the query for its own decision. Reports MRR@10 and
 * Recall@10 for our engine and the peers (SQLite FTS5 bm25, MiniSearch), all
 * given the same tokens.
 *
 *   npx tsx bench/relevance.bench.ts [--set eval|tune] [--n 500] [--peers fts5,minisearch] [--ceiling]
 *
 * `--ceiling` adds what bounds any re-ranking of our candidates: Recall@K (the
 * MRR@10 a perfect re-ranker of our top K would reach) and how many queries
 * lose to a decision whose own 판시사항 is nearly the same text.
 *
 * Two disjoint query sets are drawn by sha256(id): `tune` (for choosing
 * parameters) and `eval` (for the reported numbers), so the reported numbers
 * are not fitted to their own queries.
 */
import { loadConfig } from '../src/config/index.js';
import { runSearch, searchParamsOf } from '../src/app/index.js';
import { buildIndex, planQuery, SearchEngine, type IndexableDocument } from '../src/search/index.js';
import { arg, hashOrder, loadDevCorpus } from './corpus.js';
import { indexTokens, normalizeText } from '../src/text/index.js';
import { fieldTokens, Fts5Peer, MiniSearchPeer } from './peers.js';

const N = Number(arg('n', '500'));
const set = arg('set', 'eval');
const peers = arg('peers', 'fts5,minisearch').split(',').filter(Boolean);

const config = loadConfig({ env: process.env });
const { bm25, settings } = searchParamsOf(config);

const docs = loadDevCorpus();
const eligible = hashOrder(docs).filter((d) => (d.holdings ?? '').trim().length >= 20);
const tune = eligible.slice(0, N);
const evalSet = eligible.slice(N, 2 * N);
const queries = set === 'tune' ? tune : evalSet;
const withheld = new Set([...tune, ...evalSet].map((d) => d.id));
const corpus: IndexableDocument[] = docs.map((d) => (withheld.has(d.id) ? { ...d, holdings: null } : d));
const docNo = new Map(corpus.map((d, i) => [d.id, i]));

interface Score {
  mrr: number;
  recall: number;
}
function evaluate(rank: (q: IndexableDocument) => number[]): Score {
  let mrr = 0;
  let hit = 0;
  for (const q of queries) {
    const ranked = rank(q).slice(0, 10);
    const pos = ranked.indexOf(docNo.get(q.id)!);
    if (pos >= 0) {
      mrr += 1 / (pos + 1);
      hit++;
    }
  }
  return { mrr: mrr / queries.length, recall: hit / queries.length };
}

const t0 = performance.now();
const index = buildIndex(corpus, bm25, 'relevance');
const engine = new SearchEngine(index, settings);
console.error(`ours: index built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

const results: Record<string, Score> = {};
results['ours (auto mode: default)'] = evaluate((q) => runSearch(engine, { q: q.holdings!, size: 10, snippets: 'false' }).hits.map((h) => docNo.get(h.id)!));
results['ours (similar mode, OR)'] = evaluate((q) =>
  runSearch(engine, { q: q.holdings!, size: 10, mode: 'similar', snippets: 'false' }).hits.map((h) => docNo.get(h.id)!),
);

// Two ways to give the peers "the same tokens":
// - tokenizer: the query goes through the same tokenizer as the documents (what an FTS5 custom
//   tokenizer or MiniSearch's `tokenize` option does with a query), all distinct tokens OR-ed;
// - selected: exactly the terms our similar mode scores (our query analysis and term selection
//   handed to the peer), the stricter comparison.
const tokenizerTermsOf = (q: IndexableDocument): string[] => [...new Set(indexTokens(normalizeText(q.holdings!)))];
const termsOf = (q: IndexableDocument): string[] => planQuery(index, q.holdings!, 'similar', settings).terms.map((t) => t.term);

if (peers.length) {
  const t = performance.now();
  const tokens = corpus.map(fieldTokens);
  console.error(`peers: tokenized in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  if (peers.includes('fts5')) {
    const fts = new Fts5Peer(bm25);
    const t1 = performance.now();
    fts.build(corpus, tokens);
    console.error(`fts5: built in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
    results['SQLite FTS5 bm25(), query through the tokenizer'] = evaluate((q) => fts.search(tokenizerTermsOf(q)));
    results['SQLite FTS5 bm25(), our selected query terms'] = evaluate((q) => fts.search(termsOf(q)));
  }
  if (peers.includes('minisearch')) {
    const ms = new MiniSearchPeer(bm25);
    const t2 = performance.now();
    ms.build(corpus, tokens);
    console.error(`minisearch: built in ${((performance.now() - t2) / 1000).toFixed(1)} s`);
    results['MiniSearch, query through the tokenizer'] = evaluate((q) => ms.search(tokenizerTermsOf(q)));
    results['MiniSearch, our selected query terms'] = evaluate((q) => ms.search(termsOf(q)));
  }
}

const ours = results['ours (auto mode: default)'];
console.log(`\nRelevance (${set} set, ${queries.length} queries: 판시사항 withheld, used as the query for its own decision)\n`);
console.log('| engine | MRR@10 | Recall@10 | our MRR@10 relative to it |');
console.log('| --- | ---: | ---: | ---: |');
for (const [name, s] of Object.entries(results)) {
  console.log(
    `| ${name} | ${s.mrr.toFixed(4)} | ${s.recall.toFixed(4)} | ${name.startsWith('ours (auto') ? '—' : `${((ours.mrr / s.mrr - 1) * 100).toFixed(1)} %`} |`,
  );
}

if (process.argv.includes('--ceiling')) {
  // A perfect re-ranker of our top K puts the withheld decision first whenever it is among them,
  // so its MRR@10 is our Recall@K. Reaching +10 % over a peer needs at least 1.1 × its MRR@10.
  const Ks = [1, 10, 30, 100, 1000];
  const found = new Map(Ks.map((k) => [k, 0]));
  let lostToTwin = 0;
  let notFirst = 0;
  const deep = new SearchEngine(index, { ...settings, maxPageSize: 1000 });
  const tokenSet = (s: string): Set<string> => new Set(indexTokens(normalizeText(s)));
  for (const q of queries) {
    const ranked = runSearch(deep, { q: q.holdings!, size: 1000, snippets: 'false' }).hits;
    const pos = ranked.findIndex((h) => h.id === q.id);
    for (const k of Ks) if (pos >= 0 && pos < k) found.set(k, found.get(k)! + 1);
    if (pos === 0) continue;
    notFirst++;
    // A "twin": a decision ranked above whose own 판시사항 shares ≥ 70 % of its tokens with the query.
    const qt = tokenSet(q.holdings!);
    const above = ranked.slice(0, pos < 0 ? 10 : Math.min(pos, 10));
    const twin = above.some((h) => {
      const other = corpus[docNo.get(h.id)!]!.holdings;
      if (!other) return false;
      const ot = tokenSet(other);
      let inter = 0;
      for (const t of qt) if (ot.has(t)) inter++;
      return inter / (qt.size + ot.size - inter) >= 0.7;
    });
    if (twin) lostToTwin++;
  }
  const best = Math.max(
    ...Object.entries(results)
      .filter(([n]) => !n.startsWith('ours'))
      .map(([, s]) => s.mrr),
    0,
  );
  console.log(`\nCeiling of re-ranking our candidates (${set} set)\n`);
  console.log('| our top K | Recall@K = MRR@10 of a perfect re-ranker | relative to the best peer |');
  console.log('| ---: | ---: | ---: |');
  for (const k of Ks) {
    const r = found.get(k)! / queries.length;
    console.log(`| ${k} | ${r.toFixed(4)} | ${best > 0 ? `${((r / best - 1) * 100).toFixed(1)} %` : '—'} |`);
  }
  if (best > 0) console.log(`\nMRR@10 needed for +10 % over the best peer: ${(best * 1.1).toFixed(4)}`);
  console.log(
    `Queries whose decision is not ranked first: ${notFirst}; of these, a decision with a near-identical 판시사항 (token Jaccard ≥ 0.7) is ranked above it: ${lostToTwin}`,
  );
}
