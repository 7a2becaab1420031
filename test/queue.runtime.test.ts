import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { AlawError, E } from '../src/errors/index.js';
import { createLogger } from '../src/ops/index.js';
import {
  cgroupMemoryPercent,
  PgQueueStore,
  ProfileController,
  RetryableTaskError,
  SqliteQueueStore,
  TaskQueue,
  type QueueLimits,
  type QueueOptions,
  type QueueStore,
} from '../src/queue/index.js';
import { tempDir } from './helpers.js';
import pg from 'pg';
import { queueOptions } from './support/queue.js';
import { createTestDatabase, PG_ADMIN_URL, type TestDatabase } from './support/pg.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tmp = tempDir('alaw-queue-runtime-');
let pgDb: TestDatabase | undefined;
let n = 0;
const open: QueueTaskQueue[] = [];
type QueueTaskQueue = TaskQueue;

const LIMITS: QueueLimits = { search: { max_concurrent: 2, max_queue_size: 10, timeout: 30 }, analysis: { max_concurrent: 1, max_queue_size: 5, timeout: 60 } };

function options(over: Partial<QueueOptions> = {}, limits: Partial<QueueLimits> = {}): QueueOptions {
  return queueOptions({ ...LIMITS, ...limits }, over);
}

async function sqliteQueue(over: Partial<QueueOptions> = {}, limits: Partial<QueueLimits> = {}, file?: string): Promise<TaskQueue> {
  const store = await SqliteQueueStore.open(file ?? path.join(tmp.dir, `q-${++n}.db`));
  return started(store, over, limits);
}

async function started(store: QueueStore, over: Partial<QueueOptions>, limits: Partial<QueueLimits>): Promise<TaskQueue> {
  const q = new TaskQueue(store, options(over, limits), createLogger('silent'));
  await q.start();
  open.push(q);
  return q;
}

async function rejection(p: Promise<unknown>): Promise<AlawError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AlawError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

afterEach(async () => {
  for (const q of open.splice(0)) await q.close().catch(() => undefined);
});
afterAll(async () => {
  await pgDb?.drop();
  tmp.cleanup();
});

