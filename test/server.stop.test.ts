import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteQueueStore, type AdmitRequest } from '../src/queue/index.js';
import { sampleEnv, sampleServices, tempDir } from './helpers.js';
import { startServer, type ServerProcess } from './process.js';
import { holdSlot } from './support/queue.js';

/**
 * "An honest stop" (issue 14) with a real server process (the service with a sleeping `analysis` worker,
 * test/support/queue-server.ts) over real SQLite files: SIGTERM under continuous search load. During the
 * grace period the listener stays open; new requests, on old and new connections, get 503
 * ALAW_ERR_SERVER_STOPPING with a Korean message and Retry-After; health answers 503 `is_running: false`;
 * /metrics answers; searches admitted before the signal complete with 200; the open analysis event streams get
 * a last `stopping` event; every response a client received is in access.log; the process exits 0 within the
 * grace period plus a margin.
 */
const ENTRY = 'test/support/queue-server.ts';
const GRACE_S = 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tmp = tempDir('alaw-stop-');
let server: ServerProcess | undefined;

beforeAll(async () => {
  // The precedents database and index (the server only reads them).
  const s = await sampleServices(tmp.dir);
  await s.close();
});

afterAll(async () => {
  await server?.stop('SIGKILL');
  tmp.cleanup();
});

interface Answer {
  id: string;
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  sentAt: number;
}

let seq = 0;

/** One request with an id of our own (`x-request-id`), on `agent` (false: a new connection). */
function request(port: number, method: string, target: string, agent: http.Agent | false, body?: string): Promise<Answer> {
  const id = `stop-${++seq}`;
  const sentAt = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: target,
        agent,
        headers: { 'x-request-id': id, ...(body ? { 'content-type': 'application/json' } : {}) },
      },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (data += d));
        res.on('end', () => resolve({ id, status: res.statusCode ?? 0, headers: res.headers, body: data, sentAt }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

interface Stream {
  id: string;
  events: { event: string; data: string; retry?: string }[];
  closed: Promise<void>;
}

/** An analysis event stream, its events parsed as they come. */
function openStream(port: number, taskId: string): Promise<Stream> {
  const id = `stop-sse-${++seq}`;
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: `/api/analysis/${taskId}/events`, agent: false, headers: { 'x-request-id': id } }, (res) => {
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
      const events: Stream['events'] = [];
      let buf = '';
      res.setEncoding('utf8');
      const closed = new Promise<void>((done) => res.on('close', () => done()));
      res.on('data', (d: string) => {
        buf += d;
        let end: number;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const fields = Object.fromEntries(
            block
              .split('\n')
              .filter((l) => !l.startsWith(':'))
              .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trimStart()]),
          ) as Record<string, string>;
          if (fields.event) events.push({ event: fields.event, data: fields.data ?? '', retry: fields.retry });
        }
      });
      resolve({ id, events, closed });
    });
    req.on('error', reject);
  });
}

const analysisTask = (ms: number): AdmitRequest => ({
  id: randomUUID(),
  type: 'analysis',
  payload: { ms, submitted_by: 'local' },
  maxQueueSize: 100_000,
  maxAttempts: 3,
  origin: 'test',
  affinity: null,
  waitLimitMs: null,
  durable: false,
});

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const SEARCH = `/api/search?q=${encodeURIComponent('손해배상')}&snippets=false`;

