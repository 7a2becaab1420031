import { classify, isSyllabic } from './chars.js';
import { STOP_UNIGRAMS } from './particles.js';
import { scanWords } from './words.js';

/**
 * Retrieval tokens for Korean legal text (see docs/ARCHITECTURE.md, "Tokens").
 *
 * Per word (a run of Hangul/Hanja/digits/Latin):
 * - syllable bigrams of every Hangul/Hanja run (documents: of the surface form,
 *   so a query stem is always covered whatever particle the document used;
 *   queries: of the stem only, so particles never become required terms);
 * - digit runs and Latin runs whole (`750`, `dna`);
 * - the particle-stripped word itself when it has three or more characters, or
 *   mixes scripts (`소유권이전등기`, `제750조`, `2016다276177`): exact-form
 *   matches score higher than bigram coverage alone, and case numbers stay whole;
 * - a one-syllable word as a unigram, unless it is a function word (및, 등 …).
 * Documents additionally get a bigram across a plain space
 * (`소유권 이전` → `권이`), so a query written without spaces still finds text
 * written with them.
 */

/** How a query token takes part in matching. */
export const enum TokenRole {
  /** Must be present for a document to match in "all words" mode. */
  Required = 0,
  /** Scores when present, never required (exact word forms, unigrams). */
  Optional = 1,
}

export interface QueryToken {
  term: string;
  role: TokenRole;
  /** Index of the query word this token came from. */
  word: number;
}

export interface QueryWord {
  text: string;
  stem: string;
  start: number;
  end: number;
}

export interface AnalyzedQuery {
  words: QueryWord[];
  /** Tokens in query order, duplicates kept (their count is the query term frequency). */
  tokens: QueryToken[];
}

/**
 * Receives tokens. Syllable bigrams — nine in ten tokens — arrive as two code
 * units so the indexer can key them by number without allocating a string.
 */
export interface TokenSink {
  /** A bigram of two syllabic characters (UTF-16 code units). */
  pair(first: number, second: number): void;
  /** Any other token. */
  term(term: string): void;
}

/**
 * Emits the index tokens of one normalized text, in order, duplicates included.
 * Returns the number of tokens emitted (the field length used by BM25).
 */
export function forEachIndexToken(text: string, sink: TokenSink): number {
  let count = 0;
  let prevLast = -1; // code unit of the last syllable of the previous word's stem, or -1
  scanWords(text, (start, end, stemEnd, joined) => {
    const firstCode = text.charCodeAt(start);
    if (joined && prevLast >= 0 && isSyllabic(classify(firstCode))) {
      sink.pair(prevLast, firstCode);
      count++;
    }
    count += emitWordRuns(text, start, end, sink);
    count += emitWordForm(text, start, stemEnd, sink);
    const lastCode = text.charCodeAt(stemEnd - 1);
    prevLast = isSyllabic(classify(lastCode)) ? lastCode : -1;
  });
  return count;
}

/** A sink that turns every token into a string (tests, explain, queries). */
export function stringSink(emit: (term: string) => void): TokenSink {
  return { pair: (a, b) => emit(String.fromCharCode(a, b)), term: emit };
}

/** Index tokens of a text as an array (tests, explain, small inputs). */
export function indexTokens(text: string): string[] {
  const out: string[] = [];
  forEachIndexToken(
    text,
    stringSink((t) => out.push(t)),
  );
  return out;
}

/**
 * Analyzes a normalized query: its words (with stems) and tokens with roles.
 * Bigrams come from the stem only, so `계약을` requires `계약` but not `약을`.
 */
export function analyzeQuery(text: string): AnalyzedQuery {
  const words: QueryWord[] = [];
  const tokens: QueryToken[] = [];
  scanWords(text, (start, end, stemEnd) => {
    const word = words.length;
    words.push({ text: text.slice(start, end), stem: text.slice(start, stemEnd), start, end });
    const required = stringSink((term) => void tokens.push({ term, role: TokenRole.Required, word }));
    const optional = stringSink((term) => void tokens.push({ term, role: TokenRole.Optional, word }));
    const before = tokens.length;
    emitWordRuns(text, start, stemEnd, required);
    emitWordForm(text, start, stemEnd, optional);
    // A lone one-syllable word is a unigram: it scores, but never filters.
    for (let k = before; k < tokens.length; k++) {
      const t = tokens[k]!;
      if (t.term.length === 1 && isSyllabic(classify(t.term.charCodeAt(0)))) t.role = TokenRole.Optional;
    }
  });
  return { words, tokens };
}

/**
 * Bigrams of syllabic runs, digit and Latin runs whole, and the unigram of a
 * one-syllable word, for the span [start, end).
 */
function emitWordRuns(text: string, start: number, end: number, sink: TokenSink): number {
  let count = 0;
  let i = start;
  while (i < end) {
    const cls = classify(text.charCodeAt(i));
    let j = i + 1;
    if (isSyllabic(cls)) {
      while (j < end && isSyllabic(classify(text.charCodeAt(j)))) j++;
      if (j - i === 1) {
        if (i === start && j === end && !STOP_UNIGRAMS.has(text[i]!)) {
          sink.term(text[i]!);
          count++;
        }
      } else {
        let prev = text.charCodeAt(i);
        for (let k = i + 1; k < j; k++) {
          const code = text.charCodeAt(k);
          sink.pair(prev, code);
          prev = code;
          count++;
        }
      }
    } else {
      while (j < end && classify(text.charCodeAt(j)) === cls) j++;
      sink.term(text.slice(i, j));
      count++;
    }
    i = j;
  }
  return count;
}

/**
 * The word form (particle stripped) as one token when it adds information
 * beyond its bigrams: three or more characters, or a mix of scripts.
 */
function emitWordForm(text: string, start: number, stemEnd: number, sink: TokenSink): number {
  const len = stemEnd - start;
  if (len < 2) return 0;
  const first = classify(text.charCodeAt(start));
  let mixed = false;
  for (let k = start + 1; k < stemEnd; k++) {
    if (classify(text.charCodeAt(k)) !== first) {
      mixed = true;
      break;
    }
  }
  if (mixed || (len >= 3 && isSyllabic(first))) {
    sink.term(text.slice(start, stemEnd));
    return 1;
  }
  return 0;
}

/**
 * Version of the token rules above. Stored in the search index: an index
 * built with other rules is stale and is rebuilt. Bump on any change here,
 * in particles.ts or in chars.ts.
 */
export const TOKENIZER_VERSION = 1;
