import path from 'node:path';
import { E, isAlawError } from '../errors/index.js';
import { TOKENIZER_VERSION } from '../text/index.js';
import { buildIndex, type BuildOptions, type IndexableDocument } from './builder.js';
import { addChanges, mergeIndexDir, type ChangedSince, type MergePolicy } from './incremental.js';
import { indexBytes, MANIFEST_FILE, readIndexDir, readManifest, writeIndexDir, type IndexManifest } from './indexDir.js';
import { withIndexWriteLock } from './writeLock.js';
import { INDEX_FORMAT_VERSION, type IndexHeader, type SearchIndex } from './indexData.js';
import { IndexFileError, type PendingChecksum } from './segmentFile.js';
import { FIELDS, type Bm25Params } from './params.js';

/** Where the index comes from: the application database (structurally, PrecedentStore). */
export interface CorpusSource {
  corpusVersion(): string;
  count(): number;
  scanForIndex(): Iterable<IndexableDocument>;
  /** The decisions changed since an older corpus version (enables incremental updates). */
  changedSince?: ChangedSince;
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
  /** An index loaded earlier from `dir`: its segments that are still current are not read again. */
  reuse?: SearchIndex;
  /** When the index's segments are merged after an incremental update. */
  mergePolicy?: MergePolicy;
  /** Why `force` was set (the rebuild's reason in logs and status). */
  forceReason?: string;
  /**
   * ensureIndex: when a rebuild is due but the old index may still be served (same database and
   * format; only the settings, the tokenizer or many decisions changed), return it with
   * `pendingRebuild` instead of rebuilding, so the caller can serve it and rebuild in the background.
   */
  serveStale?: boolean;
  /** Load without computing checksums; they are returned as `pendingChecksums` (see verifyChecksums). */
  deferChecksums?: boolean;
}

/** What an incremental update did (see addChanges and mergeIndexDir). */
export interface IndexUpdateInfo {
  added: number;
  deleted: number;
  ms: number;
  /** Segments merged afterwards (0: none), and deleted documents the merge dropped. */
  mergedSegments: number;
  dropped: number;
  mergeMs: number;
}

export interface EnsureIndexResult {
  index: SearchIndex;
  file: string;
  /** Why the index was rebuilt, or null when the file was current and loaded. */
  rebuiltBecause: string | null;
  loadMs: number;
  buildMs: number;
  bytes: number;
  /** Set when the index was brought up to date incrementally. */
  update?: IndexUpdateInfo;
  /** Set (with `serveStale`) when this is the old index and a rebuild is due, and why. */
  pendingRebuild?: string;
  /** With `deferChecksums`: the sections read whose checksums are still to be verified. */
  pendingChecksums?: PendingChecksum[];
}

/** What updateIndexDir did. */
export type IndexDirUpdate =
  | { kind: 'current' }
  | ({ kind: 'incremental'; reason: string } & IndexUpdateInfo)
  | { kind: 'rebuilt'; reason: string; index: SearchIndex; buildMs: number; bytes: number }
  /** With `rebuild: false`: a rebuild is due; `servable` when the old index may be served meanwhile. */
  | { kind: 'needs-rebuild'; reason: string; servable: boolean };

/** More changed decisions than this fraction of the index's are indexed by a rebuild instead. */
const INCREMENTAL_MAX_FRACTION = 0.25;

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
export function loadIndexIfCurrent(
  dir: string,
  params: Bm25Params,
  corpusVersion: string,
  reuse?: SearchIndex,
  deferChecksums = false,
): EnsureIndexResult | { reason: string } {
  const file = path.join(dir, INDEX_FILE_NAME);
  return tryIndexFile((): EnsureIndexResult | { reason: string } => {
    const manifest = readManifest(dir);
    const reason = stalenessReason(manifest, corpusVersion, params);
    if (reason) return { reason };
    const started = performance.now();
    const pending: PendingChecksum[] | undefined = deferChecksums ? [] : undefined;
    const index = readIndexDir(dir, reuse, pending);
    return {
      index,
      file,
      rebuiltBecause: null,
      loadMs: performance.now() - started,
      buildMs: 0,
      bytes: indexBytes(dir, manifest),
      ...(pending ? { pendingChecksums: pending } : {}),
    };
  });
}

/**
 * Makes the index directory serve the source's current corpus, holding the
 * write lock: nothing when it already does; when only decisions changed
 * (and not too many), adds them as a new segment and applies the merge
 * policy; otherwise (missing, corrupt, other format or settings, another
 * database, `force`) rebuilds it from the whole corpus. Does not load the
 * index (an `alaw import` has no use for it).
 */