describe('SIGTERM: an honest stop', () => {
  it('keeps the listener open for the grace period, answers 503 STOPPING, finishes admitted work, ends streams, logs everything, exits in time', async () => {
    const queueDb = path.join(tmp.dir, 'stop-queue.db');
    const journal = path.join(tmp.dir, 'stop.journal');
    const logDir = path.join(tmp.dir, 'logs');
    const store = await SqliteQueueStore.open(queueDb);
    // One analysis that outlasts the grace (running here, then handed back) and one that waits behind it.
    const slow = analysisTask(60_000);
    const queued = analysisTask(10);
    await store.admit(slow);
    await store.admit(queued);
    server = await startServer(
      sampleEnv(tmp.dir, {
        ALAW_QUEUE_DB_PATH: queueDb,
        ALAW_LOG_DIR: logDir,
        ALAW_LOG_LEVEL: 'info',
        ALAW_TEST_JOURNAL: journal,
        INSTANCE_ID: 'stop-a',
        ALAW_QUEUE_PROFILE: 'conservative',
        ALAW_QUEUE_POLL_MS: '20',
        ALAW_QUEUE_LIMITS_ANALYSIS_MAX_CONCURRENT: '1',
        ALAW_QUEUE_SHUTDOWN_GRACE_SECONDS: String(GRACE_S),
        ALAW_SERVER_STOP_HOLD_SECONDS: '1',
      }),
      60_000,
      ENTRY,
    );
    const s = server;
    const port = s.port;
    await waitFor('the slow analysis to start', () => fs.existsSync(journal) && fs.readFileSync(journal, 'utf8').includes(slow.id), 20_000);
    const streams = await Promise.all([openStream(port, slow.id), openStream(port, queued.id)]);

    // Continuous search load: four clients on keep-alive connections, one after another, until the server is gone.
    const answers: Answer[] = [];
    const failures: { at: number; err: string }[] = [];
    let loading = true;
    const loops = Array.from({ length: 4 }, async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      while (loading) {
        try {
          answers.push(await request(port, 'GET', SEARCH, agent));
        } catch (err) {
          failures.push({ at: performance.now(), err: (err as Error).message });
          await sleep(20);
        }
      }
      agent.destroy();
    });
    await waitFor('searches served', () => answers.filter((a) => a.status === 200).length >= 20, 10_000);

    // Another instance takes both search slots: the searches in flight now wait, admitted, for a slot.
    const held = [randomUUID(), randomUUID()];
    // (A slot is free between two searches: the claim is tried until it gets one.)
    for (const id of held) {
      await waitFor(
        'a search slot',
        async () => {
          const r = await holdSlot(store, id, { owner: 'holder', maxConcurrent: 2 });
          return r.admitted && r.claimed;
        },
        5_000,
      );
    }
    await sleep(300);
    const exited = new Promise<{ code: number | null; at: number }>((resolve) => s.child.once('exit', (code) => resolve({ code, at: performance.now() })));
    const sigtermAt = performance.now();
    s.child.kill('SIGTERM');
    await sleep(200);

    // During the grace period: new connections, other routes, health and metrics.
    const probes: Answer[] = [];
    for (let i = 0; i < 3; i++) {
      probes.push(await request(port, 'GET', SEARCH, false));
      probes.push(await request(port, 'GET', '/', false));
      probes.push(await request(port, 'GET', '/api/no-such-route', false));
      probes.push(
        await request(
          port,
          'POST',
          '/api/analysis',
          false,
          JSON.stringify({ description: '임대차 보증금 반환 청구 사건입니다. 임대인이 보증금을 돌려주지 않습니다.' }),
        ),
      );
      await sleep(100);
    }
    const health = await request(port, 'GET', '/api/queue/health', false);
    const metrics = await request(port, 'GET', '/metrics', false);
    // The held slots are given back: the searches that waited for them run and complete.
    for (const id of held) expect(await store.finish({ id, owner: 'holder', attempt: 1, status: 'completed', runMs: 1, durable: false })).toBe(true);
    const stillOpen = await request(port, 'GET', SEARCH, false);
    const stillOpenAt = performance.now() - sigtermAt;

    const { code, at } = await exited;
    loading = false;
    await Promise.all(loops);
    await Promise.all(streams.map((st) => st.closed));
    const logs = s.logs();
    server = undefined;

    // Exit 0, within the grace period plus a margin.
    expect(code, logs.slice(-3000)).toBe(0);
    expect(at - sigtermAt).toBeGreaterThan(GRACE_S * 1000 - 200); // the slow analysis held the queue for the grace
    expect(at - sigtermAt).toBeLessThan(GRACE_S * 1000 + 1_500);

    // New requests during the grace period: the catalog's 503, in Korean, with Retry-After, closing the connection.
    expect(stillOpenAt).toBeLessThan(GRACE_S * 1000);
    for (const p of [...probes, stillOpen]) {
      expect(p.status, `${p.id} ${p.body}`).toBe(503);
      expect(p.headers['content-type']).toMatch(/^application\/json/);
      expect(p.headers['retry-after']).toBe('5');
      expect(p.headers.connection).toBe('close');
      expect(p.headers['x-request-id']).toBe(p.id);
      const body = JSON.parse(p.body) as { error: { code: string; message: string }; request_id: string };
      expect(body.error.code).toBe('ALAW_ERR_SERVER_STOPPING');
      expect(body.error.message).toMatch(/종료\(재배포\) 중입니다/);
      expect(body.request_id).toBe(p.id);
    }
    // Health: 503, unhealthy, not running (load balancers take the instance out); metrics still readable.
    expect(health.status).toBe(503);
    expect(JSON.parse(health.body)).toMatchObject({ status: 'unhealthy', is_running: false });
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('app_requests_total');

    // The load: 200s before the signal and for the searches admitted before it (they waited for the held slots),
    // 503 STOPPING for the searches sent after it, nothing else; no connection refused while the grace lasted.
    const after = answers.filter((a) => a.sentAt > sigtermAt + 50);
    const admittedBefore = answers.filter((a) => a.sentAt < sigtermAt - 250 && a.status === 200 && a.headers['x-task-id']);
    expect(answers.filter((a) => a.status !== 200 && a.status !== 503)).toEqual([]);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((a) => a.status === 503 && JSON.parse(a.body).error.code === 'ALAW_ERR_SERVER_STOPPING')).toBe(true);
    // Four clients each had a search waiting for the held slots when the signal came: they completed.
    const waited = answers.filter((a) => a.sentAt < sigtermAt && a.sentAt > sigtermAt - 300 - 100 && a.status === 200);
    expect(waited.length, JSON.stringify(answers.slice(-12).map((a) => [a.status, Math.round(a.sentAt - sigtermAt)]))).toBeGreaterThanOrEqual(4);
    expect(admittedBefore.length).toBeGreaterThan(10);
    expect(failures.filter((f) => f.at - sigtermAt < GRACE_S * 1000 - 1_000)).toEqual([]);

    // The event streams: a last `stopping` event saying where the analysis goes on, then closed.
    const [slowStream, queuedStream] = streams;
    for (const st of streams) {
      const last = st.events.at(-1)!;
      expect(last.event).toBe('stopping');
      expect(last.retry).toBe('5000');
    }
    const slowEnd = JSON.parse(slowStream.events.at(-1)!.data) as Record<string, unknown>;
    expect(slowEnd).toMatchObject({ id: slow.id, status: 'pending', outcome: 'released', events_url: `/api/analysis/${slow.id}/events`, retry_after_s: 5 });
    expect(String(slowEnd.message)).toMatch(/대기열로 돌려놓았습니다/);
    const queuedEnd = JSON.parse(queuedStream.events.at(-1)!.data) as Record<string, unknown>;
    expect(queuedEnd).toMatchObject({ id: queued.id, status: 'pending', outcome: 'queued', status_url: `/api/analysis/${queued.id}` });
    expect(String(queuedEnd.message)).toMatch(/대기열에 그대로 있어/);
    // The analyses are not lost: both wait for another instance, no attempt spent on the handed-back one.
    expect(await store.get(slow.id)).toMatchObject({ status: 'pending', attempts: 0, owner: null });
    expect(await store.get(queued.id)).toMatchObject({ status: 'pending' });

    // access.log has every response a client received, with the code of the error answers.
    const lines = fs
      .readFileSync(path.join(logDir, 'access.log'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { request_id: string | null; status: number; error_code: string | null });
    const logged = new Map(lines.map((l) => [l.request_id, l]));
    const received = [...answers, ...probes, health, metrics, stillOpen];
    for (const a of received) {
      expect(logged.get(a.id), `${a.id} (${a.status}) missing from access.log`).toMatchObject({ status: a.status });
      if (a.status === 503 && a !== health) expect(logged.get(a.id)?.error_code).toBe('ALAW_ERR_SERVER_STOPPING');
    }
    for (const st of streams) expect(logged.get(st.id), `${st.id} (event stream) missing from access.log`).toMatchObject({ status: 200 });

    // What the operator reads: the signal, the count of 503s, the streams told, the close.
    expect(logs).toContain('종료 신호를 받았습니다');
    expect(logs).toMatch(/"refused":\d+/);
    expect(logs).toContain('이벤트 스트림 2개에 stopping 이벤트를 보냈습니다');
    expect(logs).toContain('서버를 닫았습니다');
    await store.close();
  }, 90_000);

  it('with nothing running, holds the listener for server.stopHoldSeconds (not the whole grace), then exits', async () => {
    server = await startServer(
      sampleEnv(tmp.dir, {
        ALAW_QUEUE_DB_PATH: path.join(tmp.dir, 'idle-queue.db'),
        ALAW_QUEUE_SHUTDOWN_GRACE_SECONDS: '10',
        ALAW_SERVER_STOP_HOLD_SECONDS: '1.5',
      }),
      60_000,
      ENTRY,
    );
    const s = server;
    expect((await request(s.port, 'GET', SEARCH, false)).status).toBe(200);
    const exited = new Promise<{ code: number | null; at: number }>((resolve) => s.child.once('exit', (code) => resolve({ code, at: performance.now() })));
    const sigtermAt = performance.now();
    s.child.kill('SIGTERM');
    await sleep(700);
    // The queue stopped at once (nothing ran), yet a new connection still gets the catalog's 503, not a refusal.
    const late = await request(s.port, 'GET', SEARCH, false);
    expect(late.status).toBe(503);
    expect(JSON.parse(late.body).error.code).toBe('ALAW_ERR_SERVER_STOPPING');
    const health = await request(s.port, 'GET', '/api/queue/health', false);
    expect(health.status).toBe(503);
    const { code, at } = await exited;
    const took = at - sigtermAt;
    server = undefined;
    expect(code).toBe(0);
    expect(took).toBeGreaterThan(1_400);
    expect(took).toBeLessThan(4_000); // not the 10 s grace
  }, 60_000);
});
