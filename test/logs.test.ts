import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { RotatingLogFile } from '../src/ops/index.js';
import { sampleEnv, tempDir } from './helpers.js';
import { startServer, type ServerProcess } from './process.js';

const tmp = tempDir('alaw-logs-test-');
const servers: ServerProcess[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop();
  tmp.cleanup();
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(check: () => boolean, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !check();) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(20);
  }
}
const lines = (file: string): Record<string, unknown>[] =>
  fs.existsSync(file)
    ? fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>)
    : [];

describe('RotatingLogFile', () => {
  it('rotates by size into archive/*.gz without losing or splitting a line, keeping the newest N', async () => {
    const dir = path.join(tmp.dir, 'rotate');
    const f = new RotatingLogFile(dir, 'app', { maxBytes: 4000, keep: 100 });
    const n = 500;
    for (let i = 0; i < n; i++) {
      f.write(`${JSON.stringify({ i, msg: '판례 검색 요청을 처리했습니다' })}\n`);
      if (i % 50 === 49) await sleep(20); // a service writes over time; rotations happen in between
    }
    await until(() => f.rotations >= 3).catch((e: unknown) => {
      throw new Error(`${String(e)}: rotations ${f.rotations}, problem ${f.problem}`);
    });
    f.close();
    await sleep(100);
    const archives = fs.readdirSync(path.join(dir, 'archive')).filter((x) => x.endsWith('.gz'));
    expect(archives.length).toBeGreaterThanOrEqual(3);
    expect(archives.every((x) => /^app\.log\.\d{8}-\d{6}(-\d+)?\.gz$/u.test(x))).toBe(true);
    const seen = [
      ...archives.flatMap((a) =>
        zlib
          .gunzipSync(fs.readFileSync(path.join(dir, 'archive', a)))
          .toString('utf8')
          .split('\n')
          .filter(Boolean),
      ),
      ...fs.readFileSync(path.join(dir, 'app.log'), 'utf8').split('\n').filter(Boolean),
    ].map((l) => (JSON.parse(l) as { i: number }).i);
    expect(seen.sort((a, b) => a - b)).toEqual([...Array(n).keys()]);

    const kept = new RotatingLogFile(path.join(tmp.dir, 'keep'), 'error', { maxBytes: 1000, keep: 2 });
    for (let i = 0; i < 800; i++) {
      kept.write(`${JSON.stringify({ i })}\n`);
      if (i % 50 === 49) await sleep(20);
    }
    await until(() => kept.rotations >= 4);
    kept.close();
    expect(fs.readdirSync(path.join(tmp.dir, 'keep', 'archive')).filter((x) => x.startsWith('error.log.')).length).toBe(2);
  });

  it('keeps rotating when someone removed the archive directory', async () => {
    const dir = path.join(tmp.dir, 'no-archive');
    const f = new RotatingLogFile(dir, 'app', { maxBytes: 1000, keep: 5 });
    fs.rmSync(path.join(dir, 'archive'), { recursive: true });
    for (let i = 0; i < 100; i++) {
      f.write(`${JSON.stringify({ i, pad: 'x'.repeat(40) })}\n`);
      if (i % 20 === 19) await sleep(20);
    }
    await until(() => f.rotations >= 2);
    expect(f.problem).toBeNull();
    expect(f.archiveProblem).toBeNull();
    expect(fs.readdirSync(path.join(dir, 'archive')).some((x) => x.endsWith('.gz'))).toBe(true);
    f.close();
  });

  it('reopens the file by name after it was moved away (logrotate), and falls back to stdout when the directory cannot be written', async () => {
    const dir = path.join(tmp.dir, 'reopen');
    const f = new RotatingLogFile(dir, 'access', { maxBytes: 1e9, keep: 5 });
    f.write('{"n":1}\n');
    await sleep(50);
    fs.renameSync(path.join(dir, 'access.log'), path.join(dir, 'access.log.1'));
    f.reopen();
    await until(() => fs.existsSync(path.join(dir, 'access.log')));
    f.write('{"n":2}\n');
    f.close();
    await sleep(50);
    // A line still in the write buffer at the move lands in the new file; none is lost, none goes to the moved one after the reopen.
    const moved = lines(path.join(dir, 'access.log.1'));
    const current = lines(path.join(dir, 'access.log'));
    expect(current).toContainEqual({ n: 2 });
    expect(moved).not.toContainEqual({ n: 2 });
    expect([...moved, ...current]).toEqual([{ n: 1 }, { n: 2 }]);

    const notADir = path.join(tmp.dir, 'plain-file');
    fs.writeFileSync(notADir, 'x');
    const problems: string[] = [];
    const broken = new RotatingLogFile(notADir, 'access', { maxBytes: 1e9, keep: 5 }, (file) => problems.push(file.problem!));
    expect(broken.problem).toMatch(/access\.log: E(NOTDIR|EXIST)/u);
    expect(problems).toHaveLength(1);
    const written: string[] = [];
    const original = process.stdout.write.bind(process.stdout);
    process.stdout.write = (chunk: string) => (written.push(String(chunk)), true);
    try {
      expect(() => broken.write('{"fallback":true}\n')).not.toThrow();
    } finally {
      process.stdout.write = original;
    }
    expect(written).toEqual(['{"fallback":true}\n']);
  });
});

