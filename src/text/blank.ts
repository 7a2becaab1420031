/**
 * Characters that show nothing: Unicode white space (incl. U+3000 IDEOGRAPHIC SPACE, NBSP, line and paragraph
 * separators), control characters, format characters (zero-width space, joiners, word joiner, BOM, soft
 * hyphen, bidi marks) and the Hangul fillers (U+115F, U+1160, U+3164, U+FFA0), which render as nothing.
 */
const INVISIBLE = /^[\p{White_Space}\p{Cc}\p{Cf}\u115F\u1160\u3164\uFFA0]*$/u;

/** True when the text is empty or shows nothing at all (only white space and invisible characters). */
export function isBlankText(text: string): boolean {
  return INVISIBLE.test(text);
}
