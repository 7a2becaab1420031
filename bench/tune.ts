/**
 * Parameter search for the relevance harness, on the `tune` query set only
 * (the reported numbers come from the disjoint `eval` set). Prints MRR@10 for
 * each combination; slow (one index build per index-time combination).
 *
 *   npx tsx bench/tune.ts [--n 500] [--grid JSON] [--qgrid JSON] [--genre 0.5,1,2]
 *
 * `--genre` tries an experiment we did not adopt: query terms typical of the
 * 판시사항 genre (document frequency in 판시사항 ÷ in full texts, g > 1) are
 * down-weighted by g^−alpha, for each alpha given.
 */
import { loadConfig } from '../src/config/index.js';
import { runSearch, searchParamsOf } from '../src/app/index.js';
import { buildIndex, planQuery, SearchEngine, type Bm25Params, type IndexableDocument, type SearchIndex, type SearcherSettings } from '../src/search/index.js';
import { maxScoreTopK } from '../src/search/retrieval.js';
import { indexTokens, normalizeText } from '../src/text/index.js';
import { arg, hashOrder, loadDevCorpus } from './corpus.js';

const N = Number(arg('n', '500'));
const { bm25, settings } = searchParamsOf(loadConfig({ env: {} }));
const docs = loadDevCorpus();
const eligible = hashOrder(docs).filter((d) => (d.holdings ?? '').trim().length >= 20);
const queries = eligible.slice(0, N);
const withheld = new Set(eligible.slice(0, 2 * N).map((d) => d.id));
const corpus: IndexableDocument[] = docs.map((d) => (withheld.has(d.id) ? { ...d, holdings: null } : d));
const docNo = new Map(corpus.map((d, i) => [d.id, i]));

function mrr(engine: SearchEngine, mode: string): number {
  let s = 0;
  for (const q of queries) {
    const hits = runSearch(engine, { q: q.holdings!, size: 10, mode, snippets: 'false' }).hits;
    const pos = hits.findIndex((h) => docNo.get(h.id) === docNo.get(q.id));
    if (pos >= 0) s += 1 / (pos + 1);
  }
  return s / queries.length;
}

/** MRR@10 of similar mode with 판시사항-genre terms down-weighted by g^−alpha. */
function genreMrr(index: SearchIndex, alpha: number): number {
  const dfHoldings = new Map<string, number>();
  const dfText = new Map<string, number>();
  const count = (m: Map<string, number>, text: string): void => {
    for (const t of new Set(indexTokens(normalizeText(text)))) m.set(t, (m.get(t) ?? 0) + 1);
  };
  for (const d of corpus) {
    if (!d.holdings) continue;
    count(dfHoldings, d.holdings);
    count(dfText, d.full_text);
  }
  let s = 0;
  for (const q of queries) {
    const terms = planQuery(index, q.holdings!, 'similar', settings).terms.map((t) => {
      const g = ((dfHoldings.get(t.term) ?? 0) + 1) / ((dfText.get(t.term) ?? 0) + 1);
      return { ids: t.ids, weight: g > 1 ? t.weight * Math.pow(g, -alpha) : t.weight };
    });
    const pos = maxScoreTopK(index, terms, 10).hits.findIndex((h) => h.doc === docNo.get(q.id));
    if (pos >= 0) s += 1 / (pos + 1);
  }
  return s / queries.length;
}

const grid: [string, Partial<Bm25Params> & { ft_b?: number; name_w?: number; hold_w?: number; hold_b?: number }][] = JSON.parse(
  arg('grid', '[["default",{}]]'),
) as [string, Partial<Bm25Params> & { ft_b?: number; name_w?: number; hold_w?: number; hold_b?: number }][];
const qgrid = JSON.parse(arg('qgrid', '[["default",{}]]')) as [string, Partial<SearcherSettings>][];
const genre = arg('genre', '').split(',').filter(Boolean).map(Number);
for (const [name, g] of grid) {
  const params: Bm25Params = structuredClone(bm25);
  if (g.k1 !== undefined) params.k1 = g.k1;
  if (g.ft_b !== undefined) params.fields.full_text.b = g.ft_b;
  if (g.name_w !== undefined) params.fields.case_name.weight = g.name_w;
  if (g.hold_w !== undefined) params.fields.holdings.weight = g.hold_w;
  if (g.hold_b !== undefined) params.fields.holdings.b = g.hold_b;
  const index = buildIndex(corpus, params, 'tune');
  for (const [qname, q] of qgrid) {
    const engine = new SearchEngine(index, { ...settings, ...q });
    console.log(`${name} ${qname}: similar ${mrr(engine, 'similar').toFixed(4)} auto ${mrr(engine, 'auto').toFixed(4)}`);
  }
  for (const alpha of genre) console.log(`${name} genre alpha=${alpha}: similar ${genreMrr(index, alpha).toFixed(4)}`);
}
