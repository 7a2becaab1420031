import fs from 'node:fs';
import os from 'node:os';
import { createLogger } from '../../ops/index.js';
import {
  openQueueStore,
  TASK_STATUSES,
  TASK_TYPE_NAMES as TYPE_KO,
  TASK_TYPES,
  taskTypeOf,
  type QueueStore,
  type TaskRecord,
  type TaskType,
} from '../../queue/index.js';
import { E, EXIT, isAlawError } from '../../errors/index.js';
import { cliConfig, type GlobalOptions } from '../context.js';

/** Opens the queue database (`data/queue.db` or DATABASE_URL) for a command; `create`: make the SQLite file when it does not exist yet. */
export async function withStore<T>(g: GlobalOptions, run: (store: QueueStore) => Promise<T>, create = false): Promise<T> {
  const config = cliConfig(g);
  const logger = createLogger(g.verbose ? 'info' : 'warn', 2);
  if (!create && !config.queue.databaseUrl && !fs.existsSync(config.paths.queueDatabase)) {
    throw E.QUEUE_DB_MISSING.error({ file: config.paths.queueDatabase });
  }
  let store: QueueStore;
  try {
    store = await openQueueStore(config, logger);
  } catch (err) {
    if (isAlawError(err)) throw err;
    throw E.QUEUE_UNAVAILABLE.error({ location: config.queue.databaseUrl ? 'PostgreSQL' : config.paths.queueDatabase, reason: (err as Error).message }).because(
      err,
    );
  }
  try {
    return await run(store);
  } finally {
    await store.close();
  }
}

const age = (iso: string | null): string => (iso ? `${Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000))}초 전` : '-');

function taskLine(t: TaskRecord): string {
  return `  ${t.id}  ${t.type.padEnd(8)} ${t.owner ?? '-'}  시도 ${t.attempts}/${t.max_attempts}  시작 ${age(t.started_at)}  임대 만료 ${t.lease_expires_at ?? '-'}`;
}

/**
 * `alaw queue status`: the queue as the operator on the machine sees it,
 * straight from `data/queue.db` (or DATABASE_URL) — works while the server is down.
 */
export async function runQueueStatus(opts: GlobalOptions & { json?: boolean; limit: number }): Promise<number> {
  return withStore(opts, async (store) => {
    const [counts, oldest, instances, processing] = await Promise.all([
      store.counts(),
      store.oldestPending(),
      store.instances(90_000),
      store.list('processing', opts.limit),
    ]);
    if (opts.json) {
      process.stdout.write(
        JSON.stringify({ backend: { kind: store.kind, location: store.location }, counts, oldest_pending: oldest, instances, processing }, null, 2) + '\n',
      );
      return EXIT.ok;
    }
    const out: string[] = [`작업 큐: ${store.kind} (${store.location})`, ''];
    out.push(`${'type'.padEnd(9)}${TASK_STATUSES.map((s) => s.padStart(11)).join('')}   가장 오래 기다린 작업`);
    for (const t of TASK_TYPES) {
      const o = oldest[t];
      out.push(
        `${t.padEnd(9)}${TASK_STATUSES.map((s) => String(counts[t][s]).padStart(11)).join('')}   ${o === null ? '-' : `${Math.round((Date.now() - o) / 1000)}초`}`,
      );
    }
    out.push(
      '',
      `살아 있는 인스턴스 ${instances.length}개${instances.length ? ': ' + instances.map((i) => `${i.instance_id}${i.draining ? '(종료 중)' : ''}`).join(', ') : ' (서버가 꺼져 있거나 하트비트가 90초 넘게 없음)'}`,
    );
    out.push('', processing.length ? `처리 중인 작업 (오래된 순, 최대 ${opts.limit}건):` : '처리 중인 작업 없음');
    for (const t of processing) out.push(taskLine(t));
    process.stdout.write(out.join('\n') + '\n');
    return EXIT.ok;
  });
}

/**
 * `alaw queue clear (--type T | --all) --yes`: cancels pending tasks, like `POST /api/queue/clear`, for the operator
 * on the machine. Which queue is never implied: no type is an error, everything needs `--all` (or `--type all`).
 */
export async function runQueueClear(opts: GlobalOptions & { type?: string; all?: boolean; yes?: boolean; json?: boolean }): Promise<number> {
  if (opts.type === undefined && !opts.all) throw E.QUEUE_CLEAR_TYPE_REQUIRED.error({ via: 'cli' });
  let type: TaskType | null = null;
  if (opts.type !== undefined && opts.type !== 'all') {
    type = taskTypeOf(opts.type) ?? null;
    if (!type) throw E.QUEUE_TYPE_INVALID.error({ option: '--type', value: opts.type });
  }
  return withStore(opts, async (store) => {
    const counts = await store.counts(true);
    const pending = type ? counts[type].pending : TASK_TYPES.reduce((n, t) => n + counts[t].pending, 0);
    if (!opts.yes) {
      throw E.CLI_CONFIRM_REQUIRED.error({ action: 'queue_clear', what: type ? `${TYPE_KO[type]} ` : '', pending });
    }
    const who = `alaw queue clear (${os.userInfo().username}@${os.hostname()})`;
    const rows = await store.cancelPending(type, E.QUEUE_CANCELLED.error({ by: who }));
    const byType: Record<TaskType, number> = { search: 0, analysis: 0 };
    for (const r of rows) byType[r.type] += 1;
    if (opts.json) process.stdout.write(JSON.stringify({ removed: rows.length, by_type: byType, ids: rows.map((r) => r.id), type: type ?? 'all' }) + '\n');
    else process.stdout.write(`대기 중인 작업 ${rows.length}건을 취소했습니다 (검색 ${byType.search}, 사건 분석 ${byType.analysis}).\n`);
    return EXIT.ok;
  });
}
