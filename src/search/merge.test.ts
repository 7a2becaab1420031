import { describe, expect, it } from 'vitest';
import { readSample } from '../../test/helpers.js';
import { buildIndex } from './builder.js';
import { assembleIndex, docId, findDocById, type SearchIndex } from './indexData.js';
import { mergeSegments } from './merge.js';
import { decodeAll } from './postings/cursor.js';
import { bruteForceScores, maxScoreTopK, termIds, type ScoringTerm } from './retrieval.js';
import { TEST_PARAMS, toIndexable } from './testing.js';

const docs = readSample().map(toIndexable);
const QUERY = ['취득', '시효', '손해', '배상', '소유', '계약', '해제', '사기', '고의', '판결'];

function terms(ix: SearchIndex): ScoringTerm[] {
  return QUERY.map((t, i) => ({ ids: termIds(ix, t), weight: 1 + (i % 3) }));
}

/** Every posting of the index as (decision id, term) → impact. */
function postingsById(ix: SearchIndex): Map<string, number> {
  const out = new Map<string, number>();
  ix.segments.forEach((seg, s) => {
    for (let t = 0; t < seg.dict.size; t++) {
      const { docs: d, impacts } = decodeAll(seg.postings, t);
      const term = seg.dict.term(t);
      d.forEach((local, i) => {
        const doc = ix.bases[s]! + local;
        if (!ix.deleted || ix.deleted[doc] === 0) out.set(`${docId(ix, doc)} ${term}`, impacts[i]!);
      });
    }
  });
  return out;
}

describe('merging segments', () => {
  const multi = buildIndex(docs, TEST_PARAMS, 'v', { segmentDocs: 70 });

  it('keeps every posting and impact, and the same top-k', () => {
    expect(multi.segments.length).toBe(5);
    const merged = assembleIndex(multi.header, [mergeSegments(multi.segments, 'm')]);
    expect(merged.header.docCount).toBe(300);
    expect(merged.header.postingCount).toBe(multi.header.postingCount);
    expect(postingsById(merged)).toEqual(postingsById(multi));
    for (const k of [1, 10, 50]) expect(maxScoreTopK(merged, terms(merged), k).hits).toEqual(maxScoreTopK(multi, terms(multi), k).hits);
    expect(findDocById(merged, docs[250]!.id)).toBe(250);
  });

  it('leaves deleted documents out: the merged index answers as the deletions did', () => {
    const deleted = multi.segments.map((seg) => Uint8Array.from({ length: seg.header.docCount }, (_, d) => (d % 3 === 0 ? 1 : 0)));
    const withDeletions = assembleIndex(multi.header, multi.segments, deleted);
    const merged = assembleIndex(multi.header, [mergeSegments(multi.segments, 'm', deleted)]);
    expect(merged.header.docCount).toBe(300 - deleted.reduce((s, d) => s + d.reduce((a, b) => a + b, 0), 0));
    expect(postingsById(merged)).toEqual(postingsById(withDeletions));
    const live = (d: number): boolean => withDeletions.deleted![d] === 0;
    const want = bruteForceScores(withDeletions, terms(withDeletions), { filter: live }).slice(0, 20);
    const got = maxScoreTopK(merged, terms(merged), 20).hits;
    expect(got.map((h) => docId(merged, h.doc))).toEqual(want.map((h) => docId(withDeletions, h.doc)));
    expect(got.map((h) => h.score)).toEqual(want.map((h) => h.score));
    expect(findDocById(merged, docs[0]!.id)).toBeUndefined(); // deleted (local 0 of segment 0)
  });
});

describe('bounded-memory build', () => {
  it('writes out a segment at the budget, and merging them answers as one build with the same averages', () => {
    const flushes: number[] = [];
    const split = buildIndex(docs, TEST_PARAMS, 'v', { memoryBudgetBytes: 1, onSegment: (e) => e.kind === 'flush' && flushes.push(e.docs) });
    // A budget of 1 byte: a segment every 64 documents (the budget is checked every 64).
    expect(split.segments.map((s) => s.header.docCount)).toEqual([64, 64, 64, 64, 44]);
    expect(flushes).toEqual([64, 64, 64, 64, 44]);
    const events: string[] = [];
    const one = buildIndex(docs, TEST_PARAMS, 'v', { memoryBudgetBytes: 1, maxSegments: 1, onSegment: (e) => events.push(e.kind) });
    expect(one.segments.length).toBe(1);
    expect(events.at(-1)).toBe('merge');
    expect(one.header.avgFieldLengths).toEqual(split.header.avgFieldLengths);
    expect(postingsById(one)).toEqual(postingsById(split));
    expect(maxScoreTopK(one, terms(one), 10).hits).toEqual(maxScoreTopK(split, terms(split), 10).hits);
  });
});
