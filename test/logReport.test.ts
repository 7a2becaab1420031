import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { buildLogReport, formatLogReport, normalizeError } from '../src/ops/index.js';
import { buildApp } from '../src/http/index.js';
import { sampleServices, tempDir } from './helpers.js';
import { run } from './process.js';

const tmp = tempDir('alaw-logreport-');
afterAll(() => tmp.cleanup());
const NOW = Date.now();
const at = (minutesAgo: number): string => new Date(NOW - minutesAgo * 60_000).toISOString();
const jsonl = (rows: object[]): string => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

/** A log directory as the server leaves it: current files, one recent archive, one old archive. */
function writeLogs(dir: string): void {
  fs.mkdirSync(path.join(dir, 'archive'), { recursive: true });
  const err = (minutesAgo: number, msg: string, extra: object = {}) => ({ level: 50, time: at(minutesAgo), msg, ...extra });
  fs.writeFileSync(
    path.join(dir, 'error.log'),
    jsonl([
      err(5, '작업 큐 데이터베이스 오류', { err: { type: 'Error', message: 'connect ECONNREFUSED 127.0.0.1:5432' } }),
      err(10, '작업 큐 데이터베이스 오류', { err: { type: 'Error', message: 'connect ECONNREFUSED 127.0.0.1:5433' } }),
      err(15, '분석 3b20711e-1c2d-4e5f-8a9b-0123456789ab 실패: 40000 ms 초과'),
      { level: 40, time: at(20), msg: '경고는 오류가 아님' },
      err(60 * 30, '하루보다 오래된 오류'),
    ]) + 'not json at all\n',
  );
  fs.writeFileSync(
    path.join(dir, 'archive', 'error.log.20261129-100000.gz'),
    zlib.gzipSync(jsonl([err(130, '분석 9f9f9f9f-1c2d-4e5f-8a9b-0123456789ab 실패: 120000 ms 초과')])),
  );
  // A broken archive, and one being compressed right now (its uncompressed copy): neither may break or skew the report.
  fs.writeFileSync(path.join(dir, 'archive', 'access.log.20261129-110000.gz'), 'this is not gzip');
  fs.writeFileSync(
    path.join(dir, 'archive', 'access.log.20261129-113000'),
    jsonl([{ time: at(1), method: 'GET', route: '/dup', status: 200, duration_ms: 1 }]),
  );
  const old = path.join(dir, 'archive', 'error.log.20261120-000000.gz');
  fs.writeFileSync(old, zlib.gzipSync(jsonl([err(60 * 24 * 9, '아주 오래된 오류')])));
  fs.utimesSync(old, new Date(NOW - 9 * 86_400_000), new Date(NOW - 9 * 86_400_000));

  const req = (minutesAgo: number, route: string | null, status: number, ms: number) => ({
    time: at(minutesAgo),
    method: 'GET',
    route,
    path: '/x',
    status,
    duration_ms: ms,
    request_id: 'r',
  });
  const rows = [];
  for (let i = 1; i <= 100; i++) rows.push(req(i % 50, '/api/search', 200, i)); // 1..100 ms
  rows.push(req(70, '/api/precedents/:id', 404, 2), req(70, '/api/precedents/:id', 500, 900), req(75, null, 404, 1));
  fs.writeFileSync(path.join(dir, 'access.log'), jsonl(rows));
}

