/**
 * Bit packing of small unsigned integers into 32-bit words: `n` values of
 * `bits` bits each, least significant bits first, as one continuous bit
 * stream starting at a word boundary. It is the storage of the postings
 * blocks (frame of reference: document gaps and impacts minus the block's
 * minimum), so it is written by hand: no maintained JavaScript library packs
 * integer blocks into an existing typed array (the npm varint codecs are
 * byte-oriented, one value at a time, and several times slower to decode).
 */

/** Number of bits needed to store `max` (0 for 0). */
export function bitsFor(max: number): number {
  return max === 0 ? 0 : 32 - Math.clz32(max);
}

/** Words needed to hold `n` values of `bits` bits. */
export function packedWords(n: number, bits: number): number {
  return (n * bits + 31) >>> 5;
}

/**
 * Writes `values[0 .. n)` (each < 2^bits) into `out` from word `at`; returns
 * the number of words written. Words are overwritten, not or-ed into.
 */
export function pack(values: ArrayLike<number>, n: number, bits: number, out: Uint32Array, at: number): number {
  if (bits === 0 || n === 0) return 0;
  const words = packedWords(n, bits);
  let w = at;
  let acc = 0;
  let used = 0; // bits of `acc` already filled
  for (let i = 0; i < n; i++) {
    const v = values[i]! >>> 0;
    acc |= v << used;
    used += bits;
    if (used >= 32) {
      out[w++] = acc >>> 0;
      used -= 32;
      // The bits of v that did not fit (none when used === 0: v << 32 would wrap).
      acc = used === 0 ? 0 : v >>> (bits - used);
    }
  }
  if (used > 0) out[w] = acc >>> 0;
  return words;
}

/** Reads `n` values of `bits` bits from `src` at word `at` into `out[0 .. n)`. */
export function unpack(src: Uint32Array, at: number, n: number, bits: number, out: Int32Array | Uint32Array): void {
  if (bits === 0) {
    out.fill(0, 0, n);
    return;
  }
  const mask = bits === 32 ? 0xffffffff : (1 << bits) - 1;
  let w = at;
  let word = src[w]!;
  let used = 0; // bits of `word` already consumed
  for (let i = 0; i < n; i++) {
    let v = word >>> used;
    used += bits;
    if (used >= 32) {
      used -= 32;
      word = src[++w]!;
      // The high part of the value continues in the next word.
      if (used > 0) v |= word << (bits - used);
    }
    out[i] = (v & mask) >>> 0;
  }
}
