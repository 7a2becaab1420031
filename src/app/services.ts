import { systemClock, type Clock } from '../clock.js';
import { E } from '../errors/index.js';
import fs from 'node:fs';
import os from 'node:os';
import type { Config } from '../config/index.js';
import { AuthFailureCounter, Metrics, type Logger, type ServerLogging } from '../ops/index.js';
import { ApiKeyStore } from '../auth/index.js';
import { instanceIdentityOf, openQueue, type TaskQueue } from '../queue/index.js';
import { PrecedentStore } from '../store/index.js';
import { VERSION } from '../version.js';
import { ImportIncompleteError, importFile, type ImportReport } from './importer.js';
import { SearchService } from './searchService.js';

/** app_meta key present while the seed corpus import has not finished. */
const SEED_PENDING = 'seed_import_pending';

/** Everything the HTTP layer and the CLI work with. */
export interface Services {
  config: Readonly<Config>;
  logger: Logger;
  store: PrecedentStore;
  search: SearchService;
  instanceId: string;
  startedAt: Date;
  /** The time of the timing logic (queue leases and timeouts, key cache, model retries); tests pass a manual one. */
  clock: Clock;
  /** The task queue (opened for the server; CLI commands that do not need it leave it out). */
  queue?: TaskQueue;
  /** API keys, in the queue's shared database (with the queue). */
  keys?: ApiKeyStore;
  /** Prometheus metrics of the server process (with the queue; null when `metrics.enabled` is off). */
  metrics?: Metrics | null;
  /** Requests and 5xx answered (the server). */
  traffic?: Traffic;
  /** The server's log files (access.log, performance.log …); absent for CLI commands and tests that log nowhere. */
  logging?: ServerLogging;
  close(): Promise<void>;
}

/** Requests answered and 5xx among them since start (alerts compute the error rate from it), and 401/403 per client address. */
export interface Traffic {
  requests: number;
  errors5xx: number;
  /** Authentication failures per address since the alert monitor last drained them. */
  authFailures: AuthFailureCounter;
}

/** What the HTTP server runs on: the services with the task queue. */
export type ServerServices = Services & { queue: TaskQueue; keys: ApiKeyStore; metrics: Metrics | null; traffic: Traffic };

export interface OpenOptions {
  /** Import the bundled corpus into an empty database (the service does; CLI commands too). */
  seed?: boolean;
  onSeedProgress?: (bytesRead: number, totalBytes: number, report: ImportReport) => void;
  onIndexProgress?: (done: number, total: number) => void;
  forceIndex?: boolean;
  /** Open and start the task queue (`data/queue.db` or DATABASE_URL). */
  queue?: boolean;
  /** Run searches on worker threads (search.workers): the server does; CLI commands search on their own thread. */
  searchWorkers?: boolean;
  /** The server's log files, kept with the services (slow tasks go to performance.log). */
  logging?: ServerLogging;
  /** The clock of the timing logic (default: the system clock). */
  clock?: Clock;
}

/**
 * Opens the application database, seeds it with the bundled corpus when it is
 * empty, and loads (or rebuilds) the search index.
 */
