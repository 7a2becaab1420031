import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recoverRawUrl } from '../src/http/rawUrl.js';
import { sampleApp } from './helpers.js';

type ErrorReply = { error: { code: string; message: string } };
const json = <T>(r: { body: string }): T => JSON.parse(r.body) as T;
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const REMOTE = '203.0.113.7';
const DESCRIPTION = '원고는 피고에게 2020. 3. 1. 1억 원을 빌려주었으나 피고가 변제기가 지나도 갚지 않아 대여금 반환을 청구한다.';

const open = sampleApp;

describe('no API key at all: open to this machine only', () => {
  let s: Awaited<ReturnType<typeof open>>;
  beforeAll(async () => (s = await open()));
  afterAll(async () => s.close());

  it('serves requests from loopback without a key', async () => {
    const r = await s.app.inject({ url: '/api/search', query: { q: '사기' } });
    expect(r.statusCode).toBe(200);
    const a = await s.app.inject({ method: 'POST', url: '/api/analysis', payload: { description: DESCRIPTION } });
    expect(a.statusCode).toBe(202);
    expect((await s.app.inject(`/api/analysis/${json<{ id: string }>(a).id}`)).statusCode).toBe(200);
  });

  it('refuses other machines with 403 and says how to make a key', async () => {
    const r = await s.app.inject({ url: '/api/search', query: { q: '사기' }, remoteAddress: REMOTE });
    expect(r.statusCode).toBe(403);
    const e = json<ErrorReply>(r).error;
    expect(e.code).toBe('ALAW_ERR_AUTH_NOT_CONFIGURED');
    expect(e.message).toContain('alaw keys create');
    // A proxy on this machine that the server does not trust makes every request look local: not trusted either.
    const proxied = await s.app.inject({ url: '/api/search', query: { q: '사기' }, headers: { 'x-forwarded-for': REMOTE } });
    expect(proxied.statusCode).toBe(403);
  });

  it('keeps health, the service root and the API docs public, and unknown routes 404', async () => {
    for (const url of ['/api/queue/health', '/', '/docs/json']) expect((await s.app.inject({ url, remoteAddress: REMOTE })).statusCode, url).toBe(200);
    expect((await s.app.inject({ url: '/api/nothing-here', remoteAddress: REMOTE })).statusCode).toBe(404);
  });

  it('a key that is presented must be valid, even when none is needed', async () => {
    const r = await s.app.inject({ url: '/api/search', query: { q: '사기' }, headers: bearer('alaw_not-a-real-key-000000000000') });
    expect(r.statusCode).toBe(401);
    expect(json<ErrorReply>(r).error.code).toBe('ALAW_ERR_AUTH_INVALID');
  });

  it('does not take a request with unencoded Korean in its URL (recovered from the raw bytes) for a local one', async () => {
    // The parser rejects the raw UTF-8 request line; the recovery re-runs it through the router. The peer here is remote.
    const rawRequest = (target: string): Promise<string> =>
      new Promise((resolve) => {
        let out = '';
        const socket = {
          writable: true,
          remoteAddress: REMOTE,
          end: (b: Buffer) => resolve((out += b.toString('utf8'))),
          destroy: () => resolve(out),
        };
        const rawPacket = Buffer.concat([Buffer.from('GET '), Buffer.from(target, 'utf8'), Buffer.from(' HTTP/1.1\r\nhost: x\r\n\r\n')]);
        const handled = recoverRawUrl(s.app, Object.assign(new Error('bad url'), { code: 'HPE_INVALID_URL', rawPacket }), socket as never);
        expect(handled).toBe(true);
      });
    expect(await rawRequest('/api/search?q=사기')).toMatch(/^HTTP\/1\.1 403 [\s\S]*ALAW_ERR_AUTH_NOT_CONFIGURED/);
    // The public health route is routed as public (not 403): its unknown parameter is the only complaint.
    expect(await rawRequest('/api/queue/health?x=한')).toMatch(/^HTTP\/1\.1 400 [\s\S]*ALAW_ERR_REQUEST_INVALID/);
  });

  it('a remote client of the local-only status route is told no key exists, not to send one', async () => {
    const r = await s.app.inject({ url: '/api/queue/status/json', remoteAddress: REMOTE });
    expect(r.statusCode).toBe(403);
    expect(json<ErrorReply>(r).error.code).toBe('ALAW_ERR_AUTH_NOT_CONFIGURED');
  });

  it('clearing the queue still needs an admin key, and says how to get one', async () => {
    const r = await s.app.inject({ method: 'POST', url: '/api/queue/clear' });
    expect(r.statusCode).toBe(401);
    expect(json<ErrorReply>(r).error.message).toContain('alaw keys create --role admin');
  });
});

