/**
 * The term dictionary as stored on disk: an open-addressing hash table of term
 * ids over the terms' UTF-16 code units. It is used in place (zero-copy views
 * into the index file), so loading the index does not rebuild a Map of
 * hundreds of thousands of strings.
 */

/** FNV-1a over UTF-16 code units, 32-bit. Stable across versions: it is part of the file format. */
export function hashTerm(term: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < term.length; i++) {
    h ^= term.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class TermDictionary {
  private readonly mask: number;

  /**
   * @param slots  hash table, power-of-two length; term id + 1, 0 = empty
   * @param offsets term i occupies chars[offsets[i] .. offsets[i+1])
   * @param chars  all terms' code units, concatenated
   */
  constructor(
    readonly slots: Int32Array,
    readonly offsets: Uint32Array,
    readonly chars: Uint16Array,
  ) {
    this.mask = slots.length - 1;
  }

  get size(): number {
    return this.offsets.length - 1;
  }

  /** Id of `term`, or -1 when the index has never seen it. */
  lookup(term: string): number {
    const { slots, offsets, chars } = this;
    let i = hashTerm(term) & this.mask;
    for (;;) {
      const s = slots[i]!;
      if (s === 0) return -1;
      const id = s - 1;
      const start = offsets[id]!;
      if (offsets[id + 1]! - start === term.length) {
        let k = 0;
        while (k < term.length && chars[start + k] === term.charCodeAt(k)) k++;
        if (k === term.length) return id;
      }
      i = (i + 1) & this.mask;
    }
  }

  /** The text of term `id`. */
  term(id: number): string {
    return String.fromCharCode(...this.chars.subarray(this.offsets[id], this.offsets[id + 1]));
  }

  /** Builds the stored form from terms in id order. */
  static build(terms: readonly string[]): TermDictionary {
    let total = 0;
    for (const t of terms) total += t.length;
    const offsets = new Uint32Array(terms.length + 1);
    const chars = new Uint16Array(total);
    let pos = 0;
    for (let id = 0; id < terms.length; id++) {
      const t = terms[id]!;
      offsets[id] = pos;
      for (let k = 0; k < t.length; k++) chars[pos + k] = t.charCodeAt(k);
      pos += t.length;
    }
    offsets[terms.length] = pos;
    // Load factor ≤ 0.5 keeps probe sequences short.
    let size = 1024;
    while (size < terms.length * 2) size *= 2;
    const slots = new Int32Array(size);
    const mask = size - 1;
    for (let id = 0; id < terms.length; id++) {
      let i = hashTerm(terms[id]!) & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = id + 1;
    }
    return new TermDictionary(slots, offsets, chars);
  }
}
