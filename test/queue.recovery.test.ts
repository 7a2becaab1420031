import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgQueueStore, SqliteQueueStore, type AdmitRequest } from '../src/queue/index.js';
import { sampleEnv, sampleServices, tempDir } from './helpers.js';
import { startServer, type ServerProcess } from './process.js';
import { holdSlot } from './support/queue.js';
import { createTestDatabase, type TestDatabase } from './support/pg.js';

/**
 * Recovery after a crash, with real processes: an instance killed with SIGKILL and started again keeps
 * its id and recovers what its earlier life held before it serves; on PostgreSQL, a surviving instance
 * takes over a dead one's tasks once it has been silent for `queue.instanceDeadSeconds`, not at lease expiry.
 */
const ENTRY = 'test/support/queue-server.ts';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tmp = tempDir('alaw-queue-recovery-');
const servers: ServerProcess[] = [];
let pgDb: TestDatabase | undefined;

async function start(env: Record<string, string>): Promise<ServerProcess> {
  const s = await startServer(
    sampleEnv(tmp.dir, { ALAW_QUEUE_PROFILE: 'conservative', ALAW_QUEUE_POLL_MS: '20', ALAW_LOG_LEVEL: 'info', ...env }),
    60_000,
    ENTRY,
  );
  servers.push(s);
  return s;
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

interface JournalLine {
  ev: 'start' | 'done';
  id: string;
  attempt: number;
  inst: string;
}
const readJournal = (file: string): JournalLine[] =>
  fs.existsSync(file)
    ? fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as JournalLine)
    : [];

const analysisTask = (over: Partial<AdmitRequest>): AdmitRequest => ({
  id: randomUUID(),
  type: 'analysis',
  payload: { ms: 10 },
  maxQueueSize: 100_000,
  maxAttempts: 3,
  origin: 'test',
  affinity: null,
  waitLimitMs: null,
  durable: false,
  ...over,
});

beforeAll(async () => {
  const s = await sampleServices(tmp.dir);
  await s.close();
});

afterAll(async () => {
  for (const s of servers) await s.stop('SIGKILL').catch(() => undefined);
  await pgDb?.drop();
  tmp.cleanup();
});

const status = async (port: number) => (await (await fetch(`http://127.0.0.1:${port}/api/queue/status/json`)).json()) as { instance_id: string };

describe('recovery after a crash', () => {
  it('SIGKILL and restart with the default id: same id, the earlier life’s tasks recovered, the first search served within 1 s of health', async () => {
    const queueDb = path.join(tmp.dir, 'restart', 'queue.db');
    const env = { ALAW_QUEUE_DB_PATH: queueDb };
    const a = await start(env);
    const id = (await status(a.port)).instance_id;
    expect(fs.readFileSync(path.join(path.dirname(queueDb), 'instance-id'), 'utf8').trim()).toBe(id);
    // A burst in flight when the process dies…
    const q = encodeURIComponent('소유권이전등기 말소 청구 사건에서 점유취득시효 완성 후 손해배상 책임');
    const burst = Array.from({ length: 30 }, () => fetch(`http://127.0.0.1:${a.port}/api/search?q=${q}`).catch(() => null));
    await sleep(5);
    expect(await a.stop('SIGKILL')).toBeNull();
    await Promise.all(burst);
    // …and, to be sure of it, the worst it can leave: both search slots held and the wait queue full, all
    // bound to the dead process (with a 60 s lease, what once kept every search at 429 for half a minute).
    const store = await SqliteQueueStore.open(queueDb);
    for (let i = 0; i < 2; i++) await holdSlot(store, randomUUID(), { owner: id, maxConcurrent: 2 });
    for (let i = 0; i < 10; i++) await store.admit({ ...analysisTask({}), type: 'search', affinity: id, origin: id, waitLimitMs: 60_000, maxQueueSize: 10 });
    expect((await store.counts(true)).search).toMatchObject({ processing: 2, pending: 10 });

    const b = await start(env);
    const healthAt = Date.now();
    expect((await fetch(`http://127.0.0.1:${b.port}/api/queue/health`)).status).toBe(200);
    let first: number;
    for (;;) {
      const r = await fetch(`http://127.0.0.1:${b.port}/api/search?q=${q}`);
      if (r.status === 200) {
        first = Date.now() - healthAt;
        break;
      }
      expect(Date.now() - healthAt).toBeLessThan(5_000);
      await sleep(20);
    }
    expect(first).toBeLessThan(1_000);
    expect((await status(b.port)).instance_id).toBe(id);
    expect(b.logs()).toContain('재시작 전에 맡았던 작업을 정리했습니다');
    const c = (await store.counts()).search;
    expect(c.pending + c.processing).toBe(0);
    expect(c.failed).toBeGreaterThanOrEqual(12);
    await store.close();
    expect(await b.stop('SIGTERM')).toBe(0);
  }, 60_000);

  it('PostgreSQL: a surviving instance takes over a SIGKILLed one’s tasks within 10 s; each completes once', async () => {
    pgDb = await createTestDatabase();
    const journal = path.join(tmp.dir, 'pg.journal');
    const env = {
      DATABASE_URL: pgDb.url,
      ALAW_TEST_JOURNAL: journal,
      ALAW_QUEUE_LIMITS_ANALYSIS_MAX_CONCURRENT: '2',
      ALAW_QUEUE_LIMITS_ANALYSIS_MAX_QUEUE_SIZE: '100',
      // The lease is long: recovery must come from the silence, not from lease expiry.
      ALAW_QUEUE_LEASE_SECONDS: '30',
    };
    const store = await PgQueueStore.open(pgDb.url);
    const long = [analysisTask({ payload: { firstMs: 120_000, ms: 200 } }), analysisTask({ payload: { firstMs: 120_000, ms: 200 } })];
    const victim = await start({ ...env, INSTANCE_ID: 'p3' });
    for (const t of long) await store.admit(t);
    await waitFor('both tasks running on p3', () => readJournal(journal).filter((l) => l.ev === 'start' && l.inst === 'p3').length === 2, 20_000);
    await start({ ...env, INSTANCE_ID: 'p1' });
    await start({ ...env, INSTANCE_ID: 'p2' });
    // Both global slots are p3's: a task admitted now waits.
    const queued = analysisTask({ payload: { ms: 10 } });
    await store.admit(queued);
    await sleep(300);
    expect((await store.get(queued.id))!.status).toBe('pending');

    const killedAt = Date.now();
    expect(await victim.stop('SIGKILL')).toBeNull();
    await waitFor('both tasks taken over', () => readJournal(journal).filter((l) => l.ev === 'start' && l.attempt === 2).length === 2, 20_000);
    const reclaimS = (Date.now() - killedAt) / 1000;
    expect(reclaimS).toBeLessThan(10);
    await waitFor(
      'all done',
      async () => {
        const c = (await store.counts()).analysis;
        return c.completed === 3;
      },
      20_000,
    );
    const lines = readJournal(journal);
    for (const t of [...long, queued]) {
      const row = await store.get(t.id);
      const done = lines.filter((l) => l.ev === 'done' && l.id === t.id);
      expect(done).toHaveLength(1);
      expect(done[0]).toMatchObject({ inst: row!.owner, attempt: row!.attempts });
      expect(row!.owner).not.toBe('p3');
    }
    expect((await store.instances(60_000)).map((i) => i.instance_id).sort()).toEqual(['p1', 'p2']);
    await store.close();
  }, 90_000);
});
