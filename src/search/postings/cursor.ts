import { unpack } from './bitpack.js';
import { BLOCK_SIZE, type PostingsData } from './format.js';

/** The document number of an exhausted cursor: larger than any document. */
export const NO_MORE_DOCS = 0x7fffffff;

/**
 * Iterates one term's postings in one segment. `doc` is the current document
 * (NO_MORE_DOCS when exhausted); `impact()` its impact. Blocks are decoded
 * one at a time, only when the cursor lands in them: `advance` finds the
 * target's block from the skip data (the blocks' last documents) and skips
 * the blocks in between without reading them.
 */
export class PostingCursor {
  doc = -1;
  /** Postings of the term in this segment. */
  readonly df: number;
  private block: number;
  private readonly firstBlock: number;
  private readonly endBlock: number;
  /** Index in the decoded block, and its length. */
  private i = 0;
  private n = 0;
  private decoded = -1;
  private readonly docs = new Int32Array(BLOCK_SIZE);
  private readonly imps = new Int32Array(BLOCK_SIZE);

  constructor(
    private readonly p: PostingsData,
    term: number,
  ) {
    this.block = this.firstBlock = p.termBlock[term]!;
    this.endBlock = p.termBlock[term + 1]!;
    this.df = p.termDf[term]!;
    if (this.block < this.endBlock) this.load(this.block, 0);
    else this.doc = NO_MORE_DOCS;
  }

  impact(): number {
    return this.imps[this.i]!;
  }

  /** Moves to the next posting; returns the new current document. */
  next(): number {
    if (++this.i < this.n) return (this.doc = this.docs[this.i]!);
    if (this.block + 1 < this.endBlock) {
      this.load(this.block + 1, 0);
      return this.doc;
    }
    this.i = this.n;
    return (this.doc = NO_MORE_DOCS);
  }

  /** Moves to the first posting with document ≥ target (never backwards); returns it. */
  advance(target: number): number {
    if (this.doc >= target) return this.doc;
    const last = this.p.blockLastDoc;
    if (last[this.block]! < target) {
      // Gallop over the skip data, then binary search: the first block whose last doc ≥ target.
      let lo = this.block + 1;
      if (lo >= this.endBlock) return this.exhaust();
      let step = 1;
      let hi = lo;
      while (hi < this.endBlock && last[hi]! < target) {
        lo = hi + 1;
        hi += step;
        step <<= 1;
      }
      if (hi >= this.endBlock) hi = this.endBlock - 1;
      if (lo > hi || last[hi]! < target) return this.exhaust();
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (last[mid]! < target) lo = mid + 1;
        else hi = mid;
      }
      this.load(lo, 0);
    }
    // The target is in the current block (its last doc ≥ target).
    const docs = this.docs;
    let i = this.i;
    while (docs[i]! < target) i++;
    this.i = i;
    return (this.doc = docs[i]!);
  }

  /** Largest impact in the block that holds (or would hold) `target`, without decoding: the block-max bound. */
  blockMaxAt(target: number): number {
    const last = this.p.blockLastDoc;
    let b = this.block;
    while (b < this.endBlock && last[b]! < target) b++;
    return b < this.endBlock ? this.p.blockMaxImpact[b]! : 0;
  }

  /** Last document of the current block (the end of the range `blockMaxAt` bounds). */
  blockEnd(): number {
    return this.doc === NO_MORE_DOCS ? NO_MORE_DOCS : this.p.blockLastDoc[this.block]!;
  }

  private exhaust(): number {
    this.block = this.endBlock - 1;
    this.i = this.n;
    return (this.doc = NO_MORE_DOCS);
  }

  private load(block: number, i: number): void {
    this.block = block;
    const p = this.p;
    const n = block + 1 < this.endBlock ? BLOCK_SIZE : this.df - (this.endBlock - 1 - this.firstBlock) * BLOCK_SIZE;
    if (this.decoded !== block) {
      const at = p.blockWord[block]!;
      const header = p.words[at]!;
      const gapBits = header & 63;
      const impBits = (header >>> 6) & 63;
      const minImp = header >>> 16;
      const docs = this.docs;
      const imps = this.imps;
      unpack(p.words, at + 1, n, gapBits, docs);
      unpack(p.words, at + 1 + ((n * gapBits + 31) >>> 5), n, impBits, imps);
      let prev = block === this.firstBlock ? -1 : p.blockLastDoc[block - 1]!;
      for (let k = 0; k < n; k++) {
        prev += docs[k]! + 1;
        docs[k] = prev;
        imps[k]! += minImp;
      }
      this.decoded = block;
    }
    this.n = n;
    this.i = i;
    this.doc = this.docs[i]!;
  }
}

/** Every posting of `term` as plain arrays (tests, explain, merging). */
export function decodeAll(p: PostingsData, term: number): { docs: Uint32Array; impacts: Uint8Array } {
  const df = p.termDf[term]!;
  const docs = new Uint32Array(df);
  const impacts = new Uint8Array(df);
  const c = new PostingCursor(p, term);
  for (let k = 0; c.doc !== NO_MORE_DOCS; k++, c.next()) {
    docs[k] = c.doc;
    impacts[k] = c.impact();
  }
  return { docs, impacts };
}