describe('TaskQueue: synchronous tasks (searches)', () => {
  it('runs the function, returns its value and records the task with its summary', async () => {
    const q = await sqliteQueue();
    let id = '';
    const value = await q.run('search', { q: '명의신탁' }, () => ({ total: 3 }), { summarize: (v) => ({ total: v.total }), onAdmitted: (i) => (id = i) });
    expect(value).toEqual({ total: 3 });
    // Before the recorder's batch is written, health counts it and the task is found from memory.
    expect((await q.health()).queue_stats.search.completed).toBe(1);
    expect(await q.task(id)).toMatchObject({ id, status: 'completed', result: { total: 3 }, payload: { q: '명의신탁' } });
    await q.flushRecords();
    const counts = await q.store.counts();
    expect(counts.search.completed).toBe(1);
    expect(await q.store.get(id)).toMatchObject({ status: 'completed', result: { total: 3 }, attempts: 1, affinity: q.instanceId });
    const status = await q.status();
    expect((status.types as Record<string, { run_ms: { samples: number } }>).search!.run_ms.samples).toBe(1);
  });

  it('never runs more than max_concurrent at once and serves in arrival order', async () => {
    const q = await sqliteQueue({}, { search: { max_concurrent: 2, max_queue_size: 20, timeout: 10 } });
    let active = 0;
    let peak = 0;
    const order: number[] = [];
    const job = (i: number) => async () => {
      active += 1;
      peak = Math.max(peak, active);
      order.push(i);
      await sleep(20);
      active -= 1;
      return i;
    };
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => q.run('search', { i }, job(i))));
    expect(results).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    await q.flushRecords();
    expect((await q.store.counts()).search).toMatchObject({ completed: 8, pending: 0, processing: 0 });
  });

  it('turns work away with 429 and Retry-After when the queue is full, and loses nothing it admitted', async () => {
    const q = await sqliteQueue({}, { search: { max_concurrent: 1, max_queue_size: 3, timeout: 10 } });
    const settled = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => q.run('search', { i }, async () => (await sleep(10), i))));
    const ok = settled.filter((s) => s.status === 'fulfilled');
    const refused = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected').map((s) => s.reason as AlawError);
    expect(ok).toHaveLength(4); // one running + three waiting
    expect(refused).toHaveLength(8);
    for (const e of refused) {
      expect(e.code).toBe('ALAW_ERR_QUEUE_FULL');
      expect(e.status).toBe(429);
      expect(Number(e.headers?.['Retry-After'])).toBeGreaterThanOrEqual(1);
      expect(e.details).toMatchObject({ type: 'search', pending: 3, max_queue_size: 3 });
    }
    await q.flushRecords();
    const c = (await q.store.counts()).search;
    expect(c).toMatchObject({ completed: 4, pending: 0, processing: 0, failed: 0 });
    expect(((await q.status()).types as Record<string, { this_instance: { rejected_total: number } }>).search!.this_instance.rejected_total).toBe(8);
  });

  it('admits, queues and turns away searches without a database write; their rows arrive in batches', async () => {
    const store = await SqliteQueueStore.open(path.join(tmp.dir, `batch-${++n}.db`));
    const calls: string[] = [];
    const batches: number[] = [];
    const spy = new Proxy(store, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          calls.push(String(prop));
          if (prop === 'record') batches.push((args[0] as unknown[]).length);
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const q = await started(
      spy,
      { recorder: { flushMs: 100, batchRows: 1000, maxRows: 10_000 } },
      { search: { max_concurrent: 1, max_queue_size: 3, timeout: 10 } },
    );
    calls.length = 0;
    const settled = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => q.run('search', { i }, async () => (await sleep(5), i))));
    expect(settled.filter((r) => r.status === 'fulfilled')).toHaveLength(4);
    // No store call for admitting, waiting, running or refusing (timers may heartbeat meanwhile); the only write is the
    // recorder's batch of the four that ran (refusals in a flood are answered a second later: the batch is already written).
    expect(
      calls.filter(
        (c) => !['heartbeatInstance', 'reapInstances', 'instances', 'renew', 'reclaim', 'prune', 'pruneInstances', 'durations', 'record'].includes(c),
      ),
    ).toEqual([]);
    for (let i = 0; i < 50 && batches.length === 0; i++) await sleep(20);
    expect(batches).toEqual([4]);
    expect((await store.counts()).search).toMatchObject({ completed: 4, pending: 0, processing: 0 });
  });

  it('a database that fails keeps the ended searches for the next batch, and searches go on', async () => {
    const store = await SqliteQueueStore.open(path.join(tmp.dir, `down-${++n}.db`));
    let down = true;
    const flaky = new Proxy(store, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) =>
          prop === 'record' && down ? Promise.reject(new Error('disk I/O error')) : (v as (...a: unknown[]) => unknown).apply(target, args);
      },
    });
    const q = await started(flaky, {}, { search: { max_concurrent: 1, max_queue_size: 5, timeout: 0.3 } });
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const first = q.run('search', {}, async () => (await gate, 'first'));
    const late = rejection(q.run('search', {}, () => 'never'));
    expect((await late).code).toBe('ALAW_ERR_QUEUE_WAIT_TIMEOUT');
    open();
    expect(await first).toBe('first');
    await q.flushRecords();
    expect(q.recordBacklog.rows).toBe(2);
    expect((await q.health()).queue_stats.search).toMatchObject({ completed: 1, pending: 0, processing: 0 });
    down = false;
    await q.flushRecords();
    expect(q.recordBacklog.rows).toBe(0);
    expect((await store.counts()).search).toMatchObject({ completed: 1, timeout: 1 });
  });

  it('records a failing function as failed and passes its error on', async () => {
    const q = await sqliteQueue();
    const boom = E.SEARCH_QUERY_EMPTY.error({ reason: 'missing' });
    await expect(q.run('search', {}, () => Promise.reject(boom))).rejects.toBe(boom);
    await q.flushRecords();
    const ids = await q.store.cancelPending(null, E.QUEUE_CANCELLED.error({ by: 'test' }));
    expect(ids).toEqual([]);
    expect((await q.store.counts()).search.failed).toBe(1);
  });

  it('clear cancels waiting searches, whose callers get 503 ALAW_ERR_QUEUE_CANCELLED', async () => {
    const q = await sqliteQueue({}, { search: { max_concurrent: 1, max_queue_size: 5, timeout: 10 } });
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const running = q.run('search', {}, async () => (await gate, 'ran'));
    const waiting = [rejection(q.run('search', {}, () => 'x')), rejection(q.run('search', {}, () => 'y'))];
    await sleep(20);
    const out = await q.clear('search', 'test');
    open();
    expect(out.removed).toBe(2);
    expect(out.by_type).toEqual({ search: 2, analysis: 0 });
    for (const e of await Promise.all(waiting)) expect(e.code).toBe('ALAW_ERR_QUEUE_CANCELLED');
    expect(await running).toBe('ran');
  });

  it('cancel() takes a waiting search out of the line; its caller gets 503 and its row says cancelled', async () => {
    const q = await sqliteQueue({}, { search: { max_concurrent: 1, max_queue_size: 5, timeout: 10 } });
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const running = q.run('search', {}, async () => (await gate, 'ran'));
    let waitingId = '';
    const waiting = rejection(q.run('search', { w: 1 }, () => 'x', { onAdmitted: (id) => (waitingId = id) }));
    await sleep(10);
    expect(await q.task(waitingId)).toMatchObject({ status: 'pending', position: 1 });
    expect(await q.cancel(waitingId, 'test')).toBe('cancelled');
    expect((await waiting).code).toBe('ALAW_ERR_QUEUE_CANCELLED');
    open();
    expect(await running).toBe('ran');
    await q.flushRecords();
    expect(await q.store.get(waitingId)).toMatchObject({ status: 'cancelled', error_code: 'ALAW_ERR_TASK_CANCELLED', payload: { w: 1 } });
  });
});

