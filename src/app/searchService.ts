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
  type Bm25Params,
  type EnsureIndexOptions,
  type EnsureIndexResult,
  type SearcherSettings,
} from '../search/index.js';
import type { PrecedentStore } from '../store/index.js';

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
  ) {
    this.result = result;
    this.current = this.engineFor(result);
  }

  /** Loads the index file, rebuilding it first when it is missing, corrupt or stale. */
  static open(
    config: Config,
    store: PrecedentStore,
    logger: Logger,
    options: { force?: boolean; onProgress?: (done: number, total: number) => void; clock?: Clock } = {},
  ): SearchService {
    const { bm25 } = searchParamsOf(config);
    const result = ensureIndex({
      dir: config.paths.indexDir,
      params: bm25,
      source: store,
      force: options.force,
      onProgress: options.onProgress,
      ...buildMemoryOf(config, logger),
    });
    SearchService.logResult(logger, result);
    return new SearchService(config, store, logger, result, options.clock ?? systemClock);
  }

  private static logResult(logger: Logger, r: EnsureIndexResult): void {
    const h = r.index.header;
    if (r.rebuiltBecause) {
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
    const next = loadIndexIfCurrent(this.config.paths.indexDir, searchParamsOf(this.config).bm25, current);
    if ('index' in next) {
      this.result = next;
      this.current = this.engineFor(next);
      this.current.warm();
      this.warnedStale = false;
      this.logger.info(
        { file: next.file, documents: next.index.header.docCount, load_ms: Math.round(next.loadMs) },
        '다른 프로세스가 새로 만든 검색 색인을 불러왔습니다',
      );
      return true;
    }
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

  status(): IndexStatus {
    const r = this.result;
    const h = r.index.header;
    return {
      file: r.file,
      documents: h.docCount,
      terms: h.termCount,
      postings: h.postingCount,
      bytes: r.bytes,
      segments: r.index.segments.length,
      corpus_version: h.corpusVersion,
      built_at: h.createdAt,
      build_ms: h.buildMs,
      loaded_in_ms: Math.round(r.loadMs),
      rebuilt_because: r.rebuiltBecause,
    };
  }
}
