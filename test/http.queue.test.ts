import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerServices } from '../src/app/index.js';
import { buildApp } from '../src/http/index.js';
import { sampleServices, tempDir } from './helpers.js';

const ADMIN = 'admin-token-0123456789abcdef';
const USER = 'user-token-0123456789abcdef';

let services: ServerServices;
let app: FastifyInstance;
const tmp = tempDir();

beforeAll(async () => {
  services = await sampleServices(tmp.dir, { 'auth.adminTokens': ADMIN, 'auth.userTokens': USER });
  app = await buildApp(services);
});
afterAll(async () => {
  await app.close();
  await services.close();
  tmp.cleanup();
});

const json = <T>(r: { body: string }): T => JSON.parse(r.body) as T;
// Keys are configured here, so /api needs one (the rules themselves are tested in auth.test.ts).
const asUser = { authorization: `Bearer ${USER}` };
const asAdmin = { authorization: `Bearer ${ADMIN}` };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('queue endpoints', () => {
  it('GET /api/queue/health answers in the guide shape', async () => {
    const r = await app.inject('/api/queue/health');
    expect(r.statusCode).toBe(200);
    expect(r.headers['cache-control']).toBe('no-store');
    const h = json<Record<string, unknown>>(r);
    expect(Object.keys(h).sort()).toEqual(['is_running', 'queue_stats', 'resource_usage', 'status', 'timestamp']);
    expect(h).toMatchObject({ status: 'healthy', is_running: true });
    expect(Object.keys(h.queue_stats as object).sort()).toEqual(['analysis', 'search']);
    expect(Object.keys(h.resource_usage as object).sort()).toEqual(['cpu_percent', 'memory_percent']);
  });

  it('every search goes through the search queue and can be looked up as a task', async () => {
    const r = await app.inject({ url: '/api/search', query: { q: '명의신탁 약정 무효' }, headers: asUser });
    expect(r.statusCode).toBe(200);
    const taskId = r.headers['x-task-id'] as string;
    expect(taskId).toMatch(/^[0-9a-f-]{36}$/);
    const t = await app.inject({ url: `/api/queue/tasks/${taskId}`, headers: asUser });
    expect(t.statusCode).toBe(200);
    const task = json<Record<string, unknown>>(t);
    const body = json<{ total: number; hits: { id: string }[] }>(r);
    expect(task).toMatchObject({ id: taskId, type: 'search', status: 'completed', attempts: 1, position: null, error: null, owner: services.instanceId });
    expect(task.result).toMatchObject({ total: body.total, hits: body.hits.length, top: body.hits[0]!.id });
    // The request itself is not shown.
    expect(task).not.toHaveProperty('payload');
    // POST searches too.
    const p = await app.inject({ method: 'POST', url: '/api/search', payload: { q: '취득시효' }, headers: asUser });
    expect(p.headers['x-task-id']).toBeTruthy();
  });

  it('a bad search is refused before it takes a queue slot', async () => {
    const before = (await services.queue.store.counts()).search;
    const r = await app.inject({ url: '/api/search', query: { q: ' ' }, headers: asUser });
    expect(r.statusCode).toBe(400);
    expect(r.headers['x-task-id']).toBeUndefined();
    const after = (await services.queue.store.counts()).search;
    expect(after).toEqual(before);
  });

  it('GET /api/queue/status/json has limits, profile, counts, durations and instances', async () => {
    await app.inject({ url: '/api/search', query: { q: '손해배상' }, headers: asUser });
    const s = json<Record<string, any>>(await app.inject('/api/queue/status/json')); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(s).toMatchObject({ status: 'healthy', is_running: true, instance_id: services.instanceId, backend: { kind: 'sqlite' } });
    expect(s.profile).toMatchObject({ mode: 'conservative', active: 'conservative', optimized_when: { memory_percent_below: 60, cpu_percent_below: 50 } });
    expect(s.types.search.limits).toEqual({ max_concurrent: 2, max_queue_size: 10, timeout: 30 });
    expect(s.types.analysis.limits).toEqual({ max_concurrent: 1, max_queue_size: 5, timeout: 60 });
    expect(s.types.search.counts.completed).toBeGreaterThanOrEqual(1);
    expect(s.types.search.run_ms.p50).toBeGreaterThanOrEqual(0);
    expect(s.types.search.wait_ms.p95).toBeGreaterThanOrEqual(0);
    expect(s.types.search.this_instance).toMatchObject({ rejected_total: 0, running: 0, waiting: 0 });
    expect(s.instances.map((i: { instance_id: string }) => i.instance_id)).toEqual([services.instanceId]);
  });

  it('POST /api/queue/clear needs an admin token: 401 without or with a wrong one, 403 for a user', async () => {
    const none = await app.inject({ method: 'POST', url: '/api/queue/clear' });
    expect(none.statusCode).toBe(401);
    expect(json<{ error: { code: string } }>(none).error.code).toBe('ALAW_ERR_AUTH_REQUIRED');
    expect(none.headers['www-authenticate']).toContain('Bearer');
    const wrong = await app.inject({ method: 'POST', url: '/api/queue/clear', headers: { authorization: 'Bearer nope-nope-nope-nope' } });
    expect(wrong.statusCode).toBe(401);
    expect(json<{ error: { code: string } }>(wrong).error.code).toBe('ALAW_ERR_AUTH_INVALID');
    const user = await app.inject({ method: 'POST', url: '/api/queue/clear', headers: { authorization: `Bearer ${USER}` } });
    expect(user.statusCode).toBe(403);
    expect(json<{ error: { code: string } }>(user).error.code).toBe('ALAW_ERR_AUTH_FORBIDDEN');
    const badType = await app.inject({ method: 'POST', url: '/api/queue/clear?type=everything', headers: { authorization: `Bearer ${ADMIN}` } });
    expect(badType.statusCode).toBe(400);
    const e = json<{ error: { code: string; message: string } }>(badType).error;
    expect(e.code).toBe('ALAW_ERR_QUEUE_TYPE_INVALID');
    expect(e.message).toContain('search, analysis(또는 case_analysis), all(대기 중인 작업 전부) 중 하나');
    expect(e.message).toContain('"everything"');
  });

  it('POST /api/queue/clear takes exactly its documented input: anything else is 400 and cancels nothing', async () => {
    const waiting = [await services.queue.submit('analysis', { description: '대기' }), await services.queue.submit('analysis', { description: '대기' })];
    const bad: [string, { url: string; payload?: string | Record<string, unknown>; headers?: Record<string, string> }, string, string][] = [
      ["no type (the guide's bare curl)", { url: '/api/queue/clear' }, 'ALAW_ERR_QUEUE_CLEAR_TYPE_REQUIRED', '?type=all'],
      ['a misspelt parameter', { url: '/api/queue/clear?typ=search' }, 'ALAW_ERR_QUEUE_CLEAR_PARAM_UNKNOWN', '알 수 없는 매개변수입니다: typ.'],
      ['an array parameter', { url: '/api/queue/clear?type[]=search' }, 'ALAW_ERR_QUEUE_CLEAR_PARAM_UNKNOWN', 'type[]'],
      ['type and an extra parameter', { url: '/api/queue/clear?type=search&force=1' }, 'ALAW_ERR_QUEUE_CLEAR_PARAM_UNKNOWN', 'force'],
      ['type given twice', { url: '/api/queue/clear?type=search&type=analysis' }, 'ALAW_ERR_QUEUE_TYPE_INVALID', '한 번만'],
      ['type=all given twice', { url: '/api/queue/clear?type=all&type=all' }, 'ALAW_ERR_QUEUE_TYPE_INVALID', '한 번만'],
      ['an unknown type', { url: '/api/queue/clear?type=ALL' }, 'ALAW_ERR_QUEUE_TYPE_INVALID', '"ALL"'],
      ['an empty type', { url: '/api/queue/clear?type=' }, 'ALAW_ERR_QUEUE_TYPE_INVALID', 'all(대기 중인 작업 전부)'],
      ['a JSON body', { url: '/api/queue/clear', payload: { type: 'search' } }, 'ALAW_ERR_QUEUE_CLEAR_BODY', '본문'],
      ['a JSON body beside a valid type', { url: '/api/queue/clear?type=all', payload: {} }, 'ALAW_ERR_QUEUE_CLEAR_BODY', '본문'],
      [
        'a JSON null body',
        { url: '/api/queue/clear?type=all', payload: 'null', headers: { 'content-type': 'application/json' } },
        'ALAW_ERR_QUEUE_CLEAR_BODY',
        '본문',
      ],
      [
        'an empty JSON body',
        { url: '/api/queue/clear?type=all', payload: '', headers: { 'content-type': 'application/json' } },
        'ALAW_ERR_REQUEST_JSON',
        'JSON',
      ],
    ];
    for (const [what, req, code, says] of bad) {
      const r = await app.inject({ method: 'POST', ...req, headers: { ...asAdmin, ...req.headers } });
      expect(r.statusCode, what).toBe(400);
      const e = json<{ error: { code: string; message: string } }>(r).error;
      expect(e.code, what).toBe(code);
      expect(e.message, what).toContain(says);
      if (code !== 'ALAW_ERR_REQUEST_JSON') expect(e.message, what).toContain('아무것도 취소하지 않았습니다');
    }
    // A form body is not JSON: 415, and nothing cancelled either.
    const form = await app.inject({
      method: 'POST',
      url: '/api/queue/clear?type=all',
      payload: 'type=all',
      headers: { ...asAdmin, 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.statusCode).toBe(415);
    for (const t of waiting) expect((await services.queue.task(t.id))?.status).toBe('pending');
    expect((await services.queue.store.counts()).analysis.pending).toBe(2);

    // The explicit form clears everything, and the audit line says who asked and what was cancelled.
    const all = await app.inject({ method: 'POST', url: '/api/queue/clear?type=all', headers: asAdmin });
    expect(all.statusCode).toBe(200);
    expect(json(all)).toEqual({ removed: 2, by_type: { search: 0, analysis: 2 }, ids: waiting.map((t) => t.id), type: 'all' });
    expect((await services.queue.store.counts()).analysis.pending).toBe(0);
  });

  it('POST /api/queue/clear removes pending tasks, by type or all, and says what it removed', async () => {
    const a = await services.queue.submit('analysis', { description: '대기' });
    const b = await services.queue.submit('analysis', { description: '대기' });
    const onlySearch = await app.inject({ method: 'POST', url: '/api/queue/clear?type=search', headers: { authorization: `Bearer ${ADMIN}` } });
    expect(json(onlySearch)).toEqual({ removed: 0, by_type: { search: 0, analysis: 0 }, ids: [], type: 'search' });
    const r = await app.inject({ method: 'POST', url: '/api/queue/clear?type=case_analysis', headers: { authorization: `bearer ${ADMIN}` } });
    expect(r.statusCode).toBe(200);
    expect(json(r)).toEqual({ removed: 2, by_type: { search: 0, analysis: 2 }, ids: [a.id, b.id], type: 'analysis' });
    const t = json<{ status: string; error: { code: string; message: string } }>(await app.inject({ url: `/api/queue/tasks/${a.id}`, headers: asAdmin }));
    expect(t.status).toBe('cancelled');
    expect(t.error.code).toBe('ALAW_ERR_QUEUE_CANCELLED');
    expect(t.error.message).toContain('admin:');
  });

  it('GET /api/queue/tasks/{id} shows a waiting task with its place in line', async () => {
    const a = await services.queue.submit('analysis', {});
    const b = await services.queue.submit('analysis', {});
    const t = json<{ status: string; position: number; estimated_wait_s: number }>(await app.inject({ url: `/api/queue/tasks/${b.id}`, headers: asAdmin }));
    expect(t).toMatchObject({ status: 'pending', position: 2 });
    expect(t.estimated_wait_s).toBeGreaterThanOrEqual(1);
    const missing = await app.inject({ url: '/api/queue/tasks/no-such-task', headers: asAdmin });
    expect(missing.statusCode).toBe(404);
    expect(json<{ error: { code: string } }>(missing).error.code).toBe('ALAW_ERR_TASK_NOT_FOUND');
    await services.queue.clear(null, 'test');
    expect(a.position).toBe(1);
  });

  it('GET / says the service is ok, with its instance id', async () => {
    const r = json<Record<string, unknown>>(await app.inject('/'));
    expect(r).toMatchObject({ service: 'ALaw AI-Backend', status: 'ok', instance_id: services.instanceId });
  });
});

describe('a full search queue', () => {
  let full: ServerServices;
  let release!: () => void;
  let holding: Promise<void>;
  let fullApp: FastifyInstance;
  const dir = tempDir();
  beforeAll(async () => {
    full = await sampleServices(dir.dir, { 'queue.limits.search.max_queue_size': 0, 'queue.limits.search.max_concurrent': 1 });
    // The only slot is held by a running search, and no search may wait (max_queue_size 0).
    const gate = new Promise<void>((resolve) => (release = resolve));
    holding = full.queue.run('search', {}, () => gate);
    fullApp = await buildApp(full);
  });
  afterAll(async () => {
    release();
    await holding;
    await fullApp.close();
    await full.close();
    dir.cleanup();
  });

  it('answers 429 with Retry-After and a Korean message, without touching stored tasks', async () => {
    const r = await fullApp.inject({ url: '/api/search', query: { q: '명의신탁' } });
    expect(r.statusCode).toBe(429);
    expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    const e = json<{ error: { code: string; message: string; details: Record<string, unknown> } }>(r).error;
    expect(e.code).toBe('ALAW_ERR_QUEUE_FULL');
    expect(e.message).toMatch(/검색 대기열이 가득 찼습니다.*초 후 다시 시도/);
    expect(e.details).toMatchObject({ type: 'search', max_queue_size: 0 });
    await sleep(10);
    // Turned away in memory: no row was written for it (nor for the running one, until it ends).
    await full.queue.flushRecords();
    expect((await full.queue.store.counts()).search).toMatchObject({ pending: 0, processing: 0, completed: 0, cancelled: 0, timeout: 0, failed: 0 });
    const h = json<{ status: string; queue_stats: { search: { processing: number; pending: number } } }>(await fullApp.inject('/api/queue/health'));
    expect(h.status).not.toBe('unhealthy');
    expect(h.queue_stats.search).toMatchObject({ processing: 1, pending: 0 });
  });
});
