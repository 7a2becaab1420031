export { PrecedentStore, type ImportCounts, type IndexSourceRow, type SnippetSource, type PrecedentSummary } from './precedentStore.js';
export type { AppDatabase } from './schema.js';
export { SnippetReader } from './snippetReader.js';
