import { caseNumberKeys } from '../legal/index.js';
import type { Bm25Params } from './params.js';
import type { PostingsData } from './postings/format.js';
import { hashTerm, TermDictionary } from './termDictionary.js';

/**
 * UTF-8 strings end to end with their offsets: string i is
 * bytes[offsets[i] .. offsets[i+1]). Decoded on access (a page of hits reads
 * a few dozen), so a million documents' ids and names are two typed arrays,
 * not three million JavaScript strings to parse at start-up.
 */
export class StringColumn {
  constructor(
    readonly bytes: Buffer,
    readonly offsets: Uint32Array,
  ) {}

  get length(): number {
    return this.offsets.length - 1;
  }

  get(i: number): string {
    return this.bytes.toString('utf8', this.offsets[i], this.offsets[i + 1]);
  }

  static of(values: readonly string[]): StringColumn {
    const offsets = new Uint32Array(values.length + 1);
    let total = 0;
    for (let i = 0; i < values.length; i++) {
      offsets[i] = total;
      total += Buffer.byteLength(values[i]!, 'utf8');
    }
    offsets[values.length] = total;
    const bytes = Buffer.alloc(total);
    for (let i = 0; i < values.length; i++) bytes.write(values[i]!, offsets[i]!, 'utf8');
    return new StringColumn(bytes, offsets);
  }
}

/**
 * Lookup keys → documents of one segment (case numbers in all their
 * written forms): key k's documents are docs[offsets[k] .. offsets[k+1]).
 */
export interface KeyIndex {
  dict: TermDictionary;
  offsets: Uint32Array;
  docs: Uint32Array;
}

/** A segment's documents: display strings, filter columns and lookups, by local document number. */
export interface SegmentDocs {
  ids: StringColumn;
  caseNumbers: StringColumn;
  caseNames: StringColumn;
  /** Decision date as yyyymmdd; 0 when unknown. */
  dates: Int32Array;
  /** Into `courts` / `types`, which are this segment's own tables. */
  courtIds: Uint16Array;
  courts: string[];
  typeIds: Uint8Array;
  types: string[];
  /** Decision id → local document number (see {@link IdIndex}). */
  idIndex: IdIndex;
  /** Case-number lookup keys → local documents. */
  caseKeys: KeyIndex;
}

/** What a segment file says about itself. */
export interface SegmentHeader {
  name: string;
  docCount: number;
  termCount: number;
  postingCount: number;
  blockCount: number;
  createdAt: string;
  buildMs: number;
  params: Bm25Params;
  /** The average field lengths its impacts were computed with (FIELDS order). */
  avgFieldLengths: number[];
  /** Positions (for phrase and proximity matching) are not stored yet; the stream is reserved. */
  hasPositions: false;
}

/**
 * One immutable segment: a term dictionary, block-compressed postings, and
 * its documents, numbered 0 … docCount−1 locally. An index is a list of
 * segments plus deletions (src/search/indexData.ts).
 */
export interface Segment {
  header: SegmentHeader;
  dict: TermDictionary;
  postings: PostingsData;
  docs: SegmentDocs;
}

/**
 * Decision id → local document number: an open-addressing hash table
 * (FNV-1a of the id, load ≤ 0.5) whose slots hold document number + 1; a
 * probe compares with the id column, so the ids are stored once.
 */
export class IdIndex {
  private readonly mask: number;

  constructor(
    readonly slots: Int32Array,
    private readonly ids: StringColumn,
  ) {
    this.mask = slots.length - 1;
  }

  lookup(id: string): number {
    let i = hashTerm(id) & this.mask;
    for (;;) {
      const s = this.slots[i]!;
      if (s === 0) return -1;
      if (this.ids.get(s - 1) === id) return s - 1;
      i = (i + 1) & this.mask;
    }
  }

  static build(ids: StringColumn, values: readonly string[]): IdIndex {
    let size = 1024;
    while (size < values.length * 2) size *= 2;
    const slots = new Int32Array(size);
    const mask = size - 1;
    for (let d = 0; d < values.length; d++) {
      let i = hashTerm(values[d]!) & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = d + 1;
    }
    return new IdIndex(slots, ids);
  }
}

/** The case-number key index of a segment's case numbers. */
export function buildKeyIndex(caseNumbers: readonly string[]): KeyIndex {
  const byKey = new Map<string, number[]>();
  for (let d = 0; d < caseNumbers.length; d++) {
    for (const key of caseNumberKeys(caseNumbers[d]!)) {
      const list = byKey.get(key);
      if (list) list.push(d);
      else byKey.set(key, [d]);
    }
  }
  const keys = [...byKey.keys()];
  const offsets = new Uint32Array(keys.length + 1);
  let total = 0;
  keys.forEach((k, i) => {
    offsets[i] = total;
    total += byKey.get(k)!.length;
  });
  offsets[keys.length] = total;
  const docs = new Uint32Array(total);
  keys.forEach((k, i) => docs.set(byKey.get(k)!, offsets[i]));
  return { dict: TermDictionary.build(keys), offsets, docs };
}

/** Local documents with lookup key `key` in `index`. */
export function keyDocs(index: KeyIndex, key: string): Uint32Array {
  const k = index.dict.lookup(key);
  return k < 0 ? new Uint32Array(0) : index.docs.subarray(index.offsets[k], index.offsets[k + 1]);
}