describe('behind a trusted proxy', () => {
  let s: Awaited<ReturnType<typeof open>>;
  beforeAll(async () => (s = await open({ 'server.trustProxy': '127.0.0.1', 'auth.keyCacheSeconds': 0 })));
  afterAll(async () => s.close());

  it('a client cannot pass as local by sending X-Forwarded-For: 127.0.0.1', async () => {
    const spoofed = await s.app.inject({
      url: '/api/search',
      query: { q: '사기' },
      remoteAddress: '10.0.0.5',
      headers: { 'x-forwarded-for': '127.0.0.1, 203.0.113.7' },
    });
    expect(spoofed.statusCode).toBe(403);
    // The proxy itself on this machine forwarding a client: not local either.
    const viaLocalProxy = await s.app.inject({ url: '/api/search', query: { q: '사기' }, headers: { 'x-forwarded-for': '127.0.0.1' } });
    expect(viaLocalProxy.statusCode).toBe(403);
    const { token } = await s.services.keys.create('proxy', 'user');
    const keyed = await s.app.inject({ url: '/api/queue/status/json', remoteAddress: '10.0.0.5', headers: { 'x-forwarded-for': '127.0.0.1' } });
    expect(keyed.statusCode).toBe(401);
    expect(
      (
        await s.app.inject({
          url: '/api/queue/status/json',
          remoteAddress: '10.0.0.5',
          headers: { 'x-forwarded-for': '127.0.0.1', authorization: `Bearer ${token}` },
        })
      ).statusCode,
    ).toBe(200);
  });
});

