import { CharClass, classify } from './chars.js';
import { stemLengthAt } from './particles.js';

/**
 * One word of normalized text: a maximal run of Hangul, Hanja, digits and
 * Latin letters. Offsets are UTF-16 indices into the scanned string.
 */
export interface WordSpan {
  start: number;
  end: number;
  /** End of the stem: `end` minus a trailing particle/ending, if any. */
  stemEnd: number;
  /** True when only plain spaces separate this word from the previous one (no punctuation, no line break). */
  joined: boolean;
}

/**
 * Calls `onWord` for every word of `text` (which must be normalized, see
 * `normalizeText`). The callback receives positions, not strings, so the hot
 * indexing loop allocates nothing it does not keep.
 */
export function scanWords(text: string, onWord: (start: number, end: number, stemEnd: number, joined: boolean) => void): void {
  const n = text.length;
  let i = 0;
  let seenWord = false;
  while (i < n) {
    // Separator run: remember whether it consisted of plain spaces only.
    let spacesOnly = true;
    let gap = 0;
    while (i < n && classify(text.charCodeAt(i)) === CharClass.Separator) {
      if (text.charCodeAt(i) !== 0x20) spacesOnly = false;
      gap++;
      i++;
    }
    if (i >= n) break;
    const start = i;
    while (i < n && classify(text.charCodeAt(i)) !== CharClass.Separator) i++;
    const end = i;
    let stemEnd = end;
    if (end - start > 2 && classify(text.charCodeAt(end - 1)) === CharClass.Hangul) {
      stemEnd = start + stemLengthAt(text, start, end);
    }
    onWord(start, end, stemEnd, seenWord && spacesOnly && gap > 0);
    seenWord = true;
  }
}
