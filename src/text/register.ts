/**
 * Speech level of a query. People describe their case politely (합니다체:
 * "점유하여 왔습니다", "쟁점입니다"); decisions are written in the plain style
 * (했다, 이다, 한다). The polite endings are rare in the corpus, so as query
 * terms they get a high idf and take places of the similar-case query's
 * limited term set that belong to the legal content (취득, 시효, 점유). Turning
 * the endings into plain ones before tokenizing makes them what they are in
 * decisions: very common, hence dropped first.
 *
 * Only sentence-final polite endings are rewritten, by form alone (no
 * dictionary): `…습니다/습니까` → `…다`, a syllable with final ㅂ + `니다/니까`
 * → that syllable without ㅂ + `다` (합니다 → 하다, 입니다 → 이다, 됩니다 → 되다),
 * and the informal `…어요/아요/해요/여요` → without 요. Verb forms come out as
 * the dictionary form (하다 rather than 한다); both are frequent in decisions,
 * which is all that matters for weighting.
 */

const HANGUL_BASE = 0xac00;
const JONG_COUNT = 28;
/** Final consonant index of ㅂ in a precomposed syllable. */
const JONG_BIEUP = 17;

/** After an ending: whitespace, punctuation or the end of the text. */
const END = '(?=$|[\\s.,!?;:)\\]}"\'”’」』>…~])';

const SEUMNIDA = new RegExp(`([가-힣])습니(?:다|까)${END}`, 'gu');
const BNIDA = new RegExp(`([가-힣])니(?:다|까)${END}`, 'gu');
const YO = new RegExp(`([가-힣])(어|아|해|여)요${END}`, 'gu');

function withoutBieup(syllable: string): string | null {
  const code = syllable.charCodeAt(0) - HANGUL_BASE;
  if (code < 0 || code > 11171 || code % JONG_COUNT !== JONG_BIEUP) return null;
  return String.fromCharCode(HANGUL_BASE + code - JONG_BIEUP);
}

/** The text with polite sentence endings turned plain (see the module comment). */
export function toPlainStyle(text: string): string {
  return text
    .replace(SEUMNIDA, '$1다')
    .replace(BNIDA, (whole, syllable: string) => {
      const plain = withoutBieup(syllable);
      return plain === null ? whole : `${plain}다`;
    })
    .replace(YO, '$1$2');
}
