/**
 * Korean particles (조사) and the most frequent copula/verb endings, stripped
 * from the end of a word to get a stem for retrieval. This is deliberately a
 * short, high-precision table rather than a morphological analyzer (none can be
 * downloaded here): bigram retrieval does not need a perfect stem, it needs the
 * query side and the document side to agree, which they do because both use
 * this function.
 */
const SUFFIXES: readonly string[] = [
  // compound particles first (longest match wins anyway; kept grouped for reading)
  '으로서는',
  '으로써는',
  '에게서는',
  '으로부터',
  '에서부터',
  '이라는',
  '이라고',
  '이라면',
  '이었다',
  '이었던',
  '에서는',
  '에서도',
  '에게는',
  '에게도',
  '에게서',
  '으로는',
  '으로도',
  '으로서',
  '으로써',
  '로서는',
  '로써는',
  '로부터',
  '하였다',
  '하였고',
  '하였으나',
  '하였으므로',
  '하였는데',
  '하여야',
  '하였던',
  '되었다',
  '되었고',
  '되었으나',
  '되었으므로',
  '이므로',
  '하므로',
  '되므로',
  '한다는',
  '된다는',
  '하는지',
  '되는지',
  '인지',
  '한지',
  '하지만',
  '에는',
  '에도',
  '에서',
  '에게',
  '으로',
  '로서',
  '로써',
  '로는',
  '로도',
  '와의',
  '과의',
  '와는',
  '과는',
  '와도',
  '과도',
  '이나',
  '이란',
  '이라',
  '라는',
  '부터',
  '까지',
  '마저',
  '조차',
  '보다',
  '처럼',
  '만큼',
  '대로',
  '이며',
  '이고',
  '이다',
  '하다',
  '하여',
  '하고',
  '하며',
  '하는',
  '하면',
  '한다',
  '했다',
  '해야',
  '되는',
  '되어',
  '되고',
  '되며',
  '된다',
  '됐다',
  '으나',
  '이면',
  '이어서',
  '이어야',
  '만을',
  '만이',
  '만의',
  '들이',
  '들을',
  '들의',
  '들은',
  '들과',
  '들에',
  '은',
  '는',
  '이',
  '가',
  '을',
  '를',
  '의',
  '에',
  '와',
  '과',
  '도',
  '만',
  '로',
  '나',
  '란',
  '께',
  '인',
  '임',
  '한',
  '할',
  '함',
  '된',
  '될',
  '됨',
  '들',
];

// Indexed by last character, longest first, so a word is checked against a
// handful of candidates without allocating substrings.
const BY_LAST_CHAR: ReadonlyMap<number, readonly string[]> = (() => {
  const map = new Map<number, string[]>();
  for (const s of SUFFIXES) {
    const key = s.charCodeAt(s.length - 1);
    let list = map.get(key);
    if (!list) map.set(key, (list = []));
    list.push(s);
  }
  for (const list of map.values()) list.sort((a, b) => b.length - a.length);
  return map;
})();

/** Shortest stem left after stripping, in characters. Two keeps 사이/나이/거리 intact. */
export const MIN_STEM_LENGTH = 2;

/**
 * Length of `text.slice(start, end)` without its longest known particle or
 * ending, or `end - start` when nothing can be stripped safely. Pure.
 */
export function stemLengthAt(text: string, start: number, end: number): number {
  const n = end - start;
  const candidates = BY_LAST_CHAR.get(text.charCodeAt(end - 1));
  if (candidates === undefined) return n;
  for (const s of candidates) {
    if (n - s.length >= MIN_STEM_LENGTH && text.startsWith(s, end - s.length)) return n - s.length;
  }
  return n;
}

/** Length of `word` without its longest known particle (see {@link stemLengthAt}). */
export function stemLength(word: string): number {
  return stemLengthAt(word, 0, word.length);
}

/** `word` without its particle (see {@link stemLength}). */
export function stripParticle(word: string): string {
  const len = stemLength(word);
  return len === word.length ? word : word.slice(0, len);
}

/**
 * One-syllable words that carry no retrieval value on their own (및, 등, 위 …).
 * They still contribute their bigrams when part of longer words.
 */
export const STOP_UNIGRAMS: ReadonlySet<string> = new Set([
  '및',
  '등',
  '그',
  '이',
  '위',
  '것',
  '수',
  '바',
  '각',
  '또',
  '즉',
  '더',
  '때',
  '중',
  '자',
  '점',
  '데',
  '뿐',
  '듯',
  '제',
  '저',
]);
