/**
 * Speech-level robustness of similar-case search: the same case description
 * written in the plain style of decisions (했다, 이다) and in the polite style
 * people use when they describe a case (했습니다, 입니다) should find the same
 * similar decisions. Queries: the 60 long passages of bench/search.bench.ts
 * (300–2,000 characters of decisions' reasons); each is turned polite by
 * rewriting its sentence-final endings, then searched with and without the
 * query-side rewrite back to the plain style (src/text/register.ts).
 *
 *   npx tsx bench/register.bench.ts [--queries 60]
 *
 * Reports, per variant: how often the passage's own decision is first, how
 * many of the plain-style query's top 10 the polite query also returns, and
 * how many of the selected query terms are polite-ending fragments.
 */
import { loadConfig } from '../src/config/index.js';
import { searchParamsOf } from '../src/app/index.js';
import { buildIndex, planQuery, type SearchIndex } from '../src/search/index.js';
import { maxScoreTopK } from '../src/search/retrieval.js';
import { arg, hashOrder, loadDevCorpus, median } from './corpus.js';

const nQueries = Number(arg('queries', '60'));
const { bm25, settings } = searchParamsOf(loadConfig({ env: {} }));
const docs = loadDevCorpus();
const docNo = new Map(docs.map((d, i) => [d.id, i]));
// The same long queries as bench/search.bench.ts.
const sources = hashOrder(docs)
  .slice(1000)
  .filter((d) => d.full_text.length > 2500)
  .slice(0, nQueries);
const plain = sources.map((d, i) => d.full_text.slice(200, 200 + 300 + ((i * 97) % 1700)));

const BASE = 0xac00;
/** 했다. → 했습니다.  한다. → 합니다.  이다. → 입니다. (sentence-final only) */
function toPolite(text: string): string {
  return text.replace(/([가-힣])다(?=[.?!]|\s*$)/gu, (_, s: string) => {
    const code = s.charCodeAt(0) - BASE;
    const jong = code % 28;
    if (jong === 0) return `${String.fromCharCode(BASE + code + 17)}니다`; // 이다 → 입니다
    if (jong === 4) return `${String.fromCharCode(BASE + code - 4 + 17)}니다`; // 한다 → 합니다
    return `${s}습니다`; // 했다 → 했습니다
  });
}
const polite = plain.map(toPolite);

const POLITE_FRAGMENTS = /습니|니다|니까|입니|합니|됩니|있습|었습|았습|였습|했습|겠습/u;

const t0 = performance.now();
const index: SearchIndex = buildIndex(docs, bm25, 'register');
console.error(`index built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

function run(q: string, plainStyle: boolean): { top: number[]; politeTerms: number } {
  const plan = planQuery(index, q, 'similar', settings, { plainStyle });
  return { top: maxScoreTopK(index, plan.terms, 10).hits.map((h) => h.doc), politeTerms: plan.terms.filter((t) => POLITE_FRAGMENTS.test(t.term)).length };
}

interface Row {
  first: number;
  overlap: number[];
  politeTerms: number[];
}
const rows: Record<string, Row> = {};
const reference = plain.map((q) => run(q, true).top);
const variants: [string, string[], boolean][] = [
  ['plain-style passage (reference)', plain, true],
  ['polite passage, searched as written', polite, false],
  ['polite passage, endings rewritten to plain (default)', polite, true],
];
for (const [name, queries, plainStyle] of variants) {
  const row: Row = { first: 0, overlap: [], politeTerms: [] };
  queries.forEach((q, i) => {
    const r = run(q, plainStyle);
    if (r.top[0] === docNo.get(sources[i]!.id)) row.first++;
    row.overlap.push(r.top.filter((d) => reference[i]!.includes(d)).length / Math.max(1, reference[i]!.length));
    row.politeTerms.push(r.politeTerms);
  });
  rows[name] = row;
}

const changed = polite.filter((q, i) => q !== plain[i]).length;
console.log(`\nSpeech level (${plain.length} long queries; ${changed} had sentence endings to rewrite)\n`);
console.log('| query | own decision first | top-10 overlap with the reference (median / mean) | selected terms that are polite-ending fragments (mean) |');
console.log('| --- | ---: | ---: | ---: |');
for (const [name, r] of Object.entries(rows)) {
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(
    `| ${name} | ${r.first} / ${plain.length} | ${median(r.overlap).toFixed(2)} / ${mean(r.overlap).toFixed(2)} | ${mean(r.politeTerms).toFixed(2)} |`,
  );
}
