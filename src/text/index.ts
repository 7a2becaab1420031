export { isBlankText } from './blank.js';
export { normalizeText } from './normalize.js';
export { stripParticle, stemLength, STOP_UNIGRAMS } from './particles.js';
export { scanWords, type WordSpan } from './words.js';
export {
  forEachIndexToken,
  indexTokens,
  stringSink,
  type TokenSink,
  analyzeQuery,
  TOKENIZER_VERSION,
  TokenRole,
  type QueryToken,
  type QueryWord,
  type AnalyzedQuery,
} from './tokenize.js';
export { toPlainStyle } from './register.js';
