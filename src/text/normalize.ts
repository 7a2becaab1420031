/**
 * Normalizes text for retrieval: Unicode NFKC (full-width digits and letters,
 * compatibility Hanja and circled numbers become their plain forms), Latin
 * lower case. Offsets into the result are what snippets and highlights use, so
 * callers that need to point into the original text must normalize it first.
 */
export function normalizeText(text: string): string {
  // NFKC is idempotent and cheap on already-normalized Hangul; toLowerCase only
  // changes Latin letters for the scripts we index.
  return text.normalize('NFKC').toLowerCase();
}
