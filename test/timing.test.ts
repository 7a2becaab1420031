import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { NarrativeWriter, type LlmSettings } from '../src/analysis/index.js';
import { sleep as clockSleep } from '../src/clock.js';
import { AlawError, E } from '../src/errors/index.js';
import { createLogger } from '../src/ops/index.js';
import {
  ProfileController,
  RetryableTaskError,
  SqliteQueueStore,
  TaskQueue,
  type QueueLimits,
  type QueueOptions,
  type TaskHandler,
} from '../src/queue/index.js';
import { sampleApp, tempDir } from './helpers.js';
import { manualClock, type ManualClock } from './support/clock.js';
import { llmSettings, startFakeLlm } from './support/openai-server.js';
import { queueOptions } from './support/queue.js';

/**
 * The timing logic on a manual clock (test/support/clock.ts): wait and run
 * timeouts, leases and their recovery when an instance freezes, retries with
 * backoff, the shutdown grace period, retention, the API key cache and the
 * model's backoff. Nothing here sleeps on a timer: time moves when the test
 * moves it, so each deadline is checked on both sides.
 */

const tmp = tempDir('alaw-timing-');
const open: { q: TaskQueue; clock: ManualClock }[] = [];
let n = 0;

const LIMITS: QueueLimits = {
  search: { max_concurrent: 1, max_queue_size: 5, timeout: 30 },
  analysis: { max_concurrent: 1, max_queue_size: 5, timeout: 600 },
};

function options(clock: ManualClock, over: Partial<QueueOptions> = {}, limits: Partial<QueueLimits> = {}): QueueOptions {
  return queueOptions({ ...LIMITS, ...limits }, { instanceId: 'a', pollMs: 200, pruneIntervalMs: 24 * 3_600_000, sampleMs: 24 * 3_600_000, clock, ...over });
}

/** A started queue on its own SQLite file (or a shared one), whose store and runtime both run on `clock`. */
async function queueOn(clock: ManualClock, over: Partial<QueueOptions> = {}, limits: Partial<QueueLimits> = {}, file?: string): Promise<TaskQueue> {
  const store = await SqliteQueueStore.open(file ?? path.join(tmp.dir, `t-${++n}.db`), { clock });
  const q = new TaskQueue(store, options(clock, over, limits), createLogger('silent'));
  await q.start();
  open.push({ q, clock });
  return q;
}

/** A promise's outcome so far, without waiting for it. */
function track<T>(p: Promise<T>): { settled: () => boolean; value: () => T | undefined; error: () => AlawError | undefined } {
  let done = false;
  let value: T | undefined;
  let error: AlawError | undefined;
  p.then(
    (v) => ((done = true), (value = v)),
    (e: unknown) => ((done = true), (error = e as AlawError)),
  );
  return { settled: () => done, value: () => value, error: () => error };
}

/** A handler that runs until its task is aborted, and says why it was. */
function untilAborted(seen: { reason?: string; attempts: number[] }): TaskHandler {
  return (_p, ctx) =>
    new Promise((_resolve, reject) => {
      seen.attempts.push(ctx.attempt);
      ctx.signal.addEventListener('abort', () => {
        seen.reason = (ctx.signal.reason as { reason?: string }).reason;
        reject(ctx.signal.reason as Error);
      });
    });
}

afterEach(async () => {
  // Closing drains on the queue's clock: move it along until the drain is done.
  for (const { q, clock } of open.splice(0)) {
    const closing = track(q.close().catch(() => undefined));
    for (let i = 0; i < 100 && !closing.settled(); i++) await clock.advance(1_000, 100);
  }
});
afterAll(() => tmp.cleanup());

