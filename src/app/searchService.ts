import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { systemClock, unrefTimer, type Clock } from '../clock.js';
import type { Config } from '../config/index.js';
import {
  ensureIndex,
  INDEX_FILE_NAME,
  loadIndexIfCurrent,
  readManifest,
  SearchEngine,
  shareIndex,
  type PendingChecksum,
  WRITE_LOCK_FILE,
  type Bm25Params,
  type SearchRequest,
  type SearchResult,
  type EnsureIndexOptions,
  type EnsureIndexResult,
  type SearcherSettings,
} from '../search/index.js';
import type { PrecedentStore } from '../store/index.js';
import { BackgroundRebuild, progressLogger, verifyInBackground, type BuildState, type ChecksumState } from './indexBackground.js';
import { SearchPool, searchWorkerCount } from './searchPool.js';

/** The search settings of the configuration, split into index-time and query-time parts. */
export function searchParamsOf(config: Config): { bm25: Bm25Params; settings: SearcherSettings } {
  const s = config.search;
  return {
    bm25: { k1: s.k1, fields: s.fields },
    settings: {
      k3: s.k3,
      wordFormWeight: s.wordFormWeight,
      similarMinWords: s.similarMinWords,
      similarMinChars: s.similarMinChars,
      similarMaxTerms: s.similarMaxTerms,
      maxQueryChars: s.maxQueryChars,
      defaultPageSize: s.defaultPageSize,
      maxPageSize: s.maxPageSize,
      maxResultWindow: s.maxResultWindow,
      snippetChars: s.snippetChars,
    },
  };
}

/**
 * The memory budget of an index build (search.buildMemoryMB; 0: 1/16 of the machine's memory,
 * 64 … 2048 MB), and the log lines of a build that writes out segments.
 */
export function buildMemoryOf(config: Config, logger?: Logger): Pick<EnsureIndexOptions, 'memoryBudgetBytes' | 'onSegment'> {
  const mb = config.search.buildMemoryMB || Math.min(2048, Math.max(64, Math.floor(os.totalmem() / 16 / 1024 / 1024)));
  return {
    memoryBudgetBytes: mb * 1024 * 1024,
    onSegment: (e) => {
      if (!logger) return;
      if (e.kind === 'merge') logger.info({ segments: e.segments, merge_ms: e.ms }, `색인 생성: 세그먼트 ${e.segments}개를 하나로 합쳤습니다`);
      else if (e.reason === 'budget')
        logger.info(
          { documents: e.docs, segments: e.segments, budget_mb: mb },
          `색인 생성: 메모리 한도(${mb} MB)에 닿아 지금까지를 세그먼트 ${e.segments}개째로 압축했습니다`,
        );
    },
  };
}

/** What operators see about the loaded index. */
export interface IndexStatus {
  file: string;
  documents: number;
  terms: number;
  postings: number;
  bytes: number;
  /** Segments the index is made of. */
  segments: number;
  /** Search worker threads (0: searches run on the main thread). */
  workers: number;
  /** The loaded segments' checksums: checked at load, or still being checked in the background (the server). */
  checksums: ChecksumState;
  /** Documents of older segments replaced by a later import, not yet dropped by a merge. */
  deleted_documents: number;
  /** A rebuild running beside the served index (or how it failed), with its progress; null when none. */
  build: BuildState | null;
  /** The incremental update this process made at start-up or `alaw index` (null: loaded or rebuilt). */
  last_update: { added: number; deleted: number; merged_segments: number; ms: number } | null;
  corpus_version: string;
  built_at: string;
  build_ms: number;
  loaded_in_ms: number;
  rebuilt_because: string | null;
}

/**
 * Owns the current search engine: loads (or rebuilds) the index at start-up
 * and hands out the engine. A reload swaps the engine atomically; requests in
 * flight keep the one they started with.
 */
export class SearchService {
  private current: SearchEngine;
  private result: EnsureIndexResult;
  private warnedStale = false;
  /** inode:size:mtime of the index file when last looked at (see fileReplaced). */
  private fileIdentity: string | null = null;

  private constructor(
    private readonly config: Config,
    private readonly store: PrecedentStore,
    private readonly logger: Logger,
    result: EnsureIndexResult,
    /** Time for the rebuilt-index watch. */
    private readonly clock: Clock,
    /** Where searches run when not on this thread. */
    private readonly pool: SearchPool | null,
  ) {
    this.result = this.publish(result);
    this.current = this.engineFor(this.result);
  }

  /** Shares the index with the workers (one copy in the process: this thread uses the shared one too). */
  private publish(r: EnsureIndexResult): EnsureIndexResult {
    if (!this.pool) return r;
    const { shared, index } = shareIndex(r.index);
    this.pool.publish(shared);
    return { ...r, index };
  }

