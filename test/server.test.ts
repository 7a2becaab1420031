import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sampleEnv, tempDir } from './helpers.js';
import { startServer, type ServerProcess } from './process.js';

const tmp = tempDir('alaw-server-');
const env = sampleEnv(tmp.dir);
let server: ServerProcess | undefined;
afterAll(async () => {
  await server?.stop('SIGKILL');
  tmp.cleanup();
});

/** Sends raw bytes (as curl does with an unencoded Korean URL) and returns the raw response. */
function rawRequest(port: number, request: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    let data = '';
    socket.on('data', (d) => (data += d.toString('utf8')));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}

describe('the service process', () => {
  it('seeds an empty database, builds the index, serves, and stops on SIGTERM', async () => {
    server = await startServer(env);
    expect(server.logs()).toContain('기본 판례 300건을 가져왔습니다');
    expect(server.logs()).toContain('검색 색인을 새로 만들었습니다');
    const res = await fetch(`http://127.0.0.1:${server.port}/api/search?q=${encodeURIComponent('취득시효 완성')}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBeTruthy();
    expect(((await res.json()) as { hits: unknown[] }).hits.length).toBeGreaterThan(0);
    expect(await server.stop('SIGTERM')).toBe(0);
  });

  it('answers a URL with raw (unencoded) Korean, as curl sends it', async () => {
    server = await startServer(env);
    const raw = await rawRequest(server.port, Buffer.from('GET /api/search?q=취득시효&size=1 HTTP/1.1\r\nHost: localhost\r\n\r\n', 'utf8'));
    expect(raw).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(raw).toContain('"query":"취득시효"');
    // 신 is EC 8B A0 in UTF-8: a byte that a latin1 regular expression would take for a space.
    const two = await rawRequest(server.port, Buffer.from('GET /api/search?q=명의신탁&court_level=대법원&size=2 HTTP/1.1\r\nHost: localhost\r\n\r\n', 'utf8'));
    expect(two).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(two).toContain('"court_level":"대법원"');
    const spaced = await rawRequest(server.port, Buffer.from('GET /api/search?q=취득시효 완성&size=1 HTTP/1.1\r\nHost: localhost\r\n\r\n', 'utf8'));
    expect(spaced).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(spaced).toContain('"query":"취득시효 완성"');
    const bad = await rawRequest(server.port, Buffer.from('GET /api/search?q=a b HTTP/1.1 extra\r\nHost: localhost\r\n\r\n', 'utf8'));
    expect(bad).toMatch(/^HTTP\/1\.1 400/);
    expect(bad).toContain('ALAW_ERR_REQUEST_MALFORMED');
    // The connection-level recovery did not disturb normal requests.
    expect((await fetch(`http://127.0.0.1:${server.port}/`)).status).toBe(200);
  });

  it('takes long GET queries up to the query limit, and answers longer URLs and router errors with the error body', async () => {
    const base = `http://127.0.0.1:${server!.port}`;
    // 4,000 characters of Korean: about 36 KB percent-encoded, over Node's default 16 KB.
    const long = '취득시효 완성 후 소유권이전등기 청구, '.repeat(200).slice(0, 4000);
    const ok = await fetch(`${base}/api/search?q=${encodeURIComponent(long)}&size=1`);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { mode: string }).mode).toBe('similar');
    const huge = await fetch(`${base}/api/search?q=${encodeURIComponent(long.repeat(5))}`);
    expect(huge.status).toBe(431);
    const hugeBody = (await huge.json()) as { error: { code: string; message: string }; request_id: string };
    expect(hugeBody.error.code).toBe('ALAW_ERR_REQUEST_TOO_LONG');
    expect(hugeBody.error.message).toContain('POST /api/search');
    expect(hugeBody.request_id).toMatch(/^[0-9a-f-]{36}$/u);
    expect(huge.headers.get('x-request-id')).toBe(hugeBody.request_id);
    const param = await fetch(`${base}/api/precedents/${'a'.repeat(101)}`);
    expect(param.status).toBe(414);
    const paramBody = (await param.json()) as { error: { code: string }; request_id: string };
    expect(paramBody.error.code).toBe('ALAW_ERR_REQUEST_PATH_TOO_LONG');
    expect(param.headers.get('x-request-id')).toBe(paramBody.request_id);
    const badEscape = await fetch(`${base}/api/precedents/%E0%A4%A`);
    expect(badEscape.status).toBe(400);
    const badBody = (await badEscape.json()) as { error: { code: string; message: string }; request_id: string };
    expect(badBody.error.code).toBe('ALAW_ERR_REQUEST_MALFORMED');
    expect(badBody.request_id).toBeTruthy();
    expect(badEscape.headers.get('x-request-id')).toBe(badBody.request_id);
  });

  it('restarts from the existing index without rebuilding; regenerates it when deleted', async () => {
    await server?.stop();
    server = await startServer(env);
    expect(server.logs()).toContain('검색 색인을 불러왔습니다');
    expect(server.logs()).not.toContain('새로 만들었습니다');
    await server.stop();
    fs.rmSync(path.join(tmp.dir, 'index', 'search.idx'));
    server = await startServer(env);
    expect(server.logs()).toContain('검색 색인을 새로 만들었습니다 (파일이 없습니다)');
  });

  it('explains a port conflict and exits 1', async () => {
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = (blocker.address() as net.AddressInfo).port;
    await expect(startServer({ ...env, ALAW_PORT: String(port) }, 30_000)).rejects.toThrow(/이미 다른 프로세스가 쓰고 있습니다/);
    blocker.close();
  });
});