describe('the queue on a manual clock', () => {
  it('a waiting search gives up exactly at the type timeout (503), and its row says timeout', async () => {
    const clock = manualClock();
    const q = await queueOn(clock, {}, { search: { max_concurrent: 1, max_queue_size: 5, timeout: 30 } });
    // The one slot is held by a search that never ends by itself (its own run timeout, also 30 s, ends it).
    const holding = track(
      q.run('search', {}, ({ signal }) => new Promise((_r, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error)))),
    );
    let ran = false;
    const waiting = track(q.run('search', {}, () => (ran = true)));
    await clock.advance(29_900, 500);
    expect(waiting.settled()).toBe(false);
    await clock.advance(200);
    expect(waiting.error()).toMatchObject({ code: 'ALAW_ERR_QUEUE_WAIT_TIMEOUT', status: 503 });
    expect(Number(waiting.error()!.headers?.['Retry-After'])).toBeGreaterThanOrEqual(1);
    expect(ran).toBe(false);
    expect(holding.error()).toMatchObject({ code: 'ALAW_ERR_TASK_TIMEOUT', status: 504 });
    await q.flushRecords();
    // One waited out its time, one ran out of it.
    expect((await q.store.counts()).search).toMatchObject({ timeout: 2, pending: 0, processing: 0 });
    expect((await q.store.list('timeout', 10)).map((t) => t.error_code).sort()).toEqual(['ALAW_ERR_QUEUE_WAIT_TIMEOUT', 'ALAW_ERR_TASK_TIMEOUT']);
  });

  it('a run is aborted exactly at its timeout (504), through its AbortSignal', async () => {
    const clock = manualClock();
    const q = await queueOn(clock, {}, { search: { max_concurrent: 1, max_queue_size: 5, timeout: 10 } });
    let aborted = false;
    const run = track(
      q.run(
        'search',
        {},
        ({ signal }) => new Promise((_r, reject) => signal.addEventListener('abort', () => ((aborted = true), reject(signal.reason as Error)))),
      ),
    );
    await clock.advance(0);
    expect((await q.health()).queue_stats.search.processing).toBe(1);
    await clock.advance(9_900, 500);
    expect(run.settled()).toBe(false);
    expect(aborted).toBe(false);
    await clock.advance(200);
    expect(aborted).toBe(true);
    expect(run.error()).toMatchObject({ code: 'ALAW_ERR_TASK_TIMEOUT', status: 504 });
    await q.flushRecords();
    expect((await q.store.counts()).search.timeout).toBe(1);
  });

  it('heartbeats keep a long task’s lease; when its instance freezes, another declares it dead after 5 s of silence and takes the task over, and the frozen one stops on waking', async () => {
    const file = path.join(tmp.dir, `lease-${++n}.db`);
    // Two instances on one queue file, each on its own clock: freezing one is stopping its clock.
    const clockA = manualClock();
    const clockB = manualClock();
    const a = await queueOn(clockA, { instanceId: 'a' }, {}, file);
    const seenA = { attempts: [] as number[], reason: undefined as string | undefined };
    a.handle('analysis', untilAborted(seenA));
    const task = await a.submit('analysis', {});
    await clockA.advance(500, 100);
    expect(await a.store.get(task.id)).toMatchObject({ status: 'processing', owner: 'a', attempts: 1 });

    // Two minutes together: A renews its lease every 10 s, so B's sweeps find nothing to recover.
    const b = await queueOn(clockB, { instanceId: 'b' }, {}, file);
    for (let s = 0; s < 120; s += 5) {
      await clockA.advance(5_000, 1_000);
      await clockB.advance(5_000, 1_000);
    }
    expect(await b.store.get(task.id)).toMatchObject({ status: 'processing', owner: 'a', attempts: 1 });

    // A freezes (SIGSTOP, a long GC pause): its clock stops at 120 s, and so does its heartbeat.
    // B's heartbeat finds A silent for more than 5 s (instanceDeadSeconds), requeues its task, and B runs attempt 2 —
    // long before A's lease (renewed at 120 s, valid to 150 s) would have run out.
    const seenB = { attempts: [] as number[] };
    b.handle('analysis', async (_p, ctx) => {
      seenB.attempts.push(ctx.attempt);
      return 'by b';
    });
    await clockB.advance(4_000, 1_000);
    expect(await b.store.get(task.id)).toMatchObject({ status: 'processing', owner: 'a', attempts: 1 });
    await clockB.advance(3_000, 1_000);
    expect(await b.store.get(task.id)).toMatchObject({ status: 'completed', owner: 'b', attempts: 2, result: 'by b' });
    expect(seenB.attempts).toEqual([2]);

    // A wakes: its next heartbeat learns the lease is gone and aborts its own attempt; its result is never recorded.
    await clockA.advance(11_000, 1_000);
    expect(seenA).toMatchObject({ attempts: [1], reason: 'lease_lost' });
    expect(await a.store.get(task.id)).toMatchObject({ status: 'completed', owner: 'b', attempts: 2 });
  });

  it('a retryable failure goes back to the queue and runs again; the last attempt’s failure is recorded', async () => {
    const clock = manualClock();
    const q = await queueOn(clock, { maxAttempts: 2 });
    let calls = 0;
    q.handle('analysis', () => {
      calls += 1;
      return Promise.reject(new RetryableTaskError(E.LLM_HTTP.error({ status: 503, detail: `시도 ${calls}` })));
    });
    const t = await q.submit('analysis', {});
    await clock.advance(2_000, 100);
    expect(calls).toBe(2);
    expect(await q.store.get(t.id)).toMatchObject({ status: 'failed', attempts: 2, error_code: 'ALAW_ERR_LLM_HTTP', error: expect.stringContaining('시도 2') });
  });

  it('stop() gives running tasks the grace period, then releases the rest unspent', async () => {
    const clock = manualClock();
    const q = await queueOn(clock, { shutdownGraceMs: 600 }, { analysis: { max_concurrent: 2, max_queue_size: 5, timeout: 600 } });
    q.handle('analysis', async (payload, { signal }) => {
      const ms = (payload as { ms: number }).ms;
      await clockSleep(clock, ms, signal);
      if (signal.aborted) throw signal.reason as Error;
      return ms;
    });
    const quick = await q.submit('analysis', { ms: 300 });
    const slow = await q.submit('analysis', { ms: 60_000 });
    await clock.advance(100, 10);
    expect((await q.store.counts()).analysis.processing).toBe(2);
    const stopping = track(q.stop());
    await clock.advance(500, 50);
    expect(stopping.settled()).toBe(false);
    await clock.advance(200, 50);
    expect(stopping.value()).toEqual({ finished: false, released: 1 });
    expect(await q.store.get(quick.id)).toMatchObject({ status: 'completed', result: 300 });
    expect(await q.store.get(slow.id)).toMatchObject({ status: 'pending', attempts: 0, owner: null });
  });

  it('prunes a finished task once its retention has passed, not before', async () => {
    const clock = manualClock();
    const q = await queueOn(clock);
    await q.run('search', {}, () => 1);
    await clock.advance(59 * 60_000, 60_000);
    expect(await q.prune()).toBe(0);
    await clock.advance(2 * 60_000, 60_000);
    expect(await q.prune()).toBe(1);
  });

  it('the profile switch is stamped with the clock’s time', () => {
    const clock = manualClock(Date.UTC(2026, 0, 2, 3, 4, 5));
    const l: QueueLimits = LIMITS;
    const p = new ProfileController(
      { mode: 'auto', conservative: l, optimized: l, memoryPercentBelow: 60, cpuPercentBelow: 50, hysteresisPercent: 5, samplesToSwitch: 1 },
      clock,
    );
    expect(p.observe({ memory_percent: 10, cpu_percent: 10 })?.at).toBe('2026-01-02T03:04:05.000Z');
  });
});