describe('log report', () => {
  const dir = path.join(tmp.dir, 'logs');
  writeLogs(dir);

  it('normalizes ids, numbers and times so one kind of error is one pattern', () => {
    expect(normalizeError('분석 3b20711e-1c2d-4e5f-8a9b-0123456789ab 실패: 40000 ms 초과')).toBe('분석 <uuid> 실패: <n> ms 초과');
    expect(normalizeError('키 key_1a2b3c4d5e6f, 판례 lawydot-0e28dbc0ca00cc7c, 2026-11-29T01:02:03.456Z')).toBe('키 <key>, 판례 <id>, <time>');
  });

  it('counts errors by pattern within the window, archives included, and times requests per route', async () => {
    const r = await buildLogReport(dir, 24, NOW);
    expect(r.errors.total).toBe(4);
    expect(r.errors.unique).toBe(2);
    expect(r.errors.top.map((p) => [p.pattern, p.count])).toEqual([
      ['분석 <uuid> 실패: <n> ms 초과', 2],
      ['작업 큐 데이터베이스 오류: connect ECONNREFUSED <ip>', 2],
    ]);
    expect(r.errors.top[0]).toMatchObject({ first_seen: at(130), last_seen: at(15) });
    expect(r.unreadable_lines).toBe(1);
    expect(r.unreadable_files).toEqual([expect.stringContaining('access.log.20261129-110000.gz')]);
    expect(r.routes.some((x) => x.route.includes('/dup'))).toBe(false);
    // The old archive is not even opened.
    expect(r.files_read.some((f) => f.includes('20261120'))).toBe(false);

    expect(r.requests.total).toBe(103);
    expect(r.requests.by_status).toEqual({ '2xx': 100, '4xx': 2, '5xx': 1 });
    expect(r.requests.per_hour.reduce((n, h) => n + h.count, 0)).toBe(103);
    const search = r.routes.find((x) => x.route === 'GET /api/search')!;
    expect(search).toEqual({ route: 'GET /api/search', count: 100, errors_5xx: 0, p50_ms: 50, p90_ms: 90, p99_ms: 99, max_ms: 100 });
    expect(r.routes.find((x) => x.route === 'GET /api/precedents/:id')).toMatchObject({ count: 2, errors_5xx: 1, max_ms: 900 });
    expect(r.slowest[0]!.route).toBe('GET /api/precedents/:id');
    const text = formatLogReport(r);
    expect(text).toContain('오류 4건, 서로 다른 오류 2가지');
    expect(text).toContain('요청 103건');
    expect(text).toContain('가장 느린 경로 (p99): GET /api/precedents/:id 900.0 ms');

    const hour = await buildLogReport(dir, 1, NOW);
    expect(hour.errors.total).toBe(3);
    expect(hour.requests.total).toBe(100);
  });

  it('alaw logs report prints it, or JSON, and rejects bad arguments', async () => {
    const text = await run('src/cli/main.ts', ['logs', 'report', '--dir', dir, '--hours', '87600'], {});
    expect(text.code).toBe(2);
    expect(text.stderr).toContain('--hours');
    const missing = await run('src/cli/main.ts', ['logs', 'report', '--dir', path.join(tmp.dir, 'none')], {});
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('로그 디렉터리');
    // The fixture's lines are dated around NOW; a year-long window covers them from any clock.
    const json = await run('src/cli/main.ts', ['logs', 'report', '--dir', dir, '--hours', '8760', '--json'], {});
    expect(json.code).toBe(0);
    const r = JSON.parse(json.stdout) as { errors: { total: number }; requests: { total: number } };
    expect(r.requests.total).toBe(103);
    const human = await run('src/cli/main.ts', ['logs', 'report', '--dir', dir, '--hours', '8760'], {});
    expect(human.stdout).toContain('로그 보고서: 지난 8760시간');
    expect(human.stdout).toContain('경로별 응답 시간 (ms)');
  });

  it('GET /api/admin/logs/report needs an admin key', async () => {
    const ADMIN = 'admin-token-0123456789abcdef';
    const services = await sampleServices(path.join(tmp.dir), { 'auth.adminTokens': ADMIN, 'log.dir': dir });
    const app = await buildApp(services);
    try {
      expect((await app.inject('/api/admin/logs/report')).statusCode).toBe(401);
      const { token } = await services.keys.create('user', 'user');
      expect((await app.inject({ url: '/api/admin/logs/report', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(403);
      const bad = await app.inject({ url: '/api/admin/logs/report?hours=-1', headers: { authorization: `Bearer ${ADMIN}` } });
      expect(bad.statusCode).toBe(400);
      const ok = await app.inject({ url: '/api/admin/logs/report?hours=8760', headers: { authorization: `Bearer ${ADMIN}` } });
      expect(ok.statusCode).toBe(200);
      expect(JSON.parse(ok.body)).toMatchObject({ hours: 8760, requests: { total: 103 } });
    } finally {
      await app.close();
      await services.close();
    }
  });

  it('builds one report at a time: the same period joins the running one, another period gets 429', async () => {
    const ADMIN = 'admin-token-0123456789abcdef';
    const bigDir = path.join(tmp.dir, 'big-logs');
    fs.mkdirSync(bigDir, { recursive: true });
    // Enough access lines (about 25 MB) that the first report is still being built when the others arrive.
    const line = (i: number): string =>
      JSON.stringify({
        level: 30,
        time: at(i % 600),
        method: 'GET',
        route: '/api/search',
        path: '/api/search',
        status: 200,
        ms: (i % 97) + 0.5,
        bytes: 1234,
        request_id: `r-${i}`,
      });
    fs.writeFileSync(path.join(bigDir, 'access.log'), Array.from({ length: 160_000 }, (_, i) => line(i)).join('\n') + '\n');
    const own = tempDir();
    const services = await sampleServices(own.dir, { 'auth.adminTokens': ADMIN, 'log.dir': bigDir });
    const app = await buildApp(services);
    try {
      const get = (hours: number) => app.inject({ url: `/api/admin/logs/report?hours=${hours}`, headers: { authorization: `Bearer ${ADMIN}` } });
      const [a, b, c] = await Promise.all([get(8760), get(8760), get(1)]);
      expect(a.statusCode).toBe(200);
      expect(b.statusCode).toBe(200);
      expect(b.body).toBe(a.body);
      expect(JSON.parse(a.body).requests.total).toBe(160_000);
      expect(c.statusCode).toBe(429);
      expect(JSON.parse(c.body).error.code).toBe('ALAW_ERR_LOGS_REPORT_BUSY');
      expect(c.headers['retry-after']).toBe('5');
      // Finished: the next request builds its own.
      const d = await get(1);
      expect(d.statusCode).toBe(200);
      expect(JSON.parse(d.body).hours).toBe(1);
    } finally {
      await app.close();
      await services.close();
      own.cleanup();
    }
  });
});
