import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleEnv, tempDir } from './helpers.js';
import { run, startServer, type ServerProcess } from './process.js';

/**
 * Issue 13 on a real socket: the raw-URL recovery path (a request line Node's parser refuses) never
 * replays a pipelined request and never lets CR, LF or NUL reach a header; files the service creates
 * are not readable by other users.
 */

const tmp = tempDir('alaw-hardening-');
const logDir = path.join(tmp.dir, 'logs');
const env = sampleEnv(tmp.dir, { ALAW_LOG_DIR: logDir, ALAW_BACKUP_DIR: path.join(tmp.dir, 'backups') });
let server: ServerProcess;

beforeAll(async () => {
  server = await startServer(env);
});
afterAll(async () => {
  await server?.stop();
  tmp.cleanup();
});

/** Writes raw bytes and returns everything the server sends until it closes. */
function rawExchange(port: number, bytes: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    let data = '';
    socket.on('data', (d: Buffer) => (data += d.toString('utf8')));
    socket.on('close', () => resolve(data));
    socket.on('error', reject);
    socket.setTimeout(10_000, () => socket.destroy());
  });
}

const responsesOf = (text: string): string[] => text.split(/(?=HTTP\/1\.1 \d{3} )/).filter((r) => r.startsWith('HTTP/1.1'));

describe('the raw-URL recovery path', () => {
  it('answers a pipelined pair once each: the first request is never run again for the second', async () => {
    const first = 'GET /api/search/status HTTP/1.1\r\nHost: localhost\r\n\r\n';
    const second = 'GET /api/search?q=취득시효&size=1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n';
    const text = await rawExchange(server.port, Buffer.from(first + second, 'utf8'));
    const responses = responsesOf(text);
    expect(responses.length, text.slice(0, 2000)).toBe(2);
    expect(responses[0]).toMatch(/^HTTP\/1\.1 200/);
    expect(responses[0]).toContain('"documents"');
    // The second answer is about the second request (recovered, or refused), never a copy of the first.
    expect(responses[1]).not.toContain('"documents"');
    expect(responses[1]).toMatch(/^HTTP\/1\.1 (200|400)/);
  });

  it('refuses CR, LF or NUL in a header of a recovered request: 400, nothing echoed, security headers on', async () => {
    for (const [what, header] of [
      ['NUL', 'X-Request-Id: abc\u0000def'],
      ['bare CR', 'X-Request-Id: abc\rSet-Cookie: x=1'],
      ['bare LF', 'X-Request-Id: abc\nX-Injected: 1'],
    ] as const) {
      const text = await rawExchange(server.port, Buffer.from(`GET /api/search?q=취득시효 HTTP/1.1\r\nHost: localhost\r\n${header}\r\n\r\n`, 'utf8'));
      const responses = responsesOf(text);
      expect(responses.length, what).toBe(1);
      expect(responses[0], what).toMatch(/^HTTP\/1\.1 400/);
      expect(responses[0], what).toContain('ALAW_ERR_REQUEST_MALFORMED');
      expect(responses[0], what).not.toMatch(/abc|set-cookie|x-injected/i);
      expect(responses[0], what).toMatch(/x-content-type-options: nosniff/i);
    }
    // A long or unsafe X-Request-Id on a recovered request is replaced, not echoed.
    const long = await rawExchange(
      server.port,
      Buffer.from(`GET /api/search?q=취득시효 HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: ${'r'.repeat(500)}\r\n\r\n`, 'utf8'),
    );
    expect(long).toMatch(/^HTTP\/1\.1 200/);
    expect(long).toMatch(/x-request-id: [0-9a-f-]{36}\r\n/);
    expect(long).not.toContain('rrrrrrrrrr');
  });
});

describe('file permissions', () => {
  it('databases, index, logs and backups are not readable by other users', async () => {
    await fetch(`http://127.0.0.1:${server.port}/api/search?q=%EC%B7%A8%EB%93%9D%EC%8B%9C%ED%9A%A8`);
    const backup = await run('src/cli/main.ts', ['backup'], env);
    expect(backup.code, backup.stderr).toBe(0);
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, entry.name);
        files.push(p);
        if (entry.isDirectory()) walk(p);
      }
    };
    walk(tmp.dir);
    const kinds = ['alaw.db', 'queue.db', 'index', 'access.log', 'app.log', 'backups'];
    for (const kind of kinds)
      expect(
        files.some((f) => path.basename(f) === kind || f.includes(`${path.sep}${kind}${path.sep}`)),
        kind,
      ).toBe(true);
    const open = files
      .filter((f) => (fs.statSync(f).mode & 0o007) !== 0)
      .map((f) => `${path.relative(tmp.dir, f)} ${(fs.statSync(f).mode & 0o777).toString(8)}`);
    expect(open).toEqual([]);
  });
});
