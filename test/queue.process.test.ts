import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgQueueStore, SqliteQueueStore, type AdmitRequest, type QueueStore } from '../src/queue/index.js';
import { sampleEnv, sampleServices, tempDir } from './helpers.js';
import { startServer, type ServerProcess } from './process.js';
import { ConcurrencyProbe } from './support/probe.js';
import { createTestDatabase, type TestDatabase } from './support/pg.js';

/**
 * The queue across real processes: a worker killed with SIGKILL, three
 * instances sharing one PostgreSQL queue, a burst of searches far beyond the
 * queue size, and a SIGTERM drain. The servers are the real service with a
 * journaling `analysis` worker (test/support/queue-server.ts).
 */
const ENTRY = 'test/support/queue-server.ts';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tmp = tempDir('alaw-queue-proc-');
const servers: ServerProcess[] = [];
let pgDb: TestDatabase | undefined;

interface JournalLine {
  ev: 'start' | 'done';
  id: string;
  attempt: number;
  inst: string;
}

function readJournal(file: string): JournalLine[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as JournalLine);
}

function baseEnv(name: string, extra: Record<string, string>): Record<string, string> {
  return sampleEnv(tmp.dir, { ALAW_QUEUE_PROFILE: 'conservative', ALAW_QUEUE_POLL_MS: '20', ALAW_LOG_LEVEL: 'info', INSTANCE_ID: name, ...extra });
}

async function start(name: string, extra: Record<string, string>): Promise<ServerProcess> {
  const s = await startServer(baseEnv(name, extra), 60_000, ENTRY);
  servers.push(s);
  return s;
}

const task = (over: Partial<AdmitRequest>): AdmitRequest => ({
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

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  // One precedents database and index for every server here (they only read it).
  const s = await sampleServices(tmp.dir);
  await s.close();
});

afterAll(async () => {
  for (const s of servers) await s.stop('SIGKILL').catch(() => undefined);
  await pgDb?.drop();
  tmp.cleanup();
});