describe('TaskQueue: asynchronous tasks (analysis workers)', () => {
  it('runs submitted tasks on the registered worker and stores results', async () => {
    const q = await sqliteQueue({}, { analysis: { max_concurrent: 1, max_queue_size: 5, timeout: 10 } });
    q.handle('analysis', async (payload) => ({ echoed: payload }));
    const a = await q.submit('analysis', { text: '가' });
    expect(a.position).toBe(1);
    for (let i = 0; i < 100 && (await q.task(a.id))?.status !== 'completed'; i++) await sleep(10);
    const t = await q.task(a.id);
    expect(t).toMatchObject({ status: 'completed', result: { echoed: { text: '가' } }, attempts: 1, position: null });
  });

  it('without a worker, tasks wait with a position and an estimate', async () => {
    const q = await sqliteQueue();
    const a = await q.submit('analysis', {});
    const b = await q.submit('analysis', {});
    expect([a.position, b.position]).toEqual([1, 2]);
    const t = await q.task(b.id);
    expect(t).toMatchObject({ status: 'pending', position: 2 });
    expect(t!.estimated_wait_s).toBeGreaterThanOrEqual(1);
    const full = await Promise.allSettled(Array.from({ length: 5 }, () => q.submit('analysis', {})));
    expect(full.filter((s) => s.status === 'rejected')).toHaveLength(2);
  });

  it('retries a retryable failure up to max attempts, then fails with the reason', async () => {
    const q = await sqliteQueue({ maxAttempts: 2 });
    let calls = 0;
    q.handle('analysis', async (payload) => {
      calls += 1;
      if ((payload as { flaky: boolean }).flaky && calls === 1) throw new RetryableTaskError(E.LLM_UNREACHABLE.error({ baseUrl: 'http://model' }));
      if ((payload as { broken?: boolean }).broken) throw new RetryableTaskError(E.LLM_HTTP.error({ status: 503, detail: '계속 실패' }));
      return 'ok';
    });
    const flaky = await q.submit('analysis', { flaky: true });
    for (let i = 0; i < 200 && (await q.task(flaky.id))?.status !== 'completed'; i++) await sleep(10);
    expect(await q.task(flaky.id)).toMatchObject({ status: 'completed', attempts: 2, result: 'ok' });
    const broken = await q.submit('analysis', { broken: true });
    for (let i = 0; i < 200 && (await q.task(broken.id))?.status === 'pending'; i++) await sleep(10);
    for (let i = 0; i < 200 && (await q.task(broken.id))?.status !== 'failed'; i++) await sleep(10);
    expect(await q.task(broken.id)).toMatchObject({
      status: 'failed',
      attempts: 2,
      error: E.LLM_HTTP.message({ status: 503, detail: '계속 실패' }),
      error_code: 'ALAW_ERR_LLM_HTTP',
    });
  });

  it('cancel(): a pending task at once, a running one here by aborting its handler; not a finished one', async () => {
    const q = await sqliteQueue({}, { analysis: { max_concurrent: 1, max_queue_size: 5, timeout: 60 } });
    const waiting = await q.submit('analysis', {});
    expect(await q.cancel(waiting.id, 'test')).toBe('cancelled');
    expect(await q.task(waiting.id)).toMatchObject({ status: 'cancelled', error_code: 'ALAW_ERR_TASK_CANCELLED' });
    let sawAbort = false;
    let started = false;
    q.handle('analysis', (_p, { signal }) => {
      started = true;
      return new Promise((_r, reject) => signal.addEventListener('abort', () => ((sawAbort = true), reject(signal.reason as Error))));
    });
    const running = await q.submit('analysis', {});
    for (let i = 0; i < 100 && !started; i++) await sleep(10);
    expect(await q.cancel(running.id, 'test')).toBe('cancelled');
    for (let i = 0; i < 100 && (await q.task(running.id))?.status === 'processing'; i++) await sleep(10);
    expect(sawAbort).toBe(true);
    expect(await q.task(running.id)).toMatchObject({ status: 'cancelled', error_code: 'ALAW_ERR_TASK_CANCELLED' });
    expect(await q.cancel(running.id, 'again')).toBe('finished');
    expect(await q.cancel('nope', 'x')).toBe('not_found');
  });

  it('a handler error fails the task at once with its message', async () => {
    const q = await sqliteQueue();
    q.handle('analysis', () => Promise.reject(new Error('설명이 너무 짧습니다')));
    const a = await q.submit('analysis', {});
    for (let i = 0; i < 100 && (await q.task(a.id))?.status !== 'failed'; i++) await sleep(10);
    expect(await q.task(a.id)).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: '작업이 실패했습니다: 설명이 너무 짧습니다',
      error_code: 'ALAW_ERR_TASK_FAILED',
    });
  });
});

