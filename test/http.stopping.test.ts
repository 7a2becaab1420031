import type { FastifyInstance } from 'fastify';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerServices } from '../src/app/index.js';
import { systemClock } from '../src/clock.js';
import { buildApp, StopGate } from '../src/http/index.js';
import { stoppingEvent } from '../src/http/stopping.js';
import { SqliteQueueStore } from '../src/queue/index.js';
import { sampleServices, tempDir } from './helpers.js';

/**
 * The stop gate in process (buildApp + inject): once the server stops, every route answers 503
 * ALAW_ERR_SERVER_STOPPING (before authentication, for unknown paths too) except health (503, not running),
 * the queue status and /metrics; a request admitted before goes on; an open event stream ends with `stopping`.
 * The real process (SIGTERM, access.log, exit) is test/server.stop.test.ts.
 */
const ADMIN = 'admin-token-0123456789abcdef';
const USER = 'user-token-0123456789abcdef';
const asUser = { authorization: `Bearer ${USER}` };
const asAdmin = { authorization: `Bearer ${ADMIN}` };
const SEARCH = `/api/search?q=${encodeURIComponent('손해배상')}&snippets=false`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let services: ServerServices;
let app: FastifyInstance;
const gate = new StopGate();
const tmp = tempDir();

beforeAll(async () => {
  services = await sampleServices(tmp.dir, { 'auth.adminTokens': ADMIN, 'auth.userTokens': USER, 'queue.pollMs': 20 });
  app = await buildApp(services, { gate });
});
afterAll(async () => {
  await app.close();
  await services.close();
  tmp.cleanup();
});

const errorOf = (r: { body: string }) => (JSON.parse(r.body) as { error: { code: string; message: string } }).error;

describe('the stop gate', () => {
  it('answers 503 STOPPING to new requests once closed; admitted ones, health, status and metrics go on', async () => {
    expect((await app.inject({ url: SEARCH, headers: asUser })).statusCode).toBe(200);
    expect((await app.inject({ url: SEARCH })).statusCode).toBe(401);

    // Two running searches hold both search slots: this search is admitted and waits for one.
    let release!: () => void;
    const open = new Promise<void>((resolve) => (release = resolve));
    const holding = [services.queue.run('search', {}, () => open), services.queue.run('search', {}, () => open)];
    const admitted = app.inject({ url: SEARCH, headers: asUser });
    await sleep(100);

    gate.close();
    services.queue.beginDrain();
    expect(gate.stopping).toBe(true);

    for (const [method, url, headers] of [
      ['GET', SEARCH, asUser],
      ['GET', SEARCH, {}], // no key: 503, not 401 — the gate answers before authentication
      ['GET', '/', {}],
      ['GET', '/docs', {}],
      ['GET', '/api/no-such-route', asUser], // not 404
      ['POST', '/api/analysis', asUser],
      ['POST', '/api/queue/clear?type=all', asAdmin],
    ] as const) {
      const r = await app.inject({ method, url, headers, ...(method === 'POST' ? { payload: {} } : {}) });
      expect(r.statusCode, `${method} ${url}`).toBe(503);
      expect(r.headers['retry-after']).toBe('5');
      expect(r.headers.connection).toBe('close');
      expect(r.headers['x-content-type-options']).toBe('nosniff'); // the security headers, as on every answer
      expect(errorOf(r)).toEqual({
        code: 'ALAW_ERR_SERVER_STOPPING',
        message: '서버가 종료(재배포) 중입니다. 잠시 후 다시 시도해 주세요. 다른 인스턴스가 있으면 로드 밸런서가 그쪽으로 보냅니다.',
      });
    }
    expect(gate.refused).toBe(7);

    const health = await app.inject('/api/queue/health');
    expect(health.statusCode).toBe(503);
    expect(JSON.parse(health.body)).toMatchObject({ status: 'unhealthy', is_running: false });
    const status = await app.inject('/api/queue/status/json');
    expect(status.statusCode).toBe(200);
    expect(JSON.parse(status.body)).toMatchObject({ draining: true, is_running: false });
    const metrics = await app.inject('/metrics');
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toContain('app_requests_total');
    // Answers of routes that go on close their connection too: keep-alive clients reconnect elsewhere.
    expect(metrics.headers.connection).toBe('close');

    // The slots are given back: the search admitted before the stop completes.
    release();
    await Promise.all(holding);
    const r = await admitted;
    expect(r.statusCode, r.body).toBe(200);
    expect(r.headers.connection).toBe('close');
  });

  it('ends an open event stream with `stopping`: where the analysis is and where to follow it', async () => {
    // An analysis nobody runs here (no worker in this process): it waits in the queue, admitted directly.
    const store = await SqliteQueueStore.open(path.join(tmp.dir, 'queue.db'));
    const id = randomUUID();
    await store.admit({
      id,
      type: 'analysis',
      payload: { description: 'x', submitted_by: 'local' },
      maxQueueSize: 100,
      maxAttempts: 3,
      origin: 'elsewhere',
      affinity: null,
      waitLimitMs: null,
      durable: false,
    });
    await store.close();
    // An app with a gate of its own (the other test closed this file's).
    const streamGate = new StopGate();
    const streamApp = await buildApp(services, { gate: streamGate });
    // Twelve clients follow it: more than ten waits on the gate's signal must not look like a leak to Node.
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.name);
    process.on('warning', onWarning);
    const streams = Array.from({ length: 12 }, () => streamApp.inject({ url: `/api/analysis/${id}/events`, headers: asAdmin }));
    await sleep(300);
    expect(streamGate.openStreams).toBe(12);
    expect(await streamGate.endStreams(systemClock, 2_000)).toBe(12);
    for (const r of await Promise.all(streams)) {
      expect(r.statusCode).toBe(200);
      const blocks = r.body.split('\n\n').filter(Boolean);
      expect(blocks[0]).toMatch(/^event: progress\n/);
      const last = blocks.at(-1)!;
      expect(last).toMatch(/^event: stopping\nretry: 5000\ndata: /);
      const data = JSON.parse(last.slice(last.indexOf('data: ') + 6)) as Record<string, unknown>;
      expect(data).toMatchObject({
        id,
        status: 'pending',
        outcome: 'queued',
        events_url: `/api/analysis/${id}/events`,
        status_url: `/api/analysis/${id}`,
        retry_after_s: 5,
      });
      expect(String(data.message)).toContain(`/api/analysis/${id}/events`);
    }
    await sleep(10);
    process.off('warning', onWarning);
    expect(warnings).toEqual([]);
    expect(streamGate.openStreams).toBe(0);
    await streamApp.close();
  });

  it('tells running elsewhere, handed back and waiting apart', () => {
    const at = (status: string, owner: string | null) => ({ id: 't1', status, owner });
    expect(stoppingEvent(at('processing', 'other'), 'me', false).outcome).toBe('running_elsewhere');
    expect(stoppingEvent(at('processing', 'other'), 'me', false).message).toContain('다른 인스턴스에서 계속 실행 중');
    expect(stoppingEvent(at('pending', null), 'me', true).outcome).toBe('released');
    // Still ours after the stop (the hand-back failed): its lease expires and it is retried.
    expect(stoppingEvent(at('processing', 'me'), 'me', false).outcome).toBe('released');
    expect(stoppingEvent(at('pending', null), 'me', false).outcome).toBe('queued');
  });
});