describe('queue processes', () => {
  it('after SIGKILL with tasks in flight, a second instance finishes every task exactly once or fails it with the reason', async () => {
    const queueDb = path.join(tmp.dir, 'crash-queue.db');
    const journal = path.join(tmp.dir, 'crash.journal');
    const store = await SqliteQueueStore.open(queueDb);
    // Three long tasks are in flight when the worker dies: two with a single attempt, one that may be retried.
    const once = [task({ payload: { ms: 2000 }, maxAttempts: 1 }), task({ payload: { ms: 2000 }, maxAttempts: 1 })];
    const retried = task({ payload: { ms: 2000 }, maxAttempts: 3 });
    const rest = Array.from({ length: 37 }, () => task({ payload: { ms: 20 } }));
    for (const t of [...once, retried, ...rest]) await store.admit(t);
    const env = {
      ALAW_QUEUE_DB_PATH: queueDb,
      ALAW_TEST_JOURNAL: journal,
      // Short, so a lease that outlives its holder would show; long enough that a loaded CI machine renews in time.
      ALAW_QUEUE_LEASE_SECONDS: '2',
      ALAW_QUEUE_LIMITS_ANALYSIS_MAX_CONCURRENT: '3',
      ALAW_QUEUE_LIMITS_ANALYSIS_MAX_QUEUE_SIZE: '1000',
    };
    const a = await start('A', env);
    await waitFor('three tasks in flight on A', () => readJournal(journal).filter((l) => l.ev === 'start').length >= 3, 20_000);
    expect(await a.stop('SIGKILL')).toBeNull();
    const inFlight = await store.counts();
    expect(inFlight.analysis.processing).toBe(3);

    await start('B', env);
    await waitFor(
      'every task finished',
      async () => {
        const c = (await store.counts()).analysis;
        return c.pending === 0 && c.processing === 0;
      },
      45_000,
    );

    const counts = (await store.counts()).analysis;
    expect(counts).toMatchObject({ completed: 38, failed: 2, pending: 0, processing: 0, timeout: 0, cancelled: 0 });
    for (const t of once) {
      const r = await store.get(t.id);
      expect(r).toMatchObject({ status: 'failed', error_code: 'ALAW_ERR_QUEUE_ATTEMPTS_EXHAUSTED', attempts: 1 });
      expect(r!.error).toContain('A');
    }
    expect(await store.get(retried.id)).toMatchObject({ status: 'completed', attempts: 2, owner: 'B', result: { ran_by: 'B', attempt: 2 } });
    const lines = readJournal(journal);
    for (const t of [retried, ...rest]) {
      const row = await store.get(t.id);
      const done = lines.filter((l) => l.ev === 'done' && l.id === t.id);
      // Ran to completion exactly once, by the holder the table names.
      expect(done).toHaveLength(1);
      expect(done[0]).toMatchObject({ inst: row!.owner, attempt: row!.attempts });
      expect(row!.result).toMatchObject({ ran_by: row!.owner });
    }
    await store.close();
  }, 90_000);

  it('three instances on one PostgreSQL queue: the global max_concurrent holds and every task completes once', async () => {
    pgDb = await createTestDatabase();
    const journal = path.join(tmp.dir, 'multi.journal');
    const probe = new ConcurrencyProbe();
    const env = {
      DATABASE_URL: pgDb.url,
      ALAW_TEST_JOURNAL: journal,
      ALAW_TEST_PROBE: await probe.listen(),
      ALAW_QUEUE_LIMITS_ANALYSIS_MAX_CONCURRENT: '2',
      ALAW_QUEUE_LIMITS_ANALYSIS_MAX_QUEUE_SIZE: '1000',
    };
    const procs = [await start('m1', env), await start('m2', env), await start('m3', env)];
    const store: QueueStore = await PgQueueStore.open(pgDb.url);
    const ids: string[] = [];
    for (let i = 0; i < 300; i++) {
      const t = task({ payload: { ms: 5 + (i % 4) * 5 } });
      ids.push(t.id);
      await store.admit(t);
    }
    await waitFor('300 tasks completed', async () => (await store.counts()).analysis.completed === 300, 90_000);
    const c = (await store.counts()).analysis;
    expect(c).toMatchObject({ completed: 300, pending: 0, processing: 0, failed: 0 });

    const lines = readJournal(journal);
    const starts = lines.filter((l) => l.ev === 'start');
    const dones = lines.filter((l) => l.ev === 'done');
    expect(new Set(dones.map((l) => l.id))).toEqual(new Set(ids));
    expect(dones).toHaveLength(300);
    expect(starts).toHaveLength(300);
    // Peak number of tasks running at once across the three processes, counted in this process as the
    // workers report (not from timestamps of three processes, whose clocks each carry their own offset).
    expect(probe.entered).toBe(300);
    expect(probe.running).toBe(0);
    expect(probe.peak).toBeLessThanOrEqual(2);
    expect(probe.peak).toBe(2);
    await probe.close();
    expect(new Set(dones.map((l) => l.inst)).size).toBeGreaterThanOrEqual(2);
    for (const id of ids.slice(0, 20)) expect((await store.get(id))!.attempts).toBe(1);

    // Every instance serves searches and sees the others.
    for (const p of procs) {
      const r = await fetch(`http://127.0.0.1:${p.port}/api/search?q=${encodeURIComponent('손해배상')}`);
      expect(r.status).toBe(200);
    }
    const status = (await (await fetch(`http://127.0.0.1:${procs[0]!.port}/api/queue/status/json`)).json()) as {
      instances: { instance_id: string }[];
      backend: { kind: string };
    };
    expect(status.backend.kind).toBe('postgres');
    expect(status.instances.map((i) => i.instance_id)).toEqual(['m1', 'm2', 'm3']);
    for (const p of procs) expect(await p.stop('SIGTERM')).toBe(0);
    await store.close();
  }, 150_000);

  it('a burst far beyond max_queue_size gets 429s with Retry-After, health keeps answering, and nothing admitted is lost', async () => {
    const queueDb = path.join(tmp.dir, 'burst-queue.db');
    // One slot and two places to wait: 120 searches at once are far beyond what the line takes (searches are fast,
    // and with the guide's 2 + 10 a burst the server happens to read in small batches could all be served).
    const s = await start('burst', {
      ALAW_QUEUE_DB_PATH: queueDb,
      ALAW_QUEUE_LIMITS_SEARCH_MAX_CONCURRENT: '1',
      ALAW_QUEUE_LIMITS_SEARCH_MAX_QUEUE_SIZE: '2',
    });
    // The line admits what it has room for, in memory, and turns the rest away; every admitted one completes.
    const store = await SqliteQueueStore.open(queueDb);
    const base = `http://127.0.0.1:${s.port}`;
    const q = encodeURIComponent('소유권이전등기 말소 청구 사건에서 점유취득시효 완성 후 제3자에게 처분된 경우 손해배상 책임');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const healthCodes: number[] = [];
    let bursting = true;
    const probe = (async () => {
      while (bursting) {
        const code = await new Promise<number>((resolve, reject) => {
          http
            .get(`${base}/api/queue/health`, { agent }, (r) => {
              let body = '';
              r.on('data', (d: Buffer) => (body += d.toString()));
              r.on('end', () => resolve(JSON.parse(body).status === 'unhealthy' ? -1 : (r.statusCode ?? 0)));
            })
            .on('error', reject);
        });
        healthCodes.push(code);
        await sleep(5);
      }
    })();
    // 120 connections opened first, then every request written in the same tick: the server sees them all at once.
    const sockets = await Promise.all(
      Array.from(
        { length: 120 },
        () =>
          new Promise<net.Socket>((resolve, reject) => {
            const c = net.connect(s.port, '127.0.0.1', () => resolve(c));
            c.on('error', reject);
          }),
      ),
    );
    const responses = sockets.map(
      (c) =>
        new Promise<string>((resolve) => {
          let data = '';
          c.on('data', (d: Buffer) => (data += d.toString('utf8')));
          c.on('error', () => undefined);
          c.on('close', () => resolve(data));
        }),
    );
    sockets.forEach((c, i) => c.write(`GET /api/search?q=${q}&size=${1 + (i % 20)} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`));
    const results = (await Promise.all(responses)).map((raw) => {
      const [head, body] = raw.split('\r\n\r\n');
      const header = (name: string) => new RegExp(`^${name}: (.*)$`, 'mi').exec(head ?? '')?.[1]?.trim() ?? null;
      const status = Number(/^HTTP\/1\.1 (\d+)/.exec(raw)?.[1]);
      const code = status === 200 ? undefined : (JSON.parse(body ?? '{}') as { error?: { code: string } }).error?.code;
      return { status, retryAfter: header('retry-after'), taskId: header('x-task-id'), code };
    });
    bursting = false;
    await probe;
    agent.destroy();

    const ok = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status === 429);
    expect(ok.length + refused.length).toBe(120);
    expect(ok.length).toBeGreaterThanOrEqual(3);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(r.code).toBe('ALAW_ERR_QUEUE_FULL');
      expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
    }
    expect(healthCodes.length).toBeGreaterThan(0);
    expect(healthCodes.every((c) => c === 200)).toBe(true);
    // Every admitted search is recorded as completed (in the recorder's next batch), none left behind; no refusal left a row.
    await waitFor('the rows of the admitted searches', async () => (await store.counts()).search.completed === ok.length, 5_000);
    for (const r of ok) expect((await store.get(r.taskId!))?.status).toBe('completed');
    expect((await store.counts()).search).toMatchObject({ completed: ok.length, pending: 0, processing: 0, failed: 0, timeout: 0, cancelled: 0 });
    await store.close();
  }, 90_000);

  it('SIGTERM drains: no new work, running tasks get the grace period, the rest go back for another instance', async () => {
    const queueDb = path.join(tmp.dir, 'drain-queue.db');
    const journal = path.join(tmp.dir, 'drain.journal');
    const store = await SqliteQueueStore.open(queueDb);
    const quick = task({ payload: { ms: 300 } });
    const slow = task({ payload: { ms: 60_000 } });
    await store.admit(quick);
    await store.admit(slow);
    const env = {
      ALAW_QUEUE_DB_PATH: queueDb,
      ALAW_TEST_JOURNAL: journal,
      ALAW_QUEUE_LIMITS_ANALYSIS_MAX_CONCURRENT: '2',
      ALAW_QUEUE_SHUTDOWN_GRACE_SECONDS: '1.5',
    };
    const a = await start('drain-a', env);
    await waitFor('both running', () => readJournal(journal).filter((l) => l.ev === 'start').length === 2, 20_000);
    const t0 = Date.now();
    expect(await a.stop('SIGTERM')).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(a.logs()).toContain('다른 인스턴스가 처리하도록 돌려놓았습니다');
    expect(await store.get(quick.id)).toMatchObject({ status: 'completed', owner: 'drain-a' });
    expect(await store.get(slow.id)).toMatchObject({ status: 'pending', attempts: 0, owner: null });
    await store.close();
  }, 60_000);
});