  /** Loads the index file, rebuilding it first when it is missing, corrupt or stale. */
  static open(
    config: Config,
    store: PrecedentStore,
    logger: Logger,
    options: {
      force?: boolean;
      onProgress?: (done: number, total: number) => void;
      clock?: Clock;
      /** Run searches on worker threads (search.workers); the server does, the CLI does not. */
      workers?: boolean;
    } = {},
  ): SearchService {
    const { bm25 } = searchParamsOf(config);
    const result = ensureIndex({
      dir: config.paths.indexDir,
      params: bm25,
      source: store,
      force: options.force,
      onProgress: options.onProgress ?? progressLogger(logger, options.clock ?? systemClock),
      // The server serves an old index it can while a new one is built beside it, and checks the
      // checksums of what it loaded in the background instead of before listening.
      serveStale: options.workers === true,
      deferChecksums: options.workers === true,
      ...buildMemoryOf(config, logger),
    });
    SearchService.logResult(logger, result);
    const threads = options.workers && config.paths.database !== ':memory:' ? searchWorkerCount(config.search.workers) : 0;
    let pool: SearchPool | null = null;
    if (threads > 0) {
      try {
        pool = new SearchPool({ threads, database: config.paths.database, settings: searchParamsOf(config).settings });
        logger.info({ workers: threads }, `검색을 작업 스레드 ${threads}개에서 실행합니다`);
      } catch (err) {
        // A build without the worker file: still serve, on the main thread, and say so.
        logger.warn({ err }, '검색 작업 스레드를 시작하지 못해 메인 스레드에서 검색합니다 (dist/app/searchWorker.js가 있는지 확인하세요)');
      }
    }
    const service = new SearchService(config, store, logger, result, options.clock ?? systemClock, pool);
    if (result.pendingRebuild) service.rebuildInBackground(result.pendingRebuild);
    else if (result.pendingChecksums) service.verifyInBackground(result.pendingChecksums);
    return service;
  }

  /** Checksums of the loaded index: verified, still being verified in the background, or failed. */
  private checksums: ChecksumState = 'verified';
  /** The rebuild running beside the served index (or the last one that failed). */
  private rebuild: BackgroundRebuild | null = null;

  /** Verifies the loaded index's deferred checksums in the background; a mismatch rebuilds it beside the served one. */
  private verifyInBackground(pending: readonly PendingChecksum[]): void {
    const loaded = this.result;
    verifyInBackground(pending, {
      logger: this.logger,
      clock: this.clock,
      // Another index loaded meanwhile has checks of its own.
      isCurrent: () => this.result === loaded,
      onState: (state, reason) => {
        this.checksums = state;
        if (state === 'failed') this.rebuildInBackground(reason!);
      },
    });
  }

  /** Rebuilds the index beside the served one (src/app/indexBackground.ts), then loads it. */
  rebuildInBackground(reason: string): void {
    if (this.rebuild?.state?.state === 'building') return;
    this.rebuild = new BackgroundRebuild({
      database: this.config.paths.database,
      dir: this.config.paths.indexDir,
      params: searchParamsOf(this.config).bm25,
      memoryBudgetBytes: buildMemoryOf(this.config).memoryBudgetBytes ?? 0,
      reason,
      total: this.store.count(),
      logger: this.logger,
      clock: this.clock,
      onDone: () => void this.reloadIfRebuilt(),
    });
  }

  private static logResult(logger: Logger, r: EnsureIndexResult): void {
    const h = r.index.header;
    if (r.update) {
      logger.info(
        {
          file: r.file,
          added: r.update.added,
          deleted: r.update.deleted,
          merged_segments: r.update.mergedSegments,
          segments: r.index.segments.length,
          update_ms: r.update.ms + r.update.mergeMs,
        },
        `검색 색인에 바뀐 판례 ${r.update.added}건을 새 세그먼트로 더했습니다`,
      );
    } else if (r.rebuiltBecause) {
      logger.info(
        {
          file: r.file,
          reason: r.rebuiltBecause,
          documents: h.docCount,
          terms: h.termCount,
          postings: h.postingCount,
          bytes: r.bytes,
          build_ms: Math.round(r.buildMs),
        },
        `검색 색인을 새로 만들었습니다 (${r.rebuiltBecause})`,
      );
    } else {
      logger.info({ file: r.file, documents: h.docCount, bytes: r.bytes, load_ms: Math.round(r.loadMs) }, '검색 색인을 불러왔습니다');
    }
  }

  private engineFor(r: EnsureIndexResult): SearchEngine {
    const { settings } = searchParamsOf(this.config);
    return new SearchEngine(r.index, settings, (id) => this.store.snippetSource(id));
  }

  get engine(): SearchEngine {
    return this.current;
  }

  /** Runs a validated search: on a worker thread when there is a pool, else here. */
  async search(req: SearchRequest): Promise<SearchResult> {
    if (this.pool) return this.pool.run(req);
    return this.current.run(req);
  }

  /** Search worker threads (0: searches run on the main thread). */
  get workers(): number {
    return this.pool?.threads ?? 0;
  }

