import type { DocTable } from './docTable.js';
import type { Bm25Params } from './params.js';
import type { TermDictionary } from './termDictionary.js';

/** Bumped whenever the on-disk layout changes; older files are rebuilt. */
export const INDEX_FORMAT_VERSION = 1;

/** What the index file says about itself (stored as JSON in the file header). */
export interface IndexHeader {
  formatVersion: number;
  tokenizerVersion: number;
  /** The corpus version (store.corpusVersion()) the index was built from. */
  corpusVersion: string;
  createdAt: string;
  buildMs: number;
  docCount: number;
  termCount: number;
  postingCount: number;
  params: Bm25Params;
  /** Average field length in tokens, per field (FIELDS order). */
  avgFieldLengths: number[];
}

/**
 * A loaded (or freshly built) search index. Postings of term t are
 * `postingDocs/Impacts[postingOffsets[t] .. postingOffsets[t+1])`, sorted by
 * document number; an impact is the document's BM25F term weight × 65535.
 */
export interface SearchIndex {
  header: IndexHeader;
  dict: TermDictionary;
  postingOffsets: Uint32Array;
  postingDocs: Uint32Array;
  postingImpacts: Uint16Array;
  /** Largest impact of each term: the per-term score upper bound MaxScore prunes with. */
  termMaxImpact: Uint16Array;
  docs: DocTable;
}