export async function openServices(config: Readonly<Config>, logger: Logger, options: OpenOptions & { queue: true }): Promise<ServerServices>;
export async function openServices(config: Readonly<Config>, logger: Logger, options?: OpenOptions): Promise<Services>;
export async function openServices(config: Readonly<Config>, logger: Logger, options: OpenOptions = {}): Promise<Services> {
  const store = await PrecedentStore.open(config.paths.database);
  let instanceId = config.server.instanceId || `${os.hostname()}-${process.pid}`;
  const clock = options.clock ?? systemClock;
  let queue: TaskQueue | undefined;
  let opened: SearchService | undefined;
  try {
    // Before seeding: on an empty database this only records the rules' version, and the import derives the links itself.
    const t0 = performance.now();
    const relinked = store.ensureLinks();
    if (relinked > 0)
      logger.info(
        { decisions: relinked, ms: Math.round(performance.now() - t0) },
        `판례 ${relinked.toLocaleString('ko-KR')}건의 참조 판례·적용 법조문 목록을 다시 만들었습니다`,
      );
    if (options.seed !== false) await seedIfEmpty(config, store, logger, options.onSeedProgress);
    const search = SearchService.open(config, store, logger, {
      force: options.forceIndex,
      onProgress: options.onIndexProgress,
      clock,
      workers: options.searchWorkers,
    });
    opened = search;
    if (options.queue) {
      queue = await openQueue(config, logger, instanceIdentityOf(config), VERSION, clock);
      await queue.start();
      instanceId = queue.instanceId;
      logger.info(
        { queue: queue.store.location, backend: queue.store.kind, profile: queue.profile.mode },
        `작업 큐를 시작했습니다 (${queue.store.kind}: ${queue.store.location})`,
      );
    }
    const q = queue;
    let metrics: Metrics | null = null;
    if (queue && config.metrics.enabled) {
      const qq = queue;
      metrics = new Metrics({
        queueCounts: () => qq.activeCounts(),
        searchIndex: () => {
          const st = search.status();
          return { documents: st.documents, buildMs: st.build_ms, loadedInMs: st.loaded_in_ms };
        },
      });
      queue.observe(metrics.queueObserver());
    }
    const perf = options.logging?.performance;
    if (queue && perf) {
      const slowMs = config.log.slowTaskMs;
      queue.observe({
        finished: (type, status, waitMs, runMs, task) => {
          if (waitMs + runMs < slowMs) return;
          const requestId = (task.payload as { request_id?: unknown } | null)?.request_id;
          perf.warn(
            {
              kind: 'task',
              task_id: task.id,
              type,
              status,
              wait_ms: Math.round(waitMs),
              run_ms: Math.round(runMs),
              request_id: typeof requestId === 'string' ? requestId : undefined,
            },
            'slow task',
          );
        },
        rejected: () => undefined,
        timedOut: () => undefined,
        reclaimed: () => undefined,
      });
    }
    return {
      metrics,
      traffic: { requests: 0, errors5xx: 0, authFailures: new AuthFailureCounter() },
      logging: options.logging,
      config,
      logger,
      store,
      search,
      instanceId,
      startedAt: new Date(clock.now()),
      clock,
      queue,
      keys: queue ? new ApiKeyStore(queue.store.shared) : undefined,
      close: async () => {
        try {
          await q?.close();
        } finally {
          await search.close().catch(() => undefined);
          await store.close();
        }
      },
    };
  } catch (err) {
    await queue?.close().catch(() => undefined);
    await opened?.close().catch(() => undefined);
    await store.close();
    throw err;
  }
}

async function seedIfEmpty(config: Readonly<Config>, store: PrecedentStore, logger: Logger, onProgress?: OpenOptions['onSeedProgress']): Promise<void> {
  const seed = config.paths.seedCorpus;
  // A seed import that broke off (a damaged file, a crash) is finished at the next start,
  // instead of serving a partial corpus forever because the database is no longer empty.
  const unfinished = store.getMeta(SEED_PENDING);
  if (!seed || (store.count() > 0 && unfinished === undefined)) return;
  if (!fs.existsSync(seed)) {
    logger.warn(
      { seed },
      `기본 판례 데이터 ${seed}이(가) 없어 ${unfinished === undefined ? '빈 데이터베이스로' : '끝나지 않은 기본 데이터 가져오기를 마치지 못한 채'} 시작합니다`,
    );
    return;
  }
  logger.info(
    { seed, database: config.paths.database },
    unfinished === undefined ? '빈 데이터베이스에 기본 판례 데이터를 가져옵니다 (처음 한 번)' : '지난번에 끝나지 않은 기본 판례 데이터 가져오기를 마칩니다',
  );
  store.setMeta(SEED_PENDING, seed);
  let report: ImportReport;
  try {
    report = await importFile(store, seed, { onProgress });
  } catch (err) {
    if (err instanceof ImportIncompleteError) {
      throw E.SEED_INCOMPLETE.error({ file: seed, reason: err.readError.message }).because(err);
    }
    throw err;
  }
  store.setMeta(SEED_PENDING, null);
  logger.info(
    { seed, inserted: report.inserted, rejected: report.rejected, ms: report.ms },
    `기본 판례 ${report.inserted.toLocaleString('ko-KR')}건을 가져왔습니다`,
  );
  if (report.rejected > 0)
    logger.warn(
      { problems: report.problems.slice(0, 10) },
      `기본 데이터 중 ${report.rejected}줄을 형식 오류로 건너뛰었습니다 (예: 사건번호 자리에 '선고'처럼 깨진 기록; 줄 번호와 이유는 problems)`,
    );
}
