import { COURT_LEVELS, courtLevelOf } from '../legal/index.js';
import type { Bm25Params } from './params.js';
import type { Segment } from './segment.js';
import { keyDocs } from './segment.js';

/** Bumped whenever the on-disk layout changes; older files are rebuilt. */
export const INDEX_FORMAT_VERSION = 2;

/** What the index says about itself (the manifest, and the sum of its segments). */
export interface IndexHeader {
  formatVersion: number;
  tokenizerVersion: number;
  /** The corpus version (store.corpusVersion()) the index was built from. */
  corpusVersion: string;
  createdAt: string;
  buildMs: number;
  /** Documents over all segments, deleted ones included (the N of idf, as in Lucene). */
  docCount: number;
  /** Distinct terms per segment, summed (a term in two segments counts twice). */
  termCount: number;
  postingCount: number;
  params: Bm25Params;
  /** Average field length in tokens, per field (FIELDS order): what impacts were computed with. */
  avgFieldLengths: number[];
}

/**
 * Per-document columns over the whole index, by global document number (a
 * segment's documents follow the previous segment's): what filters and
 * date sorting read on every candidate, so they are flat typed arrays. Court
 * and type ids index the index-wide `courts` / `types` tables.
 */
export interface DocColumns {
  dates: Int32Array;
  courtIds: Uint16Array;
  courts: string[];
  typeIds: Uint8Array;
  types: string[];
  /** Index into COURT_LEVELS, derived from the court name. */
  levelIds: Uint8Array;
}

/**
 * A loaded (or freshly built) search index: segments in order, the global
 * document number where each begins, and which documents are deleted
 * (replaced by a later segment).
 */
export interface SearchIndex {
  header: IndexHeader;
  segments: readonly Segment[];
  /** bases[s] = global number of segment s's document 0; bases[segments.length] = docCount. */
  bases: Uint32Array;
  /** 1 = deleted, by global document number; null when nothing is deleted. */
  deleted: Uint8Array | null;
  docs: DocColumns;
}

/** The segment holding global document `doc`, and the document's number in it. */
export function locate(ix: SearchIndex, doc: number): { seg: Segment; s: number; local: number } {
  const b = ix.bases;
  let lo = 0;
  let hi = ix.segments.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (b[mid]! <= doc) lo = mid;
    else hi = mid - 1;
  }
  return { seg: ix.segments[lo]!, s: lo, local: doc - b[lo]! };
}

export function docId(ix: SearchIndex, doc: number): string {
  const { seg, local } = locate(ix, doc);
  return seg.docs.ids.get(local);
}

export function docCaseNumber(ix: SearchIndex, doc: number): string {
  const { seg, local } = locate(ix, doc);
  return seg.docs.caseNumbers.get(local);
}

export function docCaseName(ix: SearchIndex, doc: number): string {
  const { seg, local } = locate(ix, doc);
  return seg.docs.caseNames.get(local);
}

/** Global number of the live document with decision id `id`, or undefined. */
export function findDocById(ix: SearchIndex, id: string): number | undefined {
  // Newest segment first: an id replaced by a later import lives there.
  for (let s = ix.segments.length - 1; s >= 0; s--) {
    const local = ix.segments[s]!.docs.idIndex.lookup(id);
    if (local < 0) continue;
    const doc = ix.bases[s]! + local;
    if (!ix.deleted || ix.deleted[doc] === 0) return doc;
  }
  return undefined;
}

/** Live global documents with case-number lookup key `key`, ascending. */
export function findDocsByCaseKey(ix: SearchIndex, key: string): number[] {
  const out: number[] = [];
  ix.segments.forEach((seg, s) => {
    for (const local of keyDocs(seg.docs.caseKeys, key)) {
      const doc = ix.bases[s]! + local;
      if (!ix.deleted || ix.deleted[doc] === 0) out.push(doc);
    }
  });
  return out;
}

/**
 * Puts segments together into one index: global numbering, the index-wide
 * court and type tables, the concatenated filter columns, and the deletions
 * (per segment, by local number) as one global mask.
 */
export function assembleIndex(
  header: Omit<IndexHeader, 'docCount' | 'termCount' | 'postingCount'>,
  segments: readonly Segment[],
  deletions: readonly (Uint8Array | null)[] = [],
): SearchIndex {
  const bases = new Uint32Array(segments.length + 1);
  let N = 0;
  let T = 0;
  let P = 0;
  segments.forEach((seg, s) => {
    bases[s] = N;
    N += seg.header.docCount;
    T += seg.header.termCount;
    P += seg.header.postingCount;
  });
  bases[segments.length] = N;
  const courts: string[] = [];
  const types: string[] = [];
  const courtIndex = new Map<string, number>();
  const typeIndex = new Map<string, number>();
  const intern = (map: Map<string, number>, list: string[], v: string): number => {
    let id = map.get(v);
    if (id === undefined) {
      id = list.length;
      map.set(v, id);
      list.push(v);
    }
    return id;
  };
  const dates = new Int32Array(N);
  const courtIds = new Uint16Array(N);
  const typeIds = new Uint8Array(N);
  let deleted: Uint8Array | null = null;
  segments.forEach((seg, s) => {
    const base = bases[s]!;
    const d = seg.docs;
    dates.set(d.dates, base);
    const courtMap = d.courts.map((c) => intern(courtIndex, courts, c));
    const typeMap = d.types.map((t) => intern(typeIndex, types, t));
    for (let i = 0; i < seg.header.docCount; i++) {
      courtIds[base + i] = courtMap[d.courtIds[i]!]!;
      typeIds[base + i] = typeMap[d.typeIds[i]!]!;
    }
    const del = deletions[s];
    if (del) {
      deleted ??= new Uint8Array(N);
      deleted.set(del.subarray(0, seg.header.docCount), base);
    }
  });
  const levelOfCourt = courts.map((c) => COURT_LEVELS.indexOf(courtLevelOf(c)));
  const levelIds = new Uint8Array(N);
  for (let i = 0; i < N; i++) levelIds[i] = levelOfCourt[courtIds[i]!]!;
  return {
    header: { ...header, docCount: N, termCount: T, postingCount: P },
    segments,
    bases,
    deleted,
    docs: { dates, courtIds, courts, typeIds, types, levelIds },
  };
}