describe('the API key cache on a manual clock', () => {
  it('a revoked key keeps working until the cache time has passed, then gets 401', async () => {
    const clock = manualClock();
    const s = await sampleApp({ 'auth.keyCacheSeconds': 5 }, { clock });
    try {
      const { key, token } = await s.services.keys.create('revoked soon', 'user');
      const ask = () => s.app.inject({ url: '/api/search?q=사기&size=1&snippets=false', headers: { authorization: `Bearer ${token}` } });
      expect((await ask()).statusCode).toBe(200);
      await s.services.keys.revoke(key.id);
      await clock.advance(4_900, 1_000);
      expect((await ask()).statusCode).toBe(200);
      await clock.advance(200);
      const res = await ask();
      expect(res.statusCode).toBe(401);
      expect(res.json<{ error: { code: string } }>().error.code).toBe('ALAW_ERR_AUTH_INVALID');
    } finally {
      await s.close();
    }
  });
});

describe('the model’s retries on a manual clock', () => {
  const settings = (baseUrl: string, over: Partial<LlmSettings>): LlmSettings => llmSettings(baseUrl, { model: 'always-503', ...over });
  const MESSAGES = [{ role: 'user' as const, content: '판례' }];

  it('waits 500 ms, then 1 s between attempts (no sooner), and a cancel during the wait ends it with no further request', async () => {
    const llm = await startFakeLlm();
    try {
      const clock = manualClock();
      // The waits the writer asks the clock for, in order (its budget and idle timers are 20 s and 5 s).
      const waits: number[] = [];
      const schedule = clock.setTimeout.bind(clock);
      clock.setTimeout = (fn, ms) => (waits.push(ms), schedule(fn, ms));
      const requests = (): number => llm.requests.filter((r) => r.body.model === 'always-503').length;
      /** Real I/O (requests to the fake model server) takes real time: poll for it, never for a timer. */
      const until = async (what: () => boolean): Promise<void> => {
        for (let i = 0; i < 1000 && !what(); i++) await new Promise((r) => setTimeout(r, 2));
        expect(what()).toBe(true);
      };
      const writer = new NarrativeWriter(settings(llm.baseUrl, { maxRetries: 2 }), clock);
      const done = track(writer.write(MESSAGES, { signal: new AbortController().signal, deadlineMs: clock.now() + 60_000 }));
      await until(() => waits.includes(500));
      await clock.advance(499, 50);
      expect(requests()).toBe(1);
      await clock.advance(2);
      await until(() => waits.includes(1000));
      expect(requests()).toBe(2);
      await clock.advance(999, 50);
      expect(requests()).toBe(2);
      await clock.advance(2);
      await until(() => done.settled());
      expect(requests()).toBe(3);
      expect(done.value()).toMatchObject({ status: 'failed', attempts: 3, error: { code: 'ALAW_ERR_LLM_HTTP' } });

      // A cancel while it waits to retry: the write ends with the task's reason and never asks again.
      const controller = new AbortController();
      waits.length = 0;
      const cancelled = track(writer.write(MESSAGES, { signal: controller.signal, deadlineMs: clock.now() + 60_000 }));
      await until(() => waits.includes(500));
      controller.abort(new Error('취소됨'));
      await until(() => cancelled.settled());
      expect((cancelled.error() as Error | undefined)?.message).toBe('취소됨');
      await clock.advance(5_000, 500);
      expect(requests()).toBe(4);
    } finally {
      await llm.close();
    }
  });
});