describe('with API keys', () => {
  const ENV_ADMIN = 'env-admin-token-0123456789';
  let s: Awaited<ReturnType<typeof open>>;
  let alice: string;
  let bob: string;
  let admin: string;
  beforeAll(async () => {
    s = await open({ 'auth.keyCacheSeconds': 0.3, 'auth.adminTokens': ENV_ADMIN });
    const keys = s.services.keys;
    alice = (await keys.create('alice', 'user')).token;
    bob = (await keys.create('bob', 'user')).token;
    admin = (await keys.create('ops', 'admin')).token;
  });
  afterAll(async () => s.close());

  it('needs a key for /api, from this machine too, as Bearer or X-API-Key', async () => {
    const none = await s.app.inject({ url: '/api/search', query: { q: '사기' } });
    expect(none.statusCode).toBe(401);
    expect(json<ErrorReply>(none).error.code).toBe('ALAW_ERR_AUTH_REQUIRED');
    expect(none.headers['www-authenticate']).toContain('Bearer');
    expect((await s.app.inject({ url: '/api/search', query: { q: '사기' }, headers: bearer(alice), remoteAddress: REMOTE })).statusCode).toBe(200);
    expect((await s.app.inject({ url: '/api/search', query: { q: '사기' }, headers: { 'x-api-key': bob } })).statusCode).toBe(200);
    const wrong = await s.app.inject({ url: '/api/search', query: { q: '사기' }, headers: bearer(alice.slice(0, -1) + (alice.endsWith('A') ? 'B' : 'A')) });
    expect(wrong.statusCode).toBe(401);
    expect(json<ErrorReply>(wrong).error.code).toBe('ALAW_ERR_AUTH_INVALID');
  });

  it('leaves the queue status open to this machine (the guide curls it) and asks others for a key', async () => {
    expect((await s.app.inject('/api/queue/status/json')).statusCode).toBe(200);
    expect((await s.app.inject({ url: '/api/queue/status/json', remoteAddress: REMOTE })).statusCode).toBe(401);
    expect((await s.app.inject({ url: '/api/queue/status/json', remoteAddress: REMOTE, headers: bearer(bob) })).statusCode).toBe(200);
  });

  it('an analysis belongs to the key that created it: another user key gets 404, admin keys see it', async () => {
    const created = await s.app.inject({ method: 'POST', url: '/api/analysis', payload: { description: DESCRIPTION }, headers: bearer(alice) });
    expect(created.statusCode).toBe(202);
    const { id } = json<{ id: string }>(created);
    const get = (key: string) => s.app.inject({ url: `/api/analysis/${id}`, headers: bearer(key) });
    expect((await get(alice)).statusCode).toBe(200);
    const other = await get(bob);
    expect(other.statusCode).toBe(404);
    expect(json<ErrorReply>(other).error.code).toBe('ALAW_ERR_ANALYSIS_NOT_FOUND');
    expect((await s.app.inject({ url: `/api/analysis/${id}/events`, headers: bearer(bob) })).statusCode).toBe(404);
    expect((await s.app.inject({ url: `/api/queue/tasks/${id}`, headers: bearer(bob) })).statusCode).toBe(404);
    expect((await s.app.inject({ method: 'DELETE', url: `/api/analysis/${id}`, headers: bearer(bob) })).statusCode).toBe(404);
    // Bob's attempt changed nothing; the stored key and the environment admin key both see it.
    expect((await get(admin)).statusCode).toBe(200);
    expect(json<{ status: string }>(await get(ENV_ADMIN)).status).toBe('pending');
    expect((await s.app.inject({ url: `/api/queue/tasks/${id}`, headers: bearer(alice) })).statusCode).toBe(200);
    const cancel = await s.app.inject({ method: 'DELETE', url: `/api/analysis/${id}`, headers: bearer(alice) });
    expect(json(cancel)).toEqual({ id, status: 'cancelled' });
  });

  it('a search task is visible to its own key only', async () => {
    const r = await s.app.inject({ url: '/api/search', query: { q: '명의신탁' }, headers: bearer(alice) });
    const taskId = r.headers['x-task-id'] as string;
    expect((await s.app.inject({ url: `/api/queue/tasks/${taskId}`, headers: bearer(alice) })).statusCode).toBe(200);
    expect((await s.app.inject({ url: `/api/queue/tasks/${taskId}`, headers: bearer(bob) })).statusCode).toBe(404);
  });

  it('admin routes need an admin key: 403 for a user key, 200 for stored and environment admin keys', async () => {
    const user = await s.app.inject({ method: 'POST', url: '/api/queue/clear', headers: bearer(bob) });
    expect(user.statusCode).toBe(403);
    expect(json<ErrorReply>(user).error.code).toBe('ALAW_ERR_AUTH_FORBIDDEN');
    expect((await s.app.inject({ method: 'POST', url: '/api/queue/clear?type=all', headers: bearer(admin) })).statusCode).toBe(200);
    expect((await s.app.inject({ method: 'POST', url: '/api/queue/clear?type=all', headers: bearer(ENV_ADMIN) })).statusCode).toBe(200);
  });

  it('records when a key was last used (a revoked key stops within the cache time: test/timing.test.ts)', async () => {
    const keys = s.services.keys;
    const { key, token } = await keys.create('temp', 'user');
    expect((await s.app.inject({ url: '/api/search', query: { q: '사기' }, headers: bearer(token) })).statusCode).toBe(200);
    // The time of use is written after the answer, without holding it up: wait for that write.
    const lastUsed = async () => (await keys.list()).find((k) => k.id === key.id)?.last_used_at ?? null;
    for (let i = 0; i < 200 && (await lastUsed()) === null; i++) await new Promise((r) => setImmediate(r));
    expect(await lastUsed()).not.toBeNull();
  });
});

describe('a queue database that cannot be read', () => {
  it('answers 503 with a code, not 500: for key checks, and for analysis lookups with a key from the environment', async () => {
    const ENV_KEY = 'env-user-key-0123456789';
    const s = await open({ 'auth.userTokens': ENV_KEY });
    try {
      const { token } = await s.services.keys.create('stored', 'user');
      await s.services.queue.store.close();
      const stored = await s.app.inject({ url: '/api/analysis/abc', headers: bearer(token) });
      expect(stored.statusCode).toBe(503);
      expect(json<ErrorReply>(stored).error.code).toBe('ALAW_ERR_AUTH_UNAVAILABLE');
      for (const url of ['/api/analysis/abc', '/api/analysis/abc/events']) {
        const r = await s.app.inject({ url, headers: bearer(ENV_KEY) });
        expect(r.statusCode, url).toBe(503);
        expect(json<ErrorReply>(r).error.code).toBe('ALAW_ERR_QUEUE_UNAVAILABLE');
      }
    } finally {
      await s.app.close();
      await s.services.store.close();
    }
  });
});