describe('TaskQueue: health and status', () => {
  it('health has exactly the guide shape and turns degraded when a queue is nearly full', async () => {
    const q = await sqliteQueue({}, { analysis: { max_concurrent: 1, max_queue_size: 5, timeout: 60 } });
    const h = await q.health();
    expect(Object.keys(h).sort()).toEqual(['is_running', 'queue_stats', 'resource_usage', 'status', 'timestamp']);
    expect(h).toMatchObject({
      status: 'healthy',
      is_running: true,
      queue_stats: { search: { pending: 0, processing: 0, completed: 0 }, analysis: { pending: 0, processing: 0, completed: 0 } },
    });
    expect(Object.keys(h.queue_stats.search).sort()).toEqual(['completed', 'pending', 'processing']);
    expect(h.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(h.resource_usage.memory_percent).toBeGreaterThan(0);
    expect(h.resource_usage.memory_percent).toBeLessThanOrEqual(100);
    for (let i = 0; i < 4; i++) await q.submit('analysis', {});
    const d = await q.health();
    expect(d.status).toBe('degraded');
    expect(d.queue_stats.analysis.pending).toBe(4);
    const s = await q.status();
    expect(s.reasons).toEqual([expect.stringContaining('4/5')]);
  });

  it('is unhealthy when the database is gone; searches (which need no queue database) are still answered, analyses are 503', async () => {
    const q = await sqliteQueue();
    await q.store.close();
    const h = await q.health();
    expect(h.status).toBe('unhealthy');
    expect(await q.run('search', {}, () => 1)).toBe(1);
    await expect(q.submit('analysis', {})).rejects.toMatchObject({ code: 'ALAW_ERR_QUEUE_UNAVAILABLE', status: 503 });
  });
});

describe('TaskQueue: one profile for the cluster', () => {
  it('instances with different readings and limits apply one decision, shown with each instance’s vote and the reason', async () => {
    const file = path.join(tmp.dir, `cluster-${++n}.db`);
    const low = { search: { max_concurrent: 3, max_queue_size: 20, timeout: 60 }, analysis: { max_concurrent: 2, max_queue_size: 15, timeout: 120 } };
    const high = { search: { max_concurrent: 9, max_queue_size: 90, timeout: 90 }, analysis: { max_concurrent: 4, max_queue_size: 40, timeout: 120 } };
    const profile = (mode: 'optimized' | 'conservative', optimized: QueueLimits) => ({
      mode,
      conservative: LIMITS,
      optimized,
      memoryPercentBelow: 60,
      cpuPercentBelow: 50,
      hysteresisPercent: 5,
      samplesToSwitch: 3,
    });
    // Both fixed at optimized, with different optimized limits: the cluster runs optimized at the smaller ones.
    const a = await sqliteQueue({ instanceId: 'a', heartbeatMs: 50, deadMs: 1_000, profile: profile('optimized', low) }, {}, file);
    const b = await sqliteQueue({ instanceId: 'b', heartbeatMs: 50, deadMs: 1_000, profile: profile('optimized', high) }, {}, file);
    await sleep(200);
    for (const q of [a, b]) {
      expect(q.activeProfile).toBe('optimized');
      expect(q.limits('search')).toEqual(low.search);
      expect(q.limits('analysis')).toEqual(low.analysis);
    }
    // A third instance that votes conservative turns the whole cluster conservative.
    const c = await sqliteQueue({ instanceId: 'c', heartbeatMs: 50, deadMs: 1_000, profile: profile('conservative', high) }, {}, file);
    await sleep(200);
    for (const q of [a, b, c]) {
      expect(q.activeProfile).toBe('conservative');
      expect(q.limits('search')).toEqual(LIMITS.search);
    }
    const st = (await a.status()) as {
      profile: { active: string; vote: string; cluster: { active: string; reason: string; instances: { instance_id: string; vote: string }[] } };
      types: { search: { limits: unknown } };
      instances: { instance_id: string; state: { usage: { memory_percent: number } } | null }[];
    };
    expect(st.profile).toMatchObject({ active: 'conservative', vote: 'optimized' });
    expect(st.profile.cluster.reason).toContain('c');
    expect(st.profile.cluster.instances.map((i) => [i.instance_id, i.vote])).toEqual([
      ['a', 'optimized'],
      ['b', 'optimized'],
      ['c', 'conservative'],
    ]);
    expect(st.types.search.limits).toEqual(LIMITS.search);
    expect(st.instances.map((i) => typeof i.state?.usage.memory_percent)).toEqual(['number', 'number', 'number']);
    // When it stops, the rest go back to optimized.
    await c.close();
    await sleep(200);
    expect(a.activeProfile).toBe('optimized');
    expect(b.limits('search')).toEqual(low.search);
  });
});

describe('cgroupMemoryPercent: memory against a container limit', () => {
  const GB = 2 ** 30;
  it('counts usage without reclaimable page cache against the limit (cgroup v2 and v1)', () => {
    expect(cgroupMemoryPercent(`${2 * GB}\n`, `${GB}\n`, `anon 1\ninactive_file ${GB / 2}\nactive_file 3\n`, 24 * GB)).toBe(25);
    expect(cgroupMemoryPercent(`${4 * GB}`, `${3 * GB}`, `cache 5\ntotal_inactive_file ${GB}\n`, 24 * GB)).toBe(50);
  });
  it('is null without a limit below the machine memory', () => {
    expect(cgroupMemoryPercent('max\n', '123', '', 24 * GB)).toBeNull();
    expect(cgroupMemoryPercent('9223372036854771712', '123', '', 24 * GB)).toBeNull();
  });
});

describe('ProfileController: the guide optimize_queue_settings with hysteresis', () => {
  const limits = (c: number): QueueLimits => ({
    search: { max_concurrent: c, max_queue_size: 10, timeout: 30 },
    analysis: { max_concurrent: 1, max_queue_size: 5, timeout: 60 },
  });
  const make = (mode: 'auto' | 'conservative' | 'optimized' = 'auto') =>
    new ProfileController({
      mode,
      conservative: limits(2),
      optimized: limits(3),
      memoryPercentBelow: 60,
      cpuPercentBelow: 50,
      hysteresisPercent: 5,
      samplesToSwitch: 2,
    });

  it('switches to optimized only after consecutive low samples, and back only above the margin', () => {
    const p = make();
    expect(p.name).toBe('conservative');
    expect(p.observe({ memory_percent: 30, cpu_percent: 10 })).toBeNull();
    expect(p.observe({ memory_percent: 30, cpu_percent: 70 })).toBeNull(); // streak broken
    expect(p.observe({ memory_percent: 30, cpu_percent: 10 })).toBeNull();
    expect(p.observe({ memory_percent: 30, cpu_percent: 10 })).toMatchObject({ from: 'conservative', to: 'optimized' });
    expect(p.limits.search.max_concurrent).toBe(3);
    // Within the margin (50–55 % CPU, 60–65 % memory): stays optimized.
    for (let i = 0; i < 5; i++) expect(p.observe({ memory_percent: 63, cpu_percent: 54 })).toBeNull();
    expect(p.observe({ memory_percent: 30, cpu_percent: 56 })).toBeNull();
    expect(p.observe({ memory_percent: 30, cpu_percent: 56 })).toMatchObject({ from: 'optimized', to: 'conservative' });
    expect(p.limits.search.max_concurrent).toBe(2);
    expect(p.switched?.to).toBe('conservative');
  });

  it('a fixed profile never switches', () => {
    const p = make('optimized');
    for (let i = 0; i < 5; i++) expect(p.observe({ memory_percent: 99, cpu_percent: 99 })).toBeNull();
    expect(p.name).toBe('optimized');
  });
});

describe('TaskQueue on PostgreSQL', () => {
  it('runs searches and asynchronous tasks the same way', async () => {
    pgDb ??= await createTestDatabase();
    const q = await started(await PgQueueStore.open(pgDb.url), {}, { search: { max_concurrent: 1, max_queue_size: 2, timeout: 10 } });
    q.handle('analysis', async () => '완료');
    // The running task waits until the other five have been admitted or refused (each admission is a round trip).
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let refusedSoFar = 0;
    const runs = Array.from({ length: 6 }, (_, i) => q.run('search', { i }, async () => (await gate, i)));
    for (const r of runs) r.catch(() => (refusedSoFar += 1));
    for (let i = 0; i < 200 && refusedSoFar < 3; i++) await sleep(10);
    open();
    const settled = await Promise.allSettled(runs);
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(3);
    const refused = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
    expect(refused.every((s) => (s.reason as AlawError).code === 'ALAW_ERR_QUEUE_FULL')).toBe(true);
    const a = await q.submit('analysis', {});
    for (let i = 0; i < 200 && (await q.task(a.id))?.status !== 'completed'; i++) await sleep(10);
    expect(await q.task(a.id)).toMatchObject({ status: 'completed', result: '완료' });
    const h = await q.health();
    expect(h.queue_stats.search.completed + h.queue_stats.search.pending).toBeGreaterThanOrEqual(3);
    const s = await q.status();
    expect(s.backend).toMatchObject({ kind: 'postgres' });
    expect((s.instances as { instance_id: string }[]).map((i) => i.instance_id)).toContain('test-1');
  });

  it('recovers by itself when the database drops its connections', async () => {
    pgDb ??= await createTestDatabase();
    const q = await started(await PgQueueStore.open(pgDb.url), {}, {});
    expect(await q.run('search', {}, () => 'before')).toBe('before');
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    const killed = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'alaw-queue'`, [
      pgDb.name,
    ]);
    await admin.end();
    expect(killed.rowCount).toBeGreaterThan(0);
    await sleep(100);
    let health = await q.health();
    for (let i = 0; i < 20 && health.status !== 'healthy'; i++) {
      await sleep(100);
      health = await q.health();
    }
    expect(health.status).toBe('healthy');
    expect(await q.run('search', {}, () => 'after')).toBe('after');
  });
});
