import { PostingsWriter } from './postings/format.js';
import { decodeAll } from './postings/cursor.js';
import { buildKeyIndex, IdIndex, StringColumn, type Segment } from './segment.js';
import { TermDictionary } from './termDictionary.js';

/**
 * Merges segments (in order) into one, leaving out deleted documents:
 * documents are renumbered in order, each term's postings are decoded from
 * every segment that has it, rebased and re-encoded. Impacts are copied, not
 * recomputed: every segment of an index shares its average field lengths, so
 * the merged segment scores exactly as the segments did.
 *
 * `deleted[s]` (optional) marks segment s's deleted documents by local number.
 */
export function mergeSegments(segments: readonly Segment[], name: string, deleted: readonly (Uint8Array | null | undefined)[] = []): Segment {
  const started = performance.now();
  if (segments.length === 0) throw new Error('nothing to merge');
  // New number of every (segment, local) document, −1 when deleted.
  const newDoc: Int32Array[] = [];
  let N = 0;
  segments.forEach((seg, s) => {
    const map = new Int32Array(seg.header.docCount);
    const del = deleted[s];
    for (let d = 0; d < map.length; d++) map[d] = del && del[d] ? -1 : N++;
    newDoc.push(map);
  });

  // Terms in order of first appearance (segment 0's in id order, then the ones segment 1 adds, …).
  const terms: string[] = [];
  const writer = new PostingsWriter();
  const ids = new Int32Array(segments.length);
  let docs = new Uint32Array(1024);
  let imps = new Uint8Array(1024);
  segments.forEach((seg, s) => {
    for (let t = 0; t < seg.dict.size; t++) {
      const term = seg.dict.term(t);
      let seenBefore = false;
      for (let p = 0; p < s && !seenBefore; p++) seenBefore = segments[p]!.dict.lookup(term) >= 0;
      if (seenBefore) continue;
      ids.fill(-1);
      ids[s] = t;
      let df = 0;
      for (let q = s; q < segments.length; q++) {
        if (q > s) ids[q] = segments[q]!.dict.lookup(term);
        if (ids[q]! >= 0) df += segments[q]!.postings.termDf[ids[q]!]!;
      }
      if (df > docs.length) {
        docs = new Uint32Array(df * 2);
        imps = new Uint8Array(df * 2);
      }
      let n = 0;
      for (let q = s; q < segments.length; q++) {
        if (ids[q]! < 0) continue;
        const part = decodeAll(segments[q]!.postings, ids[q]!);
        const map = newDoc[q]!;
        for (let i = 0; i < part.docs.length; i++) {
          const d = map[part.docs[i]!]!;
          if (d < 0) continue;
          docs[n] = d;
          imps[n++] = part.impacts[i]!;
        }
      }
      if (n === 0) continue; // every posting was in a deleted document
      terms.push(term);
      writer.addTerm(docs, imps, 0, n);
    }
  });
  const postings = writer.finish();

  // Documents: columns concatenated without the deleted ones; court and type tables merged.
  const ids_: string[] = [];
  const caseNumbers: string[] = [];
  const caseNames: string[] = [];
  const dates = new Int32Array(N);
  const courtIds = new Uint16Array(N);
  const typeIds = new Uint8Array(N);
  const courts: string[] = [];
  const types: string[] = [];
  const internIn = (list: string[], v: string): number => {
    let i = list.indexOf(v);
    if (i < 0) i = list.push(v) - 1;
    return i;
  };
  segments.forEach((seg, s) => {
    const d = seg.docs;
    const courtMap = d.courts.map((c) => internIn(courts, c));
    const typeMap = d.types.map((t) => internIn(types, t));
    const map = newDoc[s]!;
    for (let i = 0; i < seg.header.docCount; i++) {
      const to = map[i]!;
      if (to < 0) continue;
      ids_.push(d.ids.get(i));
      caseNumbers.push(d.caseNumbers.get(i));
      caseNames.push(d.caseNames.get(i));
      dates[to] = d.dates[i]!;
      courtIds[to] = courtMap[d.courtIds[i]!]!;
      typeIds[to] = typeMap[d.typeIds[i]!]!;
    }
  });
  const idColumn = StringColumn.of(ids_);
  const first = segments[0]!.header;
  return {
    header: {
      name,
      docCount: N,
      termCount: terms.length,
      postingCount: writer.postingCount,
      blockCount: postings.blockLastDoc.length,
      createdAt: new Date().toISOString(),
      buildMs: Math.round(performance.now() - started),
      params: structuredClone(first.params),
      avgFieldLengths: [...first.avgFieldLengths],
      hasPositions: false,
    },
    dict: TermDictionary.build(terms),
    postings,
    docs: {
      ids: idColumn,
      caseNumbers: StringColumn.of(caseNumbers),
      caseNames: StringColumn.of(caseNames),
      dates,
      courtIds,
      courts,
      typeIds,
      types,
      idIndex: IdIndex.build(idColumn, ids_),
      caseKeys: buildKeyIndex(caseNumbers),
    },
  };
}