export function updateIndexDir(opts: EnsureIndexOptions, rebuild = true): IndexDirUpdate {
  return withIndexWriteLock(opts.dir, (): IndexDirUpdate => {
    let reason = opts.forceReason ?? '강제 재생성 요청';
    let servable = false;
    if (!opts.force) {
      const read = tryIndexFile(() => readManifest(opts.dir));
      const manifest: IndexManifest | null = 'reason' in read ? null : read;
      if ('reason' in read) reason = read.reason;
      if (manifest) {
        const version = opts.source.corpusVersion();
        const stale = stalenessReason(manifest, version, opts.params);
        if (!stale) return { kind: 'current' };
        reason = stale;
        servable = manifest.formatVersion === INDEX_FORMAT_VERSION && generationOf(manifest.corpusVersion) === generationOf(version);
        const incremental = opts.source.changedSince && !stalenessReason(manifest, manifest.corpusVersion, opts.params);
        const changes = incremental ? opts.source.changedSince!(manifest.corpusVersion) : null;
        if (changes && changes.count <= Math.max(1000, manifest.docCount * INCREMENTAL_MAX_FRACTION)) {
          let done = 0;
          const added = tryIndexFile(() =>
            addChanges({
              dir: opts.dir,
              params: opts.params,
              manifest,
              version,
              changes,
              memoryBudgetBytes: opts.memoryBudgetBytes,
              onDocument: (n) => {
                done = n;
                if (opts.onProgress && n % 500 === 0) opts.onProgress(n, changes.count);
              },
            }),
          );
          // A damaged segment or deletion file: rebuild below, saying why.
          if ('reason' in added) reason = added.reason;
          else {
            opts.onProgress?.(done, changes.count);
            const merged = tryIndexFile(() => mergeIndexDir(opts.dir, opts.mergePolicy));
            if (merged && 'reason' in merged) throw new IndexFileError(opts.dir, merged.reason);
            return {
              kind: 'incremental',
              reason,
              added: added.added,
              deleted: added.deleted,
              ms: added.ms,
              mergedSegments: merged?.merged ?? 0,
              dropped: merged?.dropped ?? 0,
              mergeMs: merged?.ms ?? 0,
            };
          }
        }
      }
    }
    if (!rebuild) return { kind: 'needs-rebuild', reason, servable };
    const started = performance.now();
    const index = buildFromSource(opts);
    const { bytes } = writeIndexDir(opts.dir, index);
    return { kind: 'rebuilt', reason, index, buildMs: performance.now() - started, bytes };
  });
}

/**
 * Loads the index when it is current; otherwise brings it up to date
 * (updateIndexDir: incrementally when only decisions changed, else a
 * rebuild written atomically) and returns it. Loading never tokenizes the
 * corpus; segments of `reuse` are not read again.
 */
export function ensureIndex(opts: EnsureIndexOptions): EnsureIndexResult {
  if (!opts.force) {
    const loaded = loadIndexIfCurrent(opts.dir, opts.params, opts.source.corpusVersion(), opts.reuse, opts.deferChecksums);
    if ('index' in loaded) return loaded;
  }
  const file = path.join(opts.dir, INDEX_FILE_NAME);
  let u: IndexDirUpdate;
  try {
    u = updateIndexDir(opts, !opts.serveStale);
  } catch (err) {
    // Another process is writing the index (a replica's rebuild, an import): serve what is there meanwhile.
    if (!opts.serveStale || !isAlawError(err) || err.code !== E.INDEX_BUSY.code) throw err;
    u = { kind: 'needs-rebuild', reason: err.message, servable: true };
  }
  let index: SearchIndex | undefined;
  const started = performance.now();
  if (u.kind === 'needs-rebuild') {
    const old = u.servable ? tryIndexFile(() => readIndexDir(opts.dir, opts.reuse)) : null;
    if (old && !('reason' in old)) {
      const bytes = indexBytes(opts.dir, readManifest(opts.dir));
      return { index: old, file, rebuiltBecause: null, loadMs: performance.now() - started, buildMs: 0, bytes, pendingRebuild: u.reason };
    }
    u = updateIndexDir({ ...opts, force: true, forceReason: u.reason });
  }
  if (u.kind !== 'rebuilt') {
    const read = tryIndexFile(() => readIndexDir(opts.dir, opts.reuse));
    // Current (or just updated) by its manifest, but a file is damaged: rebuild.
    if ('reason' in read) u = updateIndexDir({ ...opts, force: true, forceReason: read.reason });
    else index = read;
  }
  if (u.kind === 'rebuilt') return { index: u.index, file, rebuiltBecause: u.reason, loadMs: 0, buildMs: u.buildMs, bytes: u.bytes };
  const loadMs = performance.now() - started;
  const bytes = indexBytes(opts.dir, readManifest(opts.dir));
  if (u.kind !== 'incremental') return { index: index!, file, rebuiltBecause: null, loadMs, buildMs: 0, bytes };
  const { kind: _k, reason: _r, ...update } = u;
  return { index: index!, file, rebuiltBecause: null, loadMs, buildMs: u.ms + u.mergeMs, bytes, update };
}

/** The database part of a corpus version (`generation:revision`). */
function generationOf(version: string): string {
  return version.slice(0, version.lastIndexOf(':'));
}

/** Runs `fn`; an IndexFileError (a damaged or missing index file) becomes its reason. */
function tryIndexFile<T>(fn: () => T): T | { reason: string } {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof IndexFileError)) throw err;
    return { reason: typeof err.details?.reason === 'string' ? err.details.reason : err.message };
  }
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
