import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildIndex, type IndexableDocument } from './builder.js';
import type { SearchIndex } from './indexData.js';
import { bruteForceScores, conjunctive, maxScoreTopK, termIds, type DocFilter, type ScoringTerm } from './retrieval.js';
import { TEST_PARAMS } from './testing.js';

// A small alphabet makes terms repeat across documents, so posting lists of
// very different lengths (the case MaxScore prunes) arise naturally.
const SYLLABLES = ['가', '나', '다', '라', '마', '바', '사', '아', '자', '차', '카', '타'];
const word = fc.array(fc.constantFrom(...SYLLABLES), { minLength: 1, maxLength: 4 }).map((s) => s.join(''));
const text = fc.array(word, { minLength: 0, maxLength: 40 }).map((w) => w.join(' '));
const doc = fc.record({ name: text, holdings: fc.option(text), body: text });
const corpus = fc.array(doc, { minLength: 1, maxLength: 120 });

function index(docs: { name: string; holdings: string | null; body: string }[]): SearchIndex {
  const input: IndexableDocument[] = docs.map((d, i) => ({
    id: `d${i}`,
    case_number: `${i}다${i}`,
    court: i % 3 === 0 ? '대법원' : '서울고등법원',
    decision_date: `20${String(10 + (i % 10))}-01-01`,
    case_name: d.name,
    case_type: i % 2 ? '민사' : '형사',
    holdings: d.holdings,
    summary: null,
    full_text: d.body,
  }));
  // Three segments (two when there are few documents): the algorithms run segment by segment with one heap.
  return buildIndex(input, TEST_PARAMS, 'test', { segmentDocs: Math.max(1, Math.ceil(input.length / 3)) });
}

/** Every distinct term of the index, in a stable order. */
function allTerms(ix: SearchIndex): string[] {
  const set = new Set<string>();
  for (const seg of ix.segments) for (let t = 0; t < seg.dict.size; t++) set.add(seg.dict.term(t));
  return [...set].sort();
}

/** Random query terms over the index's dictionary, with random positive weights. */
function pickTerms(ix: SearchIndex, picks: number[], weights: number[]): (ScoringTerm & { term: string })[] {
  const terms = allTerms(ix);
  if (terms.length === 0) return [];
  const chosen = [...new Set(picks.map((p) => terms[p % terms.length]!))];
  return chosen.map((term, i) => ({ term, ids: termIds(ix, term), weight: weights[i % weights.length]! }));
}

const EPS = 1e-9;

/** The returned hits are a valid top k: same size, same score multiset as brute force (within float error). */
function expectValidTopK(actual: { doc: number; score: number }[], reference: { doc: number; score: number }[], k: number): void {
  const want = reference.slice(0, k);
  expect(actual.length).toBe(want.length);
  const byDoc = new Map(reference.map((r) => [r.doc, r.score]));
  actual.forEach((h, i) => {
    expect(Math.abs(h.score - want[i]!.score)).toBeLessThan(EPS * Math.max(1, want[i]!.score));
    // The document really has the score reported.
    expect(Math.abs(byDoc.get(h.doc)! - h.score)).toBeLessThan(EPS * Math.max(1, h.score));
  });
}

describe('MaxScore top-k equals brute-force scoring', () => {
  it('on random corpora and queries', () => {
    fc.assert(
      fc.property(
        corpus,
        fc.array(fc.nat(), { minLength: 1, maxLength: 30 }),
        fc.array(fc.double({ min: 0.01, max: 5, noNaN: true }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 25 }),
        (docs, picks, weights, k) => {
          const ix = index(docs);
          const terms = pickTerms(ix, picks, weights);
          const got = maxScoreTopK(ix, terms, k).hits;
          expectValidTopK(got, bruteForceScores(ix, terms), k);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('with a filter', () => {
    fc.assert(
      fc.property(
        corpus,
        fc.array(fc.nat(), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 2, max: 5 }),
        (docs, picks, k, mod) => {
          const ix = index(docs);
          const terms = pickTerms(ix, picks, [1, 0.5, 2]);
          const filter: DocFilter = (d) => d % mod === 0;
          expectValidTopK(maxScoreTopK(ix, terms, k, filter).hits, bruteForceScores(ix, terms, { filter }), k);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('prunes: on a skewed corpus it evaluates fewer documents than contain a query term', () => {
    // 3000 documents share a common term; 30 also contain a rare, heavy one.
    const docs = Array.from({ length: 3000 }, (_, i) => ({ name: '', holdings: null, body: i % 100 === 0 ? '가나 다라마' : '가나' }));
    const ix = index(docs);
    expect(ix.segments.length).toBe(3);
    const terms = [
      { ids: termIds(ix, '가나'), weight: 0.01 },
      { ids: termIds(ix, '라마'), weight: 1 },
    ];
    const r = maxScoreTopK(ix, terms, 10);
    expectValidTopK(r.hits, bruteForceScores(ix, terms), 10);
    expect(r.evaluated).toBeLessThan(3000);
  });
});

describe('conjunctive matching equals brute force', () => {
  it('matches exactly the documents containing every required term, ranked the same', () => {
    fc.assert(
      fc.property(
        corpus,
        fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { minLength: 0, maxLength: 6 }),
        fc.integer({ min: 1, max: 15 }),
        (docs, reqPicks, optPicks, k) => {
          const ix = index(docs);
          const required = pickTerms(ix, reqPicks, [1, 2]);
          const optional = pickTerms(ix, optPicks, [0.5, 3]).filter((o) => !required.some((r) => r.term === o.term));
          const ref = bruteForceScores(ix, optional, { required });
          const got = conjunctive(ix, required, optional, k);
          expect(got.total).toBe(ref.length);
          expectValidTopK(got.hits, ref, k);
          const all = conjunctive(ix, required, optional, k, { collectAll: true });
          expect(new Set(all.all!.map((h) => h.doc))).toEqual(new Set(ref.map((h) => h.doc)));
        },
      ),
      { numRuns: 300 },
    );
  });
});