  /** Stops the worker threads. */
  async close(): Promise<void> {
    await this.rebuild?.terminate();
    await this.pool?.close();
  }

  /** True when the corpus changed since the loaded index was built. */
  isStale(): boolean {
    return this.store.corpusVersion() !== this.result.index.header.corpusVersion;
  }

  /**
   * Picks up an index file rebuilt by another process (`alaw import`,
   * `alaw index`) for the current corpus, without a restart. Never rebuilds
   * in the serving process — that would block requests for seconds — but
   * warns once when the corpus is newer than every index file.
   * Returns true when a new index was loaded.
   */
  reloadIfRebuilt(): boolean {
    const current = this.store.corpusVersion();
    const loaded = this.result.index.header;
    if (loaded.corpusVersion === current && !this.fileReplaced()) return false;
    const next = loadIndexIfCurrent(this.config.paths.indexDir, searchParamsOf(this.config).bm25, current, this.result.index, this.pool !== null);
    if ('index' in next) {
      const before = this.result.index.segments;
      this.result = this.publish(next);
      this.current = this.engineFor(this.result);
      this.current.warm();
      this.checksums = 'verified';
      if (next.pendingChecksums) this.verifyInBackground(next.pendingChecksums);
      this.warnedStale = false;
      this.logger.info(
        {
          file: next.file,
          documents: next.index.header.docCount,
          segments: next.index.segments.length,
          segments_read: next.index.segments.filter((s) => !before.some((b) => b.header.name === s.header.name && b.header.createdAt === s.header.createdAt))
            .length,
          load_ms: Math.round(next.loadMs),
        },
        '다른 프로세스가 갱신한 검색 색인을 불러왔습니다',
      );
      return true;
    }
    // An import or `alaw index` holds the write lock while it brings the index up to date: wait for it.
    if (fs.existsSync(path.join(this.config.paths.indexDir, WRITE_LOCK_FILE))) return false;
    if (!this.warnedStale) {
      this.warnedStale = true;
      this.logger.warn(
        { indexed: loaded.corpusVersion, corpus: current, reason: next.reason },
        '판례 데이터가 검색 색인보다 새롭습니다. `alaw index`를 실행하면 서버가 새 색인을 자동으로 불러옵니다 (또는 서버를 다시 시작하세요).',
      );
    }
    return false;
  }

  /**
   * True when the index file was rebuilt for the same corpus since it was
   * loaded (`alaw index --force`): its header says another build. The header
   * is read only when the file's identity (inode, size, mtime) changed.
   */
  private fileReplaced(): boolean {
    const file = path.join(this.config.paths.indexDir, INDEX_FILE_NAME);
    let identity: string;
    try {
      const st = fs.statSync(file);
      identity = `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch {
      return false; // missing: keep serving what is loaded
    }
    if (identity === this.fileIdentity) return false;
    this.fileIdentity = identity;
    try {
      return readManifest(this.config.paths.indexDir).createdAt !== this.result.index.header.createdAt;
    } catch {
      return false; // being written or corrupt: keep serving what is loaded
    }
  }

  /** Checks for a rebuilt index every `seconds` (0 disables). The timer does not keep the process alive. */
  watch(seconds: number): () => void {
    if (seconds <= 0) return () => undefined;
    const timer = this.clock.setInterval(() => {
      try {
        this.reloadIfRebuilt();
      } catch (err) {
        this.logger.warn({ err }, '검색 색인 확인 중 오류');
      }
    }, seconds * 1000);
    unrefTimer(timer);
    return () => this.clock.clearInterval(timer);
  }

  /** Documents of the loaded index marked deleted (replaced by a later segment). */
  private get deletedCount(): number {
    const d = this.result.index.deleted;
    if (!d) return 0;
    if (this.deletedCache?.of !== d) this.deletedCache = { of: d, n: d.reduce((n, x) => n + x, 0) };
    return this.deletedCache.n;
  }

  private deletedCache: { of: Uint8Array; n: number } | null = null;

  /** Decisions the loaded index serves (deleted versions not counted). */
  get documents(): number {
    return this.result.index.header.docCount - this.deletedCount;
  }

  status(): IndexStatus {
    const r = this.result;
    const h = r.index.header;
    return {
      file: r.file,
      documents: h.docCount - this.deletedCount,
      terms: h.termCount,
      postings: h.postingCount,
      bytes: r.bytes,
      segments: r.index.segments.length,
      deleted_documents: this.deletedCount,
      workers: this.workers,
      checksums: this.checksums,
      build: this.rebuild?.state ? { ...this.rebuild.state } : null,
      last_update: r.update
        ? { added: r.update.added, deleted: r.update.deleted, merged_segments: r.update.mergedSegments, ms: r.update.ms + r.update.mergeMs }
        : null,
      corpus_version: h.corpusVersion,
      built_at: h.createdAt,
      build_ms: h.buildMs,
      loaded_in_ms: Math.round(r.loadMs),
      rebuilt_because: r.rebuiltBecause,
    };
  }
}
