import path from 'node:path';
import { TOKENIZER_VERSION } from '../text/index.js';
import { buildIndex, type BuildOptions, type IndexableDocument } from './builder.js';
import { indexBytes, MANIFEST_FILE, readIndexDir, readManifest, writeIndexDir } from './indexDir.js';
import { INDEX_FORMAT_VERSION, type IndexHeader, type SearchIndex } from './indexData.js';
import { IndexFileError } from './segmentFile.js';
import { FIELDS, type Bm25Params } from './params.js';

/** Where the index comes from: the application database (structurally, PrecedentStore). */
export interface CorpusSource {
  corpusVersion(): string;
  count(): number;
  scanForIndex(): Iterable<IndexableDocument>;
}

/** The index's manifest inside the index directory (the guide's `bm25_cache.pkl`; see indexDir.ts). */
export const INDEX_FILE_NAME = MANIFEST_FILE;

export interface EnsureIndexOptions {
  dir: string;
  params: Bm25Params;
  source: CorpusSource;
  /** Rebuild even when the file is current. */
  force?: boolean;
  /** Progress while building: documents indexed so far, and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Memory budget of the build (see buildIndex); 0 or absent: one segment, however large. */
  memoryBudgetBytes?: number;
  /** Segments written out and merged during the build. */
  onSegment?: BuildOptions['onSegment'];
}

export interface EnsureIndexResult {
  index: SearchIndex;
  file: string;
  /** Why the index was rebuilt, or null when the file was current and loaded. */
  rebuiltBecause: string | null;
  loadMs: number;
  buildMs: number;
  bytes: number;
}

function sameParams(a: Bm25Params, b: Bm25Params): boolean {
  if (a.k1 !== b.k1) return false;
  return FIELDS.every((f) => a.fields[f]?.weight === b.fields[f]?.weight && a.fields[f]?.b === b.fields[f]?.b);
}

/**
 * Why an index with this header cannot serve the current corpus and settings,
 * or null when it can.
 */
export function stalenessReason(header: IndexHeader, corpusVersion: string, params: Bm25Params): string | null {
  if (header.formatVersion !== INDEX_FORMAT_VERSION) return `색인 형식 버전이 다릅니다 (${header.formatVersion} → ${INDEX_FORMAT_VERSION})`;
  if (header.tokenizerVersion !== TOKENIZER_VERSION) return `토크나이저 버전이 다릅니다 (${header.tokenizerVersion} → ${TOKENIZER_VERSION})`;
  if (header.corpusVersion !== corpusVersion) return `판례 데이터가 색인 이후 바뀌었습니다 (${header.corpusVersion} → ${corpusVersion})`;
  if (!sameParams(header.params, params)) return 'BM25 설정(k1, 필드 가중치)이 바뀌었습니다';
  return null;
}

/**
 * Loads the index file in `dir` if it serves `corpusVersion` with `params`;
 * otherwise says why not (missing, corrupt, stale, other settings). Never
 * builds: a serving process uses this to pick up a file rebuilt elsewhere.
 */
export function loadIndexIfCurrent(dir: string, params: Bm25Params, corpusVersion: string): EnsureIndexResult | { reason: string } {
  const file = path.join(dir, INDEX_FILE_NAME);
  try {
    const manifest = readManifest(dir);
    const reason = stalenessReason(manifest, corpusVersion, params);
    if (reason) return { reason };
    const started = performance.now();
    const index = readIndexDir(dir);
    return { index, file, rebuiltBecause: null, loadMs: performance.now() - started, buildMs: 0, bytes: indexBytes(dir, manifest) };
  } catch (err) {
    if (!(err instanceof IndexFileError)) throw err;
    return { reason: typeof err.details?.reason === 'string' ? err.details.reason : err.message };
  }
}

/**
 * Loads the index file when it is current; otherwise (missing, corrupt,
 * older than the corpus, built with other settings) rebuilds it from the
 * corpus and writes it atomically. Loading never tokenizes the corpus.
 */
export function ensureIndex(opts: EnsureIndexOptions): EnsureIndexResult {
  let reason = '강제 재생성 요청';
  if (!opts.force) {
    const loaded = loadIndexIfCurrent(opts.dir, opts.params, opts.source.corpusVersion());
    if ('index' in loaded) return loaded;
    reason = loaded.reason;
  }
  const file = path.join(opts.dir, INDEX_FILE_NAME);
  const started = performance.now();
  const index = buildFromSource(opts);
  const { bytes } = writeIndexDir(opts.dir, index);
  return { index, file, rebuiltBecause: reason, loadMs: 0, buildMs: performance.now() - started, bytes };
}

/**
 * Builds an index over every document of the source (no file I/O): segments
 * at the memory budget, merged into one at the end.
 */
function buildFromSource(opts: EnsureIndexOptions): SearchIndex {
  const { source, onProgress } = opts;
  const total = source.count();
  // The version is read before the scan: if an import lands meanwhile, the
  // index is marked with the older version and rebuilt again next time.
  const version = source.corpusVersion();
  let done = 0;
  const index = buildIndex(source.scanForIndex(), opts.params, version, {
    memoryBudgetBytes: opts.memoryBudgetBytes,
    maxSegments: 1,
    onSegment: opts.onSegment,
    onDocument: (n) => {
      done = n;
      if (onProgress && n % 500 === 0) onProgress(n, total);
    },
  });
  onProgress?.(done, total);
  return index;
}
