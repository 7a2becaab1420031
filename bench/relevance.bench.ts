/**
 * Relevance harness (issue 2): withhold the 판시사항 of N decisions from the
 * index and use each as the query for its own decision. Reports MRR@10 and
 * Recall@10 for our engine and the peers (SQLite FTS5 bm25, MiniSearch), all
 * given the same tokens.
 *
 *   npx tsx bench/relevance.bench.ts [--set eval|tune] [--n 500] [--peers fts5,minisearch]
 *
 * Two disjoint query sets are drawn by sha256(id): `tune` (for choosing
 * parameters) and `eval` (for the reported numbers), so the reported numbers
 * are not fitted to their own queries.
 */
import { loadConfig } from '../src/config/index.js';
import { searchParamsOf } from '../src/app/index.js';
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
results['ours (auto mode: default)'] = evaluate((q) => engine.search({ q: q.holdings!, size: 10, snippets: 'false' }).hits.map((h) => docNo.get(h.id)!));
results['ours (similar mode, OR)'] = evaluate((q) => engine.search({ q: q.holdings!, size: 10, mode: 'similar', snippets: 'false' }).hits.map((h) => docNo.get(h.id)!));

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

const ours = results['ours (auto mode: default)']!;
console.log(`\nRelevance (${set} set, ${queries.length} queries: 판시사항 withheld, used as the query for its own decision)\n`);
console.log('| engine | MRR@10 | Recall@10 | our MRR@10 relative to it |');
console.log('| --- | ---: | ---: | ---: |');
for (const [name, s] of Object.entries(results)) {
  console.log(`| ${name} | ${s.mrr.toFixed(4)} | ${s.recall.toFixed(4)} | ${name.startsWith('ours (auto') ? '—' : `${((ours.mrr / s.mrr - 1) * 100).toFixed(1)} %`} |`);
}
