import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.js';
import { isLoopbackHost } from '../src/http/auth.js';
import { requestIdOf } from '../src/http/hardening.js';
import { sampleApp } from './helpers.js';

/**
 * Defence in depth (issue 13): security headers on every response, errors included; request ids that are
 * never echoed unless safe; the DNS-rebinding Host check; the in-app rate limit per key or address; proxies
 * trusted only when configured. In-process (inject): none of this needs a socket. The socket-level parts
 * (timeouts, the raw-URL path) are in server.hardening.test.ts.
 */

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

function expectSecurityHeaders(headers: Record<string, unknown>, what: string): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(headers[name], `${what}: ${name}`).toBe(value);
  expect(String(headers['content-security-policy']), what).toMatch(/frame-ancestors 'none'/);
}

describe('security headers and request ids', () => {
  let app: FastifyInstance;
  let close: () => Promise<void>;
  beforeAll(async () => ({ app, close } = await sampleApp()));
  afterAll(() => close());

  it('every response carries the headers: success, 4xx of every kind, and the docs', async () => {
    const cases: [string, InjectOptions, number][] = [
      ['search', { method: 'GET', url: '/api/search?q=%EC%B7%A8%EB%93%9D%EC%8B%9C%ED%9A%A8' }, 200],
      ['health', { method: 'GET', url: '/api/queue/health' }, 200],
      ['404', { method: 'GET', url: '/.env' }, 404],
      ['405', { method: 'DELETE', url: '/api/search' }, 405],
      ['bad % in query', { method: 'GET', url: '/api/search?q=%E0%A4%A' }, 400],
      ['bad % in path', { method: 'GET', url: '/api/precedents/%E0%A4%A' }, 400],
      ['bad key', { method: 'GET', url: '/api/search?q=x', headers: { authorization: 'Bearer nope-nope-nope-nope' } }, 401],
      ['bad JSON', { method: 'POST', url: '/api/search', headers: { 'content-type': 'application/json' }, payload: '{' }, 400],
      ['unknown param', { method: 'GET', url: '/api/search?q=x&constructor=1' }, 400],
    ];
    for (const [what, req, status] of cases) {
      const res = await app.inject(req);
      expect(res.statusCode, what).toBe(status);
      expectSecurityHeaders(res.headers, what);
    }
    const docs = await app.inject({ method: 'GET', url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    // The docs page has its own policy: its scripts and styles come from this server only.
    expect(docs.headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(docs.headers['content-security-policy']).not.toMatch(/unsafe-eval|https:/);
  });

  it('a safe X-Request-Id is kept; anything else is replaced, never echoed', async () => {
    const kept = await app.inject({ method: 'GET', url: '/api/queue/health', headers: { 'x-request-id': 'nginx-0123abcd.ef:9' } });
    expect(kept.headers['x-request-id']).toBe('nginx-0123abcd.ef:9');
    for (const bad of ['a'.repeat(129), 'x y', '<script>', 'abc"def', '../etc', 'é', '']) {
      const res = await app.inject({ method: 'GET', url: '/api/queue/health', headers: { 'x-request-id': bad } });
      expect(res.headers['x-request-id'], bad).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(requestIdOf(['a', 'b'])).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestIdOf('a'.repeat(128))).toBe('a'.repeat(128));
  });

  it('without keys, a loopback client must also name this machine in Host (DNS rebinding)', async () => {
    for (const host of ['localhost:8997', '127.0.0.1', '127.0.0.1:8997', '[::1]:8997', 'api.localhost', undefined])
      expect(isLoopbackHost(host), String(host)).toBe(true);
    for (const host of ['evil.example', 'evil.example:8997', '127.0.0.1.nip.io', 'localhost.evil.example', '[::2]', '10.0.0.1'])
      expect(isLoopbackHost(host), host).toBe(false);
    const ok = await app.inject({ method: 'GET', url: '/api/search?q=x', headers: { host: 'localhost:8997' } });
    expect(ok.statusCode).toBe(200);
    const rebound = await app.inject({ method: 'GET', url: '/api/search?q=x', headers: { host: 'attacker.example:8997' } });
    expect(rebound.statusCode).toBe(403);
    expect(rebound.json<{ error: { code: string; message: string } }>().error.code).toBe('ALAW_ERR_AUTH_HOST_NOT_LOCAL');
    expect(rebound.json<{ error: { message: string } }>().error.message).toMatch(/Host/);
    // Health stays public: a load balancer may use any name.
    const health = await app.inject({ method: 'GET', url: '/api/queue/health', headers: { host: 'attacker.example' } });
    expect(health.statusCode).toBe(200);
  });
});

describe('hostile parameter values (each once gave a 5xx when fuzzed)', () => {
  const ADMIN = 'admin-key-0123456789abcdef';
  let app: FastifyInstance;
  let close: () => Promise<void>;
  beforeAll(async () => ({ app, close } = await sampleApp({ 'auth.adminTokens': ADMIN })));
  afterAll(() => close());

  it('numbers written as Infinity, 1E400, -0, 0x10 …, names like __proto__, and broken %-escapes are 400 with a code', async () => {
    const auth = { authorization: `Bearer ${ADMIN}` };
    const urls: string[] = [];
    for (const value of ['Infinity', '-Infinity', '1E400', '-0', '0x10', 'NaN', '1e2', '9007199254740993', '1_0']) {
      for (const name of ['page', 'size']) urls.push(`/api/search?q=x&${name}=${encodeURIComponent(value)}`);
      urls.push(`/api/admin/logs/report?hours=${encodeURIComponent(value)}`);
      urls.push(`/api/precedents?case_number=2020%EB%8B%A41&page=${encodeURIComponent(value)}`);
    }
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', '__proto__[x]'])
      for (const base of ['/api/search?q=x', '/api/admin/logs/report?hours=1', '/api/queue/status/json?x=1'])
        urls.push(`${base}&${encodeURIComponent(name)}=1`);
    for (const bad of ['%', '%ZZ', '%E0%A4%A', '%C0%80'])
      urls.push(`/api/search?q=${bad}`, `/api/precedents/${bad}`, `/api/admin/logs/report?hours=1&x=${bad}`);
    for (const url of urls) {
      const res = await app.inject({ method: 'GET', url, headers: auth });
      expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, url).toBeLessThan(500);
      expect(res.json<{ error: { code: string } }>().error.code, url).toMatch(/^ALAW_ERR_/);
    }
    // -0 is zero and 0x10 is not a number here: refused, never read as page 0 or 16.
    expect((await app.inject({ url: '/api/search?q=x&page=0x10', headers: auth })).statusCode).toBe(400);
  });
});

describe('in-app rate limit', () => {
  const USER = 'user-key-0123456789abcdef';
  const OTHER = 'user-key-fedcba9876543210';
  let app: FastifyInstance;
  let close: () => Promise<void>;
  beforeAll(
    async () =>
      ({ app, close } = await sampleApp({
        'auth.userTokens': `${USER},${OTHER}`,
        'server.rateLimit.max': 5,
        'server.rateLimit.windowSeconds': 60,
        'server.trustProxy': '10.0.0.1',
      })),
  );
  afterAll(() => close());

  const from = (remoteAddress: string, headers: Record<string, string> = {}): InjectOptions => ({
    method: 'GET',
    url: '/api/queue/health',
    remoteAddress,
    headers,
  });

  it('per address: the sixth request in the window is 429 RATE_LIMITED with Retry-After; another address is not affected', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await app.inject(from('203.0.113.7'))).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const limited = await app.inject(from('203.0.113.7'));
    expect(limited.statusCode).toBe(429);
    const body = limited.json<{ error: { code: string; message: string } }>();
    expect(body.error.code).toBe('ALAW_ERR_RATE_LIMITED');
    expect(body.error.message).toMatch(/요청이 너무 많습니다/);
    const retry = Number(limited.headers['retry-after']);
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(60);
    expectSecurityHeaders(limited.headers, '429');
    expect((await app.inject(from('203.0.113.8'))).statusCode).toBe(200);
  });

  it('per key: a key has its own budget whichever address it comes from; bad keys are limited by address', async () => {
    for (let i = 0; i < 5; i++) expect((await app.inject(from(`198.51.100.${i}`, { authorization: `Bearer ${USER}` }))).statusCode).toBe(200);
    expect((await app.inject(from('198.51.100.99', { authorization: `Bearer ${USER}` }))).statusCode).toBe(429);
    expect((await app.inject(from('198.51.100.99', { authorization: `Bearer ${OTHER}` }))).statusCode).toBe(200);
    const bad: number[] = [];
    for (let i = 0; i < 6; i++)
      bad.push((await app.inject({ ...from('192.0.2.50', { authorization: `Bearer random-${i}-0000000000000` }), url: '/api/search?q=x' })).statusCode);
    expect(bad).toEqual([401, 401, 401, 401, 401, 429]);
  });

  it('loopback clients are exempt; a forwarded client is limited by the address the trusted proxy names', async () => {
    for (let i = 0; i < 8; i++) expect((await app.inject(from('127.0.0.1'))).statusCode).toBe(200);
    // 10.0.0.1 is the configured proxy: its X-Forwarded-For is believed, so two clients behind it have two budgets.
    for (let i = 0; i < 5; i++) expect((await app.inject(from('10.0.0.1', { 'x-forwarded-for': '192.0.2.1' }))).statusCode).toBe(200);
    expect((await app.inject(from('10.0.0.1', { 'x-forwarded-for': '192.0.2.1' }))).statusCode).toBe(429);
    expect((await app.inject(from('10.0.0.1', { 'x-forwarded-for': '192.0.2.2' }))).statusCode).toBe(200);
    // Anyone else's X-Forwarded-For is ignored: changing it does not buy a new budget.
    const spoofed: number[] = [];
    for (let i = 0; i < 6; i++) spoofed.push((await app.inject(from('192.0.2.77', { 'x-forwarded-for': `10.9.9.${i}` }))).statusCode);
    expect(spoofed).toEqual([200, 200, 200, 200, 200, 429]);
  });
});

describe('server settings', () => {
  it('trustProxy takes addresses, CIDR ranges and proxy-addr names; true or a name is refused with the setting named', () => {
    expect(loadConfig({ env: { ALAW_TRUST_PROXY: '127.0.0.1, 172.28.0.0/16,::1,loopback' } }).server.trustProxy).toBe('127.0.0.1, 172.28.0.0/16,::1,loopback');
    for (const bad of ['true', '*', 'nginx', '10.0.0.0/33', '1.2.3.4/8/9']) {
      expect(() => loadConfig({ env: { ALAW_TRUST_PROXY: bad } }), bad).toThrow(/ALAW_TRUST_PROXY/);
    }
    expect(() => loadConfig({ env: { ALAW_SERVER_HEADERS_TIMEOUT_SECONDS: '60' } })).toThrow(/headersTimeoutSeconds/);
  });
});