describe('log context', () => {
  it('a task runs with the id of the request that created it, and its own id, for every line it logs', async () => {
    const { sampleServices } = await import('./helpers.js');
    const { logContext } = await import('../src/context.js');
    const pino = (await import('pino')).default;
    const seen: Record<string, unknown>[] = [];
    const logger = pino({ mixin: () => ({ ...logContext.getStore() }) }, { write: (l: string) => void seen.push(JSON.parse(l) as Record<string, unknown>) });
    const services = await sampleServices(path.join(tmp.dir, 'ctx'));
    try {
      services.queue.handle('analysis', async () => {
        logger.info('분석 중');
        return { ok: true };
      });
      const t = await services.queue.submit('analysis', { description: 'x', request_id: 'req-77' });
      await until(() => seen.length > 0);
      expect(seen[0]).toMatchObject({ msg: '분석 중', request_id: 'req-77', task_id: t.id });
    } finally {
      await services.close();
    }
  });
});

describe('the server’s log files', () => {
  const env = (logDir: string, extra: Record<string, string> = {}) => sampleEnv(tmp.dir, { ALAW_LOG_DIR: logDir, ...extra });

  it('writes app, access, error and performance logs, with the request id from X-Request-Id, and reopens them on SIGHUP', async () => {
    const logDir = path.join(tmp.dir, 'logs');
    const ADMIN = 'admin-token-for-logs-0123456789';
    const server = await startServer(env(logDir, { ALAW_LOG_SLOW_REQUEST_MS: '0', ALAW_ADMIN_TOKEN: ADMIN }));
    servers.push(server);
    const base = `http://127.0.0.1:${server.port}`;
    const auth = { authorization: `Bearer ${ADMIN}` };
    const search = await fetch(`${base}/api/search?q=${encodeURIComponent('사기')}`, { headers: { 'x-request-id': 'req-from-client-1', ...auth } });
    expect(search.status).toBe(200);
    expect(search.headers.get('x-request-id')).toBe('req-from-client-1');
    await fetch(`${base}/api/precedents/no-such-id`, { headers: auth });
    await until(() => lines(path.join(logDir, 'access.log')).length >= 2);

    const access = lines(path.join(logDir, 'access.log'));
    expect(access[0]).toMatchObject({
      method: 'GET',
      route: '/api/search',
      path: '/api/search',
      status: 200,
      request_id: 'req-from-client-1',
      ip: '127.0.0.1',
    });
    expect(access[0]!.key).toMatch(/^env:[0-9a-f]{8}$/u);
    expect(typeof access[0]!.duration_ms).toBe('number');
    expect(access[0]!.bytes).toBeGreaterThan(100);
    expect(JSON.stringify(access)).not.toContain('사기'); // the query string stays out
    expect(access[1]).toMatchObject({ route: '/api/precedents/:id', path: '/api/precedents/no-such-id', status: 404 });
    expect(lines(path.join(logDir, 'app.log')).some((l) => String(l.msg).includes('요청을 받습니다'))).toBe(true);
    // performance.log is its own asynchronous stream: its line may land after access.log's.
    await until(() => lines(path.join(logDir, 'performance.log')).some((l) => l.kind === 'request' && l.request_id === 'req-from-client-1'));
    // A line the queue writes while serving a request carries that request's id, with no logger passed down.
    expect((await fetch(`${base}/api/queue/clear?type=all`, { method: 'POST', headers: { 'x-request-id': 'clear-req-1', ...auth } })).status).toBe(200);
    await until(() => lines(path.join(logDir, 'app.log')).some((l) => String(l.msg).includes('queue clear')));
    expect(lines(path.join(logDir, 'app.log')).find((l) => String(l.msg).includes('queue clear'))).toMatchObject({ request_id: 'clear-req-1' });
    // The clear's audit line: who asked (key, name, address) and what was cancelled.
    await until(() => lines(path.join(logDir, 'app.log')).some((l) => l.audit === 'queue_clear'));
    const audit = lines(path.join(logDir, 'app.log')).find((l) => l.audit === 'queue_clear')!;
    expect(audit).toMatchObject({ request_id: 'clear-req-1', ip: '127.0.0.1', type: 'all', removed: 0, ids: [], by_type: { search: 0, analysis: 0 } });
    expect(audit.actor).toMatch(/^admin:env:[0-9a-f]{8}$/u);
    expect(typeof audit.key_name).toBe('string');
    // error.log holds errors only.
    expect(lines(path.join(logDir, 'error.log')).every((l) => Number(l.level) >= 50)).toBe(true);

    // logrotate: move the files away, then `kill -HUP`.
    fs.renameSync(path.join(logDir, 'access.log'), path.join(logDir, 'access.log.1'));
    fs.renameSync(path.join(logDir, 'app.log'), path.join(logDir, 'app.log.1'));
    server.child.kill('SIGHUP');
    await until(() => lines(path.join(logDir, 'app.log')).some((l) => String(l.msg).includes('SIGHUP')));
    await fetch(`${base}/api/search?q=x`, { headers: { 'x-request-id': 'after-hup', ...auth } });
    await until(() => lines(path.join(logDir, 'access.log')).some((l) => l.request_id === 'after-hup'));
    expect(lines(path.join(logDir, 'access.log.1')).some((l) => l.request_id === 'after-hup')).toBe(false);
    expect(server.child.exitCode).toBeNull(); // SIGHUP does not stop the server
  });

  it('keeps serving when the log directory cannot be written: logs on stdout, health degraded with the reason', async () => {
    const notADir = path.join(tmp.dir, 'logs-is-a-file');
    fs.writeFileSync(notADir, '');
    const server = await startServer(env(notADir));
    servers.push(server);
    const base = `http://127.0.0.1:${server.port}`;
    expect(server.logs()).toContain('로그 파일');
    expect(server.logs()).toContain('표준 출력');
    const health = await fetch(`${base}/api/queue/health`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { status: string }).status).toBe('degraded');
    const status = (await (await fetch(`${base}/api/queue/status/json`)).json()) as { reasons: string[]; logs: { problems: string[] } };
    expect(status.logs.problems.length).toBe(4);
    expect(status.reasons.some((r) => r.includes('로그 파일에 쓸 수 없어'))).toBe(true);
    expect((await fetch(`${base}/api/search?q=x`)).status).toBe(200);
  });
});
