import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ApiKeyStore, keyDigest } from '../src/auth/index.js';
import { PgQueueStore, SqliteQueueStore, type AdmitRequest, type QueueStore, type RecordedTask, type TaskType } from '../src/queue/index.js';
import { E } from '../src/errors/index.js';
import { tempDir } from './helpers.js';
import { createTestDatabase, type TestDatabase } from './support/pg.js';

/**
 * One contract, two stores: everything the task queue relies on, checked
 * against a SQLite file and against the real PostgreSQL (a database of its own).
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Backend {
  open(): Promise<QueueStore>;
  cleanup(): Promise<void>;
}

const tmp = tempDir('alaw-queue-contract-');
let pgDb: TestDatabase | undefined;
let n = 0;

const backends: [string, Backend][] = [
  [
    'sqlite',
    {
      open: () => SqliteQueueStore.open(path.join(tmp.dir, `queue-${++n}.db`)),
      cleanup: () => Promise.resolve(),
    },
  ],
  [
    'postgres',
    {
      async open() {
        pgDb ??= await createTestDatabase();
        const s = await PgQueueStore.open(pgDb.url);
        // Every test starts from an empty table (one database per run, shared by the tests of this file).
        await (s as unknown as { pool: { query(q: string): Promise<unknown> } }).pool.query('TRUNCATE tasks, queue_instances');
        return s;
      },
      cleanup: async () => {
        await pgDb?.drop();
      },
    },
  ],
];

afterAll(async () => {
  for (const [, b] of backends) await b.cleanup();
  tmp.cleanup();
});

describe.each(backends)('queue store contract: %s', (_name, backend) => {
  let store: QueueStore;
  const base = (over: Partial<AdmitRequest> = {}): AdmitRequest => ({
    id: randomUUID(),
    type: 'analysis',
    payload: { n: 1 },
    maxQueueSize: 100,
    maxAttempts: 3,
    origin: 'i1',
    affinity: null,
    waitLimitMs: null,
    durable: false,
    ...over,
  });
  const claim = (owner: string, over: Partial<Parameters<QueueStore['claim']>[0]> = {}) =>
    store.claim({ type: 'analysis', owner, maxConcurrent: 10, limit: 10, leaseMs: 30_000, affinity: null, ...over });

  beforeAll(async () => {
    store = await backend.open();
  });
  beforeEach(async () => {
    await store.close();
    store = await backend.open();
  });
  afterAll(async () => {
    await store.close();
  });

  it('admits up to max_queue_size pending tasks and then refuses, counting what waits', async () => {
    for (let i = 0; i < 3; i++) expect(await store.admit(base({ maxQueueSize: 3 }))).toEqual({ admitted: true, claimed: false, pending: i + 1 });
    expect(await store.admit(base({ maxQueueSize: 3 }))).toEqual({ admitted: false, pending: 3 });
    // The limit is per type.
    expect((await store.admit(base({ type: 'search', maxQueueSize: 3 }))).admitted).toBe(true);
    const c = await store.counts();
    expect(c.analysis.pending).toBe(3);
    expect(c.search.pending).toBe(1);
    expect((await store.counts(true)).analysis.pending).toBe(3);
  });

  it('claims at admission only when a slot is free and nothing waits', async () => {
    const fast = { owner: 'i1', maxConcurrent: 1, leaseMs: 30_000 };
    const a = base({ type: 'search', affinity: 'i1', claim: fast });
    expect(await store.admit(a)).toMatchObject({ admitted: true, claimed: true });
    const t = await store.get(a.id);
    expect(t).toMatchObject({ status: 'processing', owner: 'i1', attempts: 1, wait_ms: 0 });
    expect(Date.parse(t!.lease_expires_at!)).toBeGreaterThan(Date.now() + 20_000);
    // The only slot is taken: the next one waits.
    expect(await store.admit(base({ type: 'search', affinity: 'i1', claim: fast }))).toMatchObject({ admitted: true, claimed: false, pending: 1 });
    expect(await store.finish({ id: a.id, owner: 'i1', attempt: 1, status: 'completed', runMs: 1, durable: false })).toBe(true);
    // With no place to wait, a task that can start at once is still admitted.
    const now = base({ type: 'analysis', maxQueueSize: 0, claim: { owner: 'i1', maxConcurrent: 1, leaseMs: 30_000 } });
    expect(await store.admit(now)).toMatchObject({ admitted: true, claimed: true });
    expect(await store.admit(base({ type: 'analysis', maxQueueSize: 0, claim: { owner: 'i1', maxConcurrent: 1, leaseMs: 30_000 } }))).toEqual({
      admitted: false,
      pending: 0,
    });
    // A slot is free but a task is waiting: first come, first served.
    expect(await store.admit(base({ type: 'search', affinity: 'i1', claim: fast }))).toMatchObject({ admitted: true, claimed: false, pending: 2 });
  });

  it('claims oldest first, never more than max_concurrent across owners, and only matching affinity', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = base({ payload: { i } });
      ids.push(r.id);
      await store.admit(r);
    }
    const bound = base({ affinity: 'i2' });
    await store.admit(bound);
    const first = await claim('i1', { maxConcurrent: 3, limit: 2 });
    expect(first.map((t) => t.id)).toEqual(ids.slice(0, 2));
    expect(first[0]).toMatchObject({ attempt: 1, payload: { i: 0 }, type: 'analysis', maxAttempts: 3 });
    const second = await claim('i3', { maxConcurrent: 3, limit: 5 });
    expect(second.map((t) => t.id)).toEqual([ids[2]]);
    expect(await claim('i3', { maxConcurrent: 3 })).toEqual([]);
    // Bound tasks only go to their instance.
    const mine = await claim('i2', { maxConcurrent: 10, affinity: 'i2' });
    expect(mine.map((t) => t.id)).toEqual([bound.id]);
    expect((await store.counts()).analysis).toMatchObject({ pending: 2, processing: 4 });
  });

  it('concurrent claimers never exceed the global max_concurrent', async () => {
    for (let i = 0; i < 30; i++) await store.admit(base());
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => claim(`w${i}`, { maxConcurrent: 4, limit: 3 })));
    const claimed = results.flat();
    expect(claimed).toHaveLength(4);
    expect(new Set(claimed.map((t) => t.id)).size).toBe(4);
    expect((await store.counts()).analysis.processing).toBe(4);
  });

  it('finishes a task once, only for the owner of that attempt', async () => {
    await store.admit(base());
    const [t] = await claim('i1');
    expect(await store.finish({ id: t!.id, owner: 'other', attempt: 1, status: 'completed', runMs: 1, durable: false })).toBe(false);
    expect(await store.finish({ id: t!.id, owner: 'i1', attempt: 2, status: 'completed', runMs: 1, durable: false })).toBe(false);
    expect(await store.finish({ id: t!.id, owner: 'i1', attempt: 1, status: 'completed', result: { ok: 1, text: '판결' }, runMs: 12.4, durable: true })).toBe(
      true,
    );
    expect(
      await store.finish({ id: t!.id, owner: 'i1', attempt: 1, status: 'failed', failure: E.TASK_FAILED.error({ reason: 'x' }), runMs: 1, durable: false }),
    ).toBe(false);
    const r = await store.get(t!.id);
    expect(r).toMatchObject({ status: 'completed', result: { ok: 1, text: '판결' }, run_ms: 12, lease_expires_at: null, owner: 'i1', attempts: 1 });
    expect(r!.finished_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(r!.created_at <= r!.started_at! && r!.started_at! <= r!.finished_at!).toBe(true);
  });

  it('renews leases of held tasks only and tells which are no longer held', async () => {
    await store.admit(base());
    await store.admit(base());
    const [a, b] = await claim('i1', { leaseMs: 200 });
    await store.finish({ id: b!.id, owner: 'i1', attempt: 1, status: 'completed', runMs: 1, durable: false });
    expect(
      await store.renew(
        'i1',
        [a!, b!].map((t) => ({ id: t.id, attempt: t.attempt })),
        60_000,
      ),
    ).toEqual([a!.id]);
    expect(await store.renew('i2', [{ id: a!.id, attempt: 1 }], 60_000)).toEqual([]);
    // A renewal for an older attempt of a task held again is refused.
    expect(await store.renew('i1', [{ id: a!.id, attempt: 0 }], 60_000)).toEqual([]);
    await sleep(300);
    // Renewed: not reclaimed.
    expect(await store.reclaim()).toEqual({ requeued: 0, failed: 0, timedOut: 0 });
  });

  it('recovers tasks of a dead worker: requeues with attempts left, fails when none are, fails bound ones', async () => {
    const retry = base({ maxAttempts: 2 });
    const once = base({ maxAttempts: 1 });
    const bound = base({ affinity: 'dead' });
    for (const r of [retry, once, bound]) await store.admit(r);
    await claim('dead', { leaseMs: 50 });
    await claim('dead', { leaseMs: 50, affinity: 'dead' });
    await sleep(120);
    expect(await store.reclaim()).toEqual({ requeued: 1, failed: 2, timedOut: 0 });
    expect(await store.get(retry.id)).toMatchObject({ status: 'pending', owner: null, attempts: 1, error_code: 'ALAW_ERR_QUEUE_LEASE_EXPIRED' });
    expect(await store.get(once.id)).toMatchObject({ status: 'failed', error_code: 'ALAW_ERR_QUEUE_ATTEMPTS_EXHAUSTED' });
    expect((await store.get(once.id))!.error).toContain('dead');
    expect(await store.get(bound.id)).toMatchObject({ status: 'failed', error_code: 'ALAW_ERR_QUEUE_INSTANCE_LOST' });
    // The dead worker's late result is refused; the new holder's is kept.
    const [again] = await claim('alive');
    expect(again).toMatchObject({ id: retry.id, attempt: 2 });
    expect(await store.finish({ id: retry.id, owner: 'dead', attempt: 1, status: 'completed', runMs: 1, durable: false })).toBe(false);
    expect(await store.finish({ id: retry.id, owner: 'alive', attempt: 2, status: 'completed', runMs: 1, durable: false })).toBe(true);
  });

  it('declares silent instances dead and recovers their tasks at once, long before their leases expire', async () => {
    const info = (id: string, pid: number) => ({
      instance_id: id,
      host: 'h',
      pid,
      version: 'v',
      started_at: new Date().toISOString(),
      profile: 'conservative',
      draining: false,
    });
    await store.heartbeatInstance(info('silent', 1));
    await store.heartbeatInstance(info('alive', 2));
    const retry = base({ maxAttempts: 2 });
    const once = base({ maxAttempts: 1 });
    const boundRunning = base({ type: 'search', affinity: 'silent' });
    const boundWaiting = base({ type: 'search', affinity: 'silent' });
    const others = base();
    for (const r of [retry, once, boundRunning]) await store.admit(r);
    await claim('silent', { limit: 2 });
    await store.claim({ type: 'search', owner: 'silent', maxConcurrent: 10, limit: 1, leaseMs: 30_000, affinity: 'silent' });
    await store.admit(boundWaiting);
    await store.admit(others);
    await claim('alive', { limit: 1 });
    // Nothing is silent yet.
    expect(await store.reapInstances('alive', 1_000, false)).toEqual({ instances: [], requeued: 0, failed: 0 });
    await sleep(150);
    await store.heartbeatInstance(info('alive', 2));
    // Leases (30 s) have not expired: the lease sweep sees nothing; the silence does.
    expect(await store.reclaim()).toEqual({ requeued: 0, failed: 0, timedOut: 0 });
    expect(await store.reapInstances('alive', 100, false)).toEqual({ instances: ['silent'], requeued: 1, failed: 3 });
    expect(await store.get(retry.id)).toMatchObject({ status: 'pending', owner: null, attempts: 1, error_code: 'ALAW_ERR_QUEUE_INSTANCE_DEAD' });
    expect((await store.get(retry.id))!.error).toContain('silent');
    expect(await store.get(once.id)).toMatchObject({ status: 'failed', error_code: 'ALAW_ERR_QUEUE_ATTEMPTS_EXHAUSTED' });
    expect(await store.get(boundRunning.id)).toMatchObject({ status: 'failed', error_code: 'ALAW_ERR_QUEUE_INSTANCE_LOST' });
    expect(await store.get(boundWaiting.id)).toMatchObject({ status: 'failed', error_code: 'ALAW_ERR_QUEUE_INSTANCE_LOST' });
    // The live instance's task is untouched, the dead one's row is gone, and a second reaper finds nothing.
    expect(await store.get(others.id)).toMatchObject({ status: 'processing', owner: 'alive' });
    expect((await store.instances(60_000)).map((i) => i.instance_id)).toEqual(['alive']);
    expect(await store.reapInstances('other-survivor', 100, false)).toEqual({ instances: [], requeued: 0, failed: 0 });
    // The dead instance's late result is refused.
    expect(await store.finish({ id: retry.id, owner: 'silent', attempt: 1, status: 'completed', runMs: 1, durable: false })).toBe(false);
  });

  it('at start, an instance recovers what its earlier life held under the same id, and only that', async () => {
    const held = base({ maxAttempts: 3 });
    const bound = base({ type: 'search', affinity: 'me' });
    const foreign = base();
    await store.admit(held);
    await claim('me', { limit: 1 });
    await store.admit(bound);
    await store.admit(foreign);
    await claim('someone', { limit: 1 });
    expect(await store.reapInstances('me', 60_000, true)).toEqual({ instances: ['me'], requeued: 1, failed: 1 });
    expect(await store.get(held.id)).toMatchObject({ status: 'pending', attempts: 1, error_code: 'ALAW_ERR_QUEUE_INSTANCE_DEAD' });
    expect(await store.get(bound.id)).toMatchObject({ status: 'failed', error_code: 'ALAW_ERR_QUEUE_INSTANCE_LOST' });
    expect(await store.get(foreign.id)).toMatchObject({ status: 'processing', owner: 'someone' });
    // Nothing left from the earlier life: nothing to report.
    expect(await store.reapInstances('me', 60_000, true)).toEqual({ instances: [], requeued: 0, failed: 0 });
  });

  it('times out pending tasks past their deadline, and a single one on request', async () => {
    const late = base({ waitLimitMs: 50 });
    const later = base({ waitLimitMs: 60_000 });
    const none = base();
    for (const r of [late, later, none]) await store.admit(r);
    await sleep(120);
    expect((await store.reclaim()).timedOut).toBe(1);
    expect(await store.get(late.id)).toMatchObject({ status: 'timeout', error_code: 'ALAW_ERR_QUEUE_WAIT_TIMEOUT' });
    expect(await store.expirePending(later.id, E.QUEUE_WAIT_TIMEOUT.error({}))).toBe(true);
    expect(await store.expirePending(later.id, E.QUEUE_WAIT_TIMEOUT.error({}))).toBe(false);
    expect(await store.get(later.id)).toMatchObject({
      status: 'timeout',
      error: '처리 순서를 기다리다 제한 시간을 넘겼습니다.',
      error_code: 'ALAW_ERR_QUEUE_WAIT_TIMEOUT',
    });
    expect((await store.get(none.id))!.status).toBe('pending');
  });

  it('puts a retryable failure back and releases held tasks without using up an attempt', async () => {
    const a = base();
    const b = base();
    await store.admit(a);
    await store.admit(b);
    await claim('i1');
    expect(await store.retry(a.id, 'i1', 1, E.LLM_HTTP.error({ status: 503, detail: '' }))).toBe(true);
    expect(await store.get(a.id)).toMatchObject({ status: 'pending', attempts: 1, error_code: 'ALAW_ERR_LLM_HTTP' });
    expect(await store.release('i2', [b.id])).toBe(0);
    expect(await store.release('i1', [b.id])).toBe(1);
    expect(await store.get(b.id)).toMatchObject({ status: 'pending', attempts: 0, owner: null, lease_expires_at: null });
  });

  it('records the progress a held task reports, only for its holder and attempt', async () => {
    const a = base();
    await store.admit(a);
    expect(await store.setProgress(a.id, 'i1', 1, 'extracting')).toBe(false); // not claimed yet
    await claim('i1');
    expect(await store.setProgress(a.id, 'other', 1, 'extracting')).toBe(false);
    expect(await store.setProgress(a.id, 'i1', 1, 'retrieving')).toBe(true);
    expect((await store.get(a.id))!.progress).toBe('retrieving');
  });

  it('keeps API keys hashed in the shared database: create, find by digest, list, count, touch, revoke', async () => {
    const keys = new ApiKeyStore(store.shared);
    const before = await keys.countActive();
    const { key, token } = await keys.create('김변호사 노트북', 'user');
    expect(token).toMatch(/^alaw_[A-Za-z0-9_-]{32}$/);
    expect(key).toMatchObject({ name: '김변호사 노트북', role: 'user', prefix: token.slice(0, 13), last_used_at: null, revoked_at: null });
    expect(key.id).toMatch(/^key_[0-9a-f]{12}$/);
    // Found by the digest of the key, never by the key itself; the record carries no secret.
    expect(await keys.findActive(keyDigest(token))).toEqual(key);
    expect(await keys.findActive(token)).toBeNull();
    expect(JSON.stringify(await keys.list())).not.toContain(token.slice(13));
    expect(await keys.countActive()).toBe(before + 1);
    const at = new Date(Date.now() - 1000);
    await keys.touch(key.id, at);
    expect((await keys.findActive(keyDigest(token)))?.last_used_at).toBe(at.toISOString());
    const revoked = await keys.revoke(key.id);
    expect(revoked?.revoked_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await keys.findActive(keyDigest(token))).toBeNull();
    expect(await keys.countActive()).toBe(before);
    expect((await keys.list()).map((k) => k.id)).not.toContain(key.id);
    expect((await keys.list(true)).map((k) => k.id)).toContain(key.id);
    // Revoking again keeps the first time; an unknown id is null.
    expect((await keys.revoke(key.id))?.revoked_at).toBe(revoked?.revoked_at);
    expect(await keys.revoke('key_000000000000')).toBeNull();
  });

  it('cancels one task only while it is pending', async () => {
    const a = base();
    const b = base();
    await store.admit(a);
    await store.admit(b);
    await claim('i1', { limit: 1 });
    const byUser = E.TASK_CANCELLED.error({ by: 'key_1' });
    expect(await store.cancelOne(b.id, byUser)).toBe(true);
    expect(await store.get(b.id)).toMatchObject({ status: 'cancelled', error: byUser.message, error_code: 'ALAW_ERR_TASK_CANCELLED' });
    expect(await store.cancelOne(b.id, byUser)).toBe(false);
    expect(await store.cancelOne(a.id, byUser)).toBe(false);
    expect(await store.cancelOne('nope', byUser)).toBe(false);
  });

  it('cancels pending tasks of one type or all, leaving running ones alone', async () => {
    const run = base();
    await store.admit(run);
    await claim('i1');
    for (let i = 0; i < 2; i++) await store.admit(base());
    for (let i = 0; i < 3; i++) await store.admit(base({ type: 'search' }));
    const cleared = E.QUEUE_CANCELLED.error({ by: 'admin' });
    const searches = await store.cancelPending('search', cleared);
    expect(searches).toHaveLength(3);
    expect(searches.every((r) => r.type === 'search')).toBe(true);
    expect(await store.get(searches[0]!.id)).toMatchObject({ status: 'cancelled', error: cleared.message, error_code: 'ALAW_ERR_QUEUE_CANCELLED' });
    expect(await store.cancelPending(null, cleared)).toHaveLength(2);
    expect((await store.get(run.id))!.status).toBe('processing');
    expect(await store.cancelPending(null, cleared)).toEqual([]);
  });

  it('reports positions, statuses, oldest pending and recent durations', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = base();
      ids.push(r.id);
      await store.admit(r);
      await sleep(2);
    }
    expect(await store.position(ids[2]!)).toBe(3);
    const [first] = await claim('i1', { limit: 1 });
    expect(await store.position(ids[2]!)).toBe(2);
    expect(await store.position(first!.id)).toBeNull();
    expect(await store.position('nope')).toBeNull();
    const st = await store.statuses([ids[0]!, ids[1]!, 'nope']);
    expect(Object.fromEntries(st)).toEqual({ [ids[0]!]: 'processing', [ids[1]!]: 'pending' });
    const oldest = await store.oldestPending();
    expect(oldest.analysis).toBe(Date.parse((await store.get(ids[1]!))!.created_at));
    expect(oldest.search).toBeNull();
    await store.finish({ id: first!.id, owner: 'i1', attempt: 1, status: 'completed', runMs: 42, durable: false });
    const d = await store.durations('analysis', 60_000, 10);
    expect(d.run).toEqual([42]);
    expect(d.wait[0]).toBeGreaterThanOrEqual(0);
    expect((await store.durations('search', 60_000, 10)).run).toEqual([]);
  });

  it('records ended in-memory tasks in one batch: whole rows, counted, listed, timed, an id already stored left alone', async () => {
    const now = Date.now();
    const row = (over: Partial<RecordedTask> = {}): RecordedTask => ({
      id: randomUUID(),
      type: 'search',
      status: 'completed',
      payload: { q: '사기' },
      result: { total: 3 },
      failure: null,
      attempts: 1,
      createdAt: now - 50,
      startedAt: now - 40,
      finishedAt: now,
      owner: 'i1',
      affinity: 'i1',
      origin: 'i1',
      waitMs: 10,
      runMs: 40,
      ...over,
    });
    const done = row();
    const late = row({ status: 'timeout', failure: E.QUEUE_WAIT_TIMEOUT.error({}), startedAt: null, attempts: 0, waitMs: null, runMs: null, result: null });
    expect(await store.record([done, late])).toBe(2);
    expect(await store.record([])).toBe(0);
    // Written again (a batch retried after an uncertain commit): nothing changes.
    expect(await store.record([{ ...done, status: 'failed' }])).toBe(0);
    expect(await store.get(done.id)).toMatchObject({
      status: 'completed',
      payload: { q: '사기' },
      result: { total: 3 },
      attempts: 1,
      max_attempts: 1,
      owner: 'i1',
      affinity: 'i1',
      wait_ms: 10,
      run_ms: 40,
      created_at: new Date(now - 50).toISOString(),
      finished_at: new Date(now).toISOString(),
    });
    expect(await store.get(late.id)).toMatchObject({ status: 'timeout', error_code: 'ALAW_ERR_QUEUE_WAIT_TIMEOUT', started_at: null });
    expect((await store.counts()).search).toMatchObject({ completed: 1, timeout: 1, pending: 0 });
    expect((await store.list('completed', 10)).map((t) => t.id)).toEqual([done.id]);
    expect((await store.durations('search', 60_000, 10)).run).toEqual([40]);
    expect(await store.prune('search', now + 1, 100)).toBe(2);
  });

  it('prunes only finished tasks older than the cut-off, per type', async () => {
    const done = base();
    const waiting = base();
    const search = base({ type: 'search' });
    for (const r of [done, waiting, search]) await store.admit(r);
    const claimed = await claim('i1', { limit: 1 });
    await store.finish({ id: claimed[0]!.id, owner: 'i1', attempt: 1, status: 'completed', runMs: 1, durable: false });
    const [s] = await store.claim({ type: 'search', owner: 'i1', maxConcurrent: 1, limit: 1, leaseMs: 1000, affinity: null });
    await store.finish({ id: s!.id, owner: 'i1', attempt: 1, status: 'failed', failure: E.TASK_FAILED.error({ reason: 'x' }), runMs: 1, durable: false });
    expect(await store.prune('analysis', Date.now() - 60_000, 100)).toBe(0);
    await sleep(5);
    expect(await store.prune('analysis', Date.now() + 1000, 100)).toBe(1);
    expect(await store.get(done.id)).toBeNull();
    expect(await store.get(waiting.id)).not.toBeNull();
    expect(await store.get(search.id)).not.toBeNull();
    expect(await store.prune('search', Date.now() + 1000, 100)).toBe(1);
  });

  it('lists the tasks in one status, oldest first', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = base();
      ids.push(r.id);
      await store.admit(r);
    }
    await claim('i1', { limit: 2 });
    expect((await store.list('processing', 10)).map((t) => [t.id, t.owner])).toEqual([
      [ids[0], 'i1'],
      [ids[1], 'i1'],
    ]);
    expect((await store.list('processing', 1)).map((t) => t.id)).toEqual([ids[0]]);
    expect((await store.list('pending', 10)).map((t) => t.id)).toEqual([ids[2]]);
    expect(await store.list('failed', 10)).toEqual([]);
  });

  it('keeps a registry of live instances', async () => {
    const info = (id: string, draining = false) => ({
      instance_id: id,
      host: 'h',
      pid: 1,
      version: '0.1.0',
      started_at: new Date().toISOString(),
      profile: 'conservative',
      draining,
    });
    await store.heartbeatInstance(info('a'));
    await store.heartbeatInstance(info('b'));
    await store.heartbeatInstance(info('a', true));
    const live = await store.instances(10_000);
    expect(live.map((i) => [i.instance_id, i.draining])).toEqual([
      ['a', true],
      ['b', false],
    ]);
    await sleep(60);
    expect(await store.instances(20)).toEqual([]);
    await store.removeInstance('a');
    expect((await store.instances(10_000)).map((i) => i.instance_id)).toEqual(['b']);
    expect(await store.pruneInstances(Date.now() - 60_000)).toBe(0);
    expect(await store.pruneInstances(Date.now() + 1000)).toBe(1);
    expect(await store.instances(10_000)).toEqual([]);
    await store.ping();
  });

  it('stores payloads as JSON and keeps Korean text intact', async () => {
    const type: TaskType = 'analysis';
    const r = base({ type, payload: { description: '원고는 피고에게 2020. 3. 1. 금 50,000,000원을 대여하였다.', n: [1, 2] } });
    await store.admit(r);
    const [t] = await claim('i1');
    expect(t!.payload).toEqual(r.payload);
    expect((await store.get(r.id))!.payload).toEqual(r.payload);
  });

  it('keeps the state an instance publishes with its heartbeat (issue 14), and reads a missing or unreadable one as null', async () => {
    const limits = (c: number) => ({
      search: { max_concurrent: c, max_queue_size: 10 * c, timeout: 30 },
      analysis: { max_concurrent: 1, max_queue_size: 5, timeout: 60.5 },
    });
    const startedAt = new Date().toISOString();
    const state = {
      mode: 'auto' as const,
      vote: 'optimized' as const,
      usage: { memory_percent: 41.3, cpu_percent: 12 },
      optimized_when: { memory_percent_below: 60, cpu_percent_below: 50 },
      limits: { conservative: limits(2), optimized: limits(3) },
    };
    const info = (id: string) => ({
      instance_id: id,
      host: 'h',
      pid: 1,
      version: '0.1.0',
      started_at: startedAt,
      profile: 'optimized',
      draining: false,
    });
    await store.heartbeatInstance({ ...info('a'), state });
    await store.heartbeatInstance(info('b'));
    await store.heartbeatInstance({ ...info('c'), state: null });
    const live = await store.instances(10_000);
    expect(live.map((i) => [i.instance_id, i.state])).toEqual([
      ['a', state],
      ['b', null],
      ['c', null],
    ]);
    expect(live[0]).toMatchObject({ ...info('a'), state });

    // The next heartbeat replaces the state; one without a state clears it.
    const busier = { ...state, vote: 'conservative' as const, usage: { memory_percent: 72, cpu_percent: 55.5 } };
    await store.heartbeatInstance({ ...info('a'), state: busier });
    expect((await store.instances(10_000))[0]!.state).toEqual(busier);
    await store.heartbeatInstance(info('a'));
    expect((await store.instances(10_000))[0]!.state).toBeNull();

    // Rows written by an older version (no state) or holding something else read back as null; the row itself stays.
    const raw =
      store.kind === 'sqlite'
        ? async (q: string) => void (store as unknown as { db: { exec(q: string): void } }).db.exec(q)
        : async (q: string) => void (await (store as unknown as { pool: { query(q: string): Promise<unknown> } }).pool.query(q));
    const cast = store.kind === 'sqlite' ? '' : '::jsonb';
    const garbage = [
      // Text that is not JSON at all can only be in SQLite's TEXT column (a JSONB column refuses it).
      ...(store.kind === 'sqlite' ? [`'not json'`] : []),
      `'"text"'`,
      `'[1, 2]'`,
      `'{}'`,
      `'${JSON.stringify({ ...state, vote: 'turbo' })}'`,
      `'${JSON.stringify({ ...state, usage: { memory_percent: '41', cpu_percent: 12 } })}'`,
      `'${JSON.stringify({ ...state, limits: { conservative: limits(2) } })}'`,
      `'${JSON.stringify({ ...state, limits: { conservative: limits(2), optimized: { search: limits(3).search } } })}'`,
    ];
    for (const g of garbage) {
      await raw(`UPDATE queue_instances SET state = ${g}${cast} WHERE instance_id = 'b'`);
      const b = (await store.instances(10_000)).find((i) => i.instance_id === 'b');
      expect(b, g).toMatchObject({ instance_id: 'b', draining: false, state: null });
    }
    // A valid state with extra keys (a newer version's) is read without them.
    await raw(`UPDATE queue_instances SET state = '${JSON.stringify({ ...state, extra: { x: 1 } })}'${cast} WHERE instance_id = 'b'`);
    expect((await store.instances(10_000)).find((i) => i.instance_id === 'b')!.state).toEqual(state);
  });
});
