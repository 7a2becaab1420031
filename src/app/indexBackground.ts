import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { verifyChecksums, type Bm25Params, type PendingChecksum } from '../search/index.js';
import type { IndexBuildData, IndexBuildMessage } from './indexBuildWorker.js';
import { appWorkerFile, workerExecArgv } from './searchPool.js';

/**
 * What the server does to its index in the background while it serves
 * (SearchService): log a long build's progress, verify deferred checksums,
 * and rebuild on a thread of its own.
 */

/**
 * Logs a long index build's progress (every 15 s, with a rate and an estimate of what is left), so a
 * server that builds before it listens is visibly alive.
 */
export function progressLogger(logger: Logger, clock: Clock): (done: number, total: number) => void {
  const started = clock.now();
  let last = started;
  return (done, total) => {
    const now = clock.now();
    if (now - last < 15_000 || done >= total) return;
    last = now;
    const perSecond = done / Math.max(0.001, (now - started) / 1000);
    const leftS = Math.round((total - done) / Math.max(1, perSecond));
    logger.info(
      { done, total, per_second: Math.round(perSecond), left_s: leftS },
      `검색 색인 만드는 중: ${done.toLocaleString('ko-KR')} / ${total.toLocaleString('ko-KR')}건 (${Math.floor((done / Math.max(1, total)) * 100)}%, 약 ${leftS}초 남음)`,
    );
  };
}

/** A rebuild beside the served index, as /api/search/status shows it. */
export interface BuildState {
  state: 'building' | 'failed';
  reason: string;
  started_at: string;
  done: number;
  total: number;
  message?: string;
}

export type ChecksumState = 'verified' | 'verifying' | 'failed';

/**
 * Verifies deferred checksums a step (≤ 16 MB) per turn of the event loop, so requests are served
 * meanwhile. `onState` hears 'verifying', then 'verified' or 'failed' with the reason; it stops
 * early, silently, once `isCurrent` says the index was replaced.
 */
export function verifyInBackground(
  pending: readonly PendingChecksum[],
  o: { logger: Logger; clock: Clock; isCurrent: () => boolean; onState: (state: ChecksumState, reason?: string) => void },
): void {
  if (pending.length === 0) return;
  const steps = verifyChecksums(pending);
  const started = o.clock.now();
  o.onState('verifying');
  const step = (): void => {
    if (!o.isCurrent()) return;
    const r = steps.next();
    if (!r.done) return void setImmediate(step);
    if (r.value === null) {
      o.logger.info({ sections: pending.length, ms: o.clock.now() - started }, '검색 색인의 체크섬을 모두 확인했습니다');
      return o.onState('verified');
    }
    const d = r.value.details;
    const reason = typeof d?.reason === 'string' ? `${String(d.file)}: ${d.reason}` : r.value.message;
    o.logger.error({ err: r.value }, `검색 색인 파일이 손상되었습니다 (${reason}). 지금 색인으로 검색하면서 새로 만듭니다`);
    o.onState('failed', reason);
  };
  setImmediate(step);
}

/**
 * Rebuilds the index on a thread of its own (src/app/indexBuildWorker.ts) while the server keeps
 * serving the loaded one; progress is logged and kept in `state`; `onDone` runs when the new index is
 * committed (the server then loads it like one another process built).
 */
export class BackgroundRebuild {
  state: BuildState | null;
  private worker: Worker | null;

  constructor(
    o: Omit<IndexBuildData, 'database' | 'dir'> & {
      database: string;
      dir: string;
      total: number;
      logger: Logger;
      clock: Clock;
      onDone: () => void;
    },
  ) {
    const { logger, reason } = o;
    const file = appWorkerFile('indexBuildWorker');
    const data: IndexBuildData = {
      database: path.resolve(o.database),
      dir: path.resolve(o.dir),
      params: o.params satisfies Bm25Params,
      memoryBudgetBytes: o.memoryBudgetBytes,
      reason,
    };
    this.state = { state: 'building', reason, started_at: new Date(o.clock.now()).toISOString(), done: 0, total: o.total };
    logger.warn({ reason }, `검색 색인을 다시 만들어야 합니다 (${reason}). 다 만들 때까지 지금 색인으로 검색합니다`);
    const log = progressLogger(logger, o.clock);
    const worker = new Worker(file, { workerData: data, execArgv: workerExecArgv(file) });
    this.worker = worker;
    const failed = (message: string): void => {
      this.state = { ...this.state!, state: 'failed', message };
    };
    worker.on('message', (m: IndexBuildMessage) => {
      if (m.kind === 'progress') {
        if (this.state) Object.assign(this.state, { done: m.done, total: m.total });
        log(m.done, m.total);
      } else if (m.kind === 'done') {
        this.state = null;
        logger.info({ documents: m.documents, build_ms: m.ms }, '검색 색인을 새로 만들었습니다 (백그라운드)');
        o.onDone();
      } else if (m.kind === 'elsewhere') {
        // Replicas sharing one index directory: one builds, the others load its result when it commits.
        this.state = null;
        logger.info({ reason }, `${m.message} 그 색인이 완성되면 불러옵니다`);
      } else {
        failed(m.message);
        logger.error({ reason, message: m.message }, `검색 색인을 백그라운드에서 다시 만들지 못했습니다: ${m.message}`);
      }
    });
    worker.on('error', (err) => {
      failed(err.message);
      logger.error({ err }, '검색 색인을 백그라운드에서 다시 만들지 못했습니다');
    });
    worker.on('exit', () => (this.worker = null));
    worker.unref();
  }

  async terminate(): Promise<void> {
    await this.worker?.terminate();
  }
}
