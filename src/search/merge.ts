import { unpack } from './postings/bitpack.js';
import { BLOCK_SIZE, PostingsWriter, type PostingsData } from './postings/format.js';
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

  // Merged term ids in order of first appearance (segment 0's in id order, then the terms segment 1
  // adds, …): one map lookup per (segment, term), then per merged term the segments that hold it.
  const mergedOf = new Map<string, number>();
  const terms: string[] = [];
  const toMerged = segments.map((seg) => {
    const map = new Int32Array(seg.dict.size);
    for (let t = 0; t < map.length; t++) {
      const term = seg.dict.term(t);
      let m = mergedOf.get(term);
      if (m === undefined) {
        m = terms.push(term) - 1;
        mergedOf.set(term, m);
      }
      map[t] = m;
    }
    return map;
  });
  mergedOf.clear();
  const M = terms.length;
  // CSR: the (segment, local term) entries of merged term m are at entryStart[m] .. entryStart[m+1], in segment order.
  const entryStart = new Uint32Array(M + 1);
  for (const map of toMerged) for (const m of map) entryStart[m + 1]!++;
  for (let m = 0; m < M; m++) entryStart[m + 1]! += entryStart[m]!;
  const fill = entryStart.slice(0, M);
  const entrySeg = new Uint16Array(entryStart[M]!);
  const entryTerm = new Uint32Array(entryStart[M]!);
  toMerged.forEach((map, s) => {
    for (let t = 0; t < map.length; t++) {
      const at = fill[map[t]!]!++;
      entrySeg[at] = s;
      entryTerm[at] = t;
    }
  });

  const writer = new PostingsWriter();
  const kept: string[] = [];
  let docs = new Uint32Array(1024);
  let imps = new Uint8Array(1024);
  for (let m = 0; m < M; m++) {
    let df = 0;
    for (let e = entryStart[m]!; e < entryStart[m + 1]!; e++) df += segments[entrySeg[e]!]!.postings.termDf[entryTerm[e]!]!;
    if (df > docs.length) {
      docs = new Uint32Array(df * 2);
      imps = new Uint8Array(df * 2);
    }
    let n = 0;
    for (let e = entryStart[m]!; e < entryStart[m + 1]!; e++) {
      n = appendPostings(segments[entrySeg[e]!]!.postings, entryTerm[e]!, newDoc[entrySeg[e]!]!, docs, imps, n);
    }
    if (n === 0) continue; // every posting was in a deleted document
    kept.push(terms[m]!);
    writer.addTerm(docs, imps, 0, n);
  }
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
      termCount: kept.length,
      postingCount: writer.postingCount,
      blockCount: postings.blockLastDoc.length,
      createdAt: new Date().toISOString(),
      buildMs: Math.round(performance.now() - started),
      params: structuredClone(first.params),
      avgFieldLengths: [...first.avgFieldLengths],
      hasPositions: false,
    },
    dict: TermDictionary.build(kept),
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

const scratchGaps = new Int32Array(BLOCK_SIZE);
const scratchImps = new Int32Array(BLOCK_SIZE);

/**
 * Decodes `term`'s postings block by block and appends them at `n`, each
 * document renumbered through `map` (−1: deleted, left out). Returns the new length.
 */
function appendPostings(p: PostingsData, term: number, map: Int32Array, docs: Uint32Array, imps: Uint8Array, n: number): number {
  const first = p.termBlock[term]!;
  const end = p.termBlock[term + 1]!;
  let left = p.termDf[term]!;
  let prev = -1;
  for (let b = first; b < end; b++) {
    const count = Math.min(BLOCK_SIZE, left);
    left -= count;
    const at = p.blockWord[b]!;
    const header = p.words[at]!;
    const gapBits = header & 63;
    const impBits = (header >>> 6) & 63;
    const minImp = header >>> 16;
    unpack(p.words, at + 1, count, gapBits, scratchGaps);
    unpack(p.words, at + 1 + ((count * gapBits + 31) >>> 5), count, impBits, scratchImps);
    for (let k = 0; k < count; k++) {
      prev += scratchGaps[k]! + 1;
      const d = map[prev]!;
      if (d < 0) continue;
      docs[n] = d;
      imps[n++] = scratchImps[k]! + minImp;
    }
  }
  return n;
}
