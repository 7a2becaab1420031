/** Character classes the tokenizer distinguishes. Separators are everything else. */
export const enum CharClass {
  Separator = 0,
  /** Precomposed Hangul syllable (U+AC00–U+D7A3). */
  Hangul = 1,
  /** CJK unified ideograph (Hanja), common in older decisions. */
  Hanja = 2,
  Digit = 3,
  Latin = 4,
}

/** Class of every BMP code unit, precomputed: the tokenizer's inner loop is one array read. */
const TABLE: Uint8Array = (() => {
  const t = new Uint8Array(0x10000);
  t.fill(CharClass.Hangul, 0xac00, 0xd7a4);
  t.fill(CharClass.Digit, 0x30, 0x3a);
  t.fill(CharClass.Latin, 0x61, 0x7b);
  t.fill(CharClass.Hanja, 0x4e00, 0xa000);
  t.fill(CharClass.Hanja, 0x3400, 0x4dc0);
  t.fill(CharClass.Hanja, 0xf900, 0xfb00);
  return t;
})();

/** Classifies one UTF-16 code unit. Input is expected to be normalized (NFKC, lower case). */
export function classify(code: number): CharClass {
  return TABLE[code] as CharClass;
}

/** True for the syllabic scripts that are indexed as character bigrams. */
export function isSyllabic(cls: CharClass): boolean {
  return cls === CharClass.Hangul || cls === CharClass.Hanja;
}
