export {
  FIELDS,
  type FieldName,
  type Bm25Params,
  type FieldParams,
  type SearcherSettings,
  idf,
  bm25fImpact,
  fieldCoefficient,
  IMPACT_SCALE,
} from './params.js';
export { IndexBuilder, buildIndex, type BuildOptions, type IndexableDocument } from './builder.js';
export { mergeSegments } from './merge.js';
export { INDEX_FORMAT_VERSION, docId, docCaseNumber, docCaseName, type SearchIndex, type IndexHeader } from './indexData.js';
export { IndexFileError, verifyChecksums, type PendingChecksum } from './segmentFile.js';
export { readManifest, readIndexDir, writeIndexDir, indexBytes, indexSegmentFiles, isIndexFileName, type IndexManifest } from './indexDir.js';
export { maxScoreTopK, conjunctive, bruteForceScores, termIds, type ScoringTerm, type ScoredDoc, type DocFilter } from './retrieval.js';
export { planQuery, type QueryPlan, type PlannedTerm, type SearchMode, type RequestedMode } from './queryPlan.js';
export type { SearchRequest, SortOrder } from './request.js';
export { SearchEngine, type SearchHit, type SearchResult, type SearchNotice, type DocumentText, type DocumentTextSource } from './engine.js';
export { makeSnippet } from './snippet.js';
export { shareIndex, indexFromShared, type SharedIndex } from './shared.js';
export { TermDictionary, hashTerm } from './termDictionary.js';
export { addChanges, mergeIndexDir, selectMerge, DEFAULT_MERGE_POLICY, type MergePolicy, type ChangedSince } from './incremental.js';
export { withIndexWriteLock, WRITE_LOCK_FILE } from './writeLock.js';
export {
  ensureIndex,
  updateIndexDir,
  loadIndexIfCurrent,
  stalenessReason,
  INDEX_FILE_NAME,
  type CorpusSource,
  type EnsureIndexOptions,
  type EnsureIndexResult,
  type IndexDirUpdate,
  type IndexUpdateInfo,
} from './lifecycle.js';
export { explainDocument, type Explanation, type TermExplanation } from './explain.js';
