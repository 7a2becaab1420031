import { bitsFor, pack, packedWords } from './bitpack.js';

/**
 * Block-compressed postings of one segment (the Lucene/tantivy layout, with
 * impacts in place of term frequencies).
 *
 * A term's postings (document numbers ascending, one impact each) are cut
 * into blocks of {@link BLOCK_SIZE}; the last block of a term may be shorter.
 * Each block is stored in `words` as
 *
 *   header word   bits 0–5: bits per document gap, 6–11: bits per impact,
 *                 16–23: the block's smallest impact (frame of reference)
 *   gaps          doc − previous doc − 1, bit-packed (the previous doc of a
 *                 term's first block is −1, of a later block the last doc of
 *                 the block before)
 *   impacts       impact − smallest impact, bit-packed
 *
 * Beside the blocks, uncompressed skip data: per block its last document,
 * its first word and its largest impact (the block-max score bound), and per
 * term its first block, its document frequency and its largest impact. A
 * cursor finds a target's block from the skip data and decodes only that
 * block. Positions (whole-word, phrase and proximity matching) will be a
 * stream of their own with per-block offsets of its own, so a query that
 * needs none never reads them.
 */
export const BLOCK_SIZE = 128;

export interface PostingsData {
  /** The packed blocks. */
  words: Uint32Array;
  /** Per block: last document, first word in `words`, largest impact. */
  blockLastDoc: Uint32Array;
  blockWord: Uint32Array;
  blockMaxImpact: Uint8Array;
  /** Per term: its blocks are termBlock[t] .. termBlock[t + 1). */
  termBlock: Uint32Array;
  termDf: Uint32Array;
  termMaxImpact: Uint8Array;
}

type Growable<T extends Uint32Array | Uint8Array> = { a: T; n: number };

function grow<T extends Uint32Array | Uint8Array>(g: Growable<T>, extra: number, make: (n: number) => T): void {
  if (g.n + extra <= g.a.length) return;
  let cap = Math.max(1024, g.a.length * 2);
  while (cap < g.n + extra) cap *= 2;
  const next = make(cap);
  next.set(g.a.subarray(0, g.n));
  g.a = next;
}

/**
 * Writes terms' postings in term order (term 0 first). Memory is what the
 * compressed output needs, plus one block of scratch.
 */
export class PostingsWriter {
  private readonly words: Growable<Uint32Array> = { a: new Uint32Array(1 << 12), n: 0 };
  private readonly lastDoc: Growable<Uint32Array> = { a: new Uint32Array(1 << 12), n: 0 };
  private readonly blockWord: Growable<Uint32Array> = { a: new Uint32Array(1 << 12), n: 0 };
  private readonly blockMax: Growable<Uint8Array> = { a: new Uint8Array(1 << 12), n: 0 };
  private readonly termBlock: Growable<Uint32Array> = { a: new Uint32Array(1 << 12), n: 0 };
  private readonly termDf: Growable<Uint32Array> = { a: new Uint32Array(1 << 12), n: 0 };
  private readonly termMax: Growable<Uint8Array> = { a: new Uint8Array(1 << 12), n: 0 };
  private readonly gaps = new Uint32Array(BLOCK_SIZE);
  private readonly imps = new Uint32Array(BLOCK_SIZE);
  private postings = 0;

  get postingCount(): number {
    return this.postings;
  }

  get termCount(): number {
    return this.termDf.n;
  }

  /** Appends the next term's postings: docs[start .. end) ascending, impacts beside them (1 … IMPACT_SCALE = 255). */
  addTerm(docs: ArrayLike<number>, impacts: ArrayLike<number>, start: number, end: number): void {
    const df = end - start;
    const u32 = (n: number) => new Uint32Array(n);
    const u8 = (n: number) => new Uint8Array(n);
    grow(this.termBlock, 1, u32);
    grow(this.termDf, 1, u32);
    grow(this.termMax, 1, u8);
    this.termBlock.a[this.termBlock.n++] = this.lastDoc.n;
    this.termDf.a[this.termDf.n++] = df;
    let termMax = 0;
    let prev = -1;
    for (let b = start; b < end; b += BLOCK_SIZE) {
      const n = Math.min(BLOCK_SIZE, end - b);
      let maxGap = 0;
      let minImp = 0xffff;
      let maxImp = 0;
      for (let i = 0; i < n; i++) {
        const d = docs[b + i]!;
        if (impacts[b + i]! > 255) throw new Error(`impact ${impacts[b + i]!} above 255 at ${b + i}`);
        const gap = d - prev - 1;
        if (gap < 0) throw new Error(`postings not ascending at ${b + i}: ${d} after ${prev}`);
        this.gaps[i] = gap;
        if (gap > maxGap) maxGap = gap;
        prev = d;
        const m = impacts[b + i]!;
        this.imps[i] = m;
        if (m < minImp) minImp = m;
        if (m > maxImp) maxImp = m;
      }
      for (let i = 0; i < n; i++) this.imps[i]! -= minImp;
      const gapBits = bitsFor(maxGap);
      const impBits = bitsFor(maxImp - minImp);
      const need = 1 + packedWords(n, gapBits) + packedWords(n, impBits);
      grow(this.words, need, u32);
      grow(this.lastDoc, 1, u32);
      grow(this.blockWord, 1, u32);
      grow(this.blockMax, 1, u8);
      const at = this.words.n;
      const w = this.words.a;
      w[at] = (gapBits | (impBits << 6) | (minImp << 16)) >>> 0;
      let p = at + 1;
      p += pack(this.gaps, n, gapBits, w, p);
      p += pack(this.imps, n, impBits, w, p);
      this.words.n = p;
      this.lastDoc.a[this.lastDoc.n++] = prev;
      this.blockWord.a[this.blockWord.n++] = at;
      this.blockMax.a[this.blockMax.n++] = maxImp;
      if (maxImp > termMax) termMax = maxImp;
    }
    this.termMax.a[this.termMax.n++] = termMax;
    this.postings += df;
  }

  /** The finished postings (trimmed copies). */
  finish(): PostingsData {
    grow(this.termBlock, 1, (n) => new Uint32Array(n));
    const termBlock = this.termBlock.a.slice(0, this.termBlock.n + 1);
    termBlock[this.termBlock.n] = this.lastDoc.n;
    return {
      words: this.words.a.slice(0, this.words.n),
      blockLastDoc: this.lastDoc.a.slice(0, this.lastDoc.n),
      blockWord: this.blockWord.a.slice(0, this.blockWord.n),
      blockMaxImpact: this.blockMax.a.slice(0, this.blockMax.n),
      termBlock,
      termDf: this.termDf.a.slice(0, this.termDf.n),
      termMaxImpact: this.termMax.a.slice(0, this.termMax.n),
    };
  }
}
