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
  // A broken archive, and one being compressed right now (complete plain copy, growing .gz): neither may break
  // or skew the report — the plain copy is read once, its partial .gz not at all.
  fs.writeFileSync(path.join(dir, 'archive', 'access.log.20261129-110000.gz'), 'this is not gzip');
  const compressing = jsonl([{ time: at(1), method: 'GET', route: '/dup', status: 200, duration_ms: 1 }]);
  fs.writeFileSync(path.join(dir, 'archive', 'access.log.20261129-113000'), compressing);
  fs.writeFileSync(path.join(dir, 'archive', 'access.log.20261129-113000.gz'), zlib.gzipSync(compressing).subarray(0, 12));
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
    expect(r.routes.find((x) => x.route.includes('/dup'))?.count).toBe(1);
    expect(r.files_read.some((f) => f.endsWith('113000.gz'))).toBe(false);
    // The old archive is not even opened.
    expect(r.files_read.some((f) => f.includes('20261120'))).toBe(false);

    expect(r.requests.total).toBe(104);
    expect(r.requests.by_status).toEqual({ '2xx': 101, '4xx': 2, '5xx': 1 });
    expect(r.requests.per_hour.reduce((n, h) => n + h.count, 0)).toBe(104);
    const search = r.routes.find((x) => x.route === 'GET /api/search')!;
    expect(search).toEqual({ route: 'GET /api/search', count: 100, errors_5xx: 0, p50_ms: 50, p90_ms: 90, p99_ms: 99, max_ms: 100 });
    expect(r.routes.find((x) => x.route === 'GET /api/precedents/:id')).toMatchObject({ count: 2, errors_5xx: 1, max_ms: 900 });
    expect(r.slowest[0]!.route).toBe('GET /api/precedents/:id');
    const text = formatLogReport(r);
    expect(text).toContain('오류 4건, 서로 다른 오류 2가지');
    expect(text).toContain('요청 104건');
    expect(text).toContain('가장 느린 경로 (p99): GET /api/precedents/:id 900.0 ms');

    const hour = await buildLogReport(dir, 1, NOW);
    expect(hour.errors.total).toBe(3);
    expect(hour.requests.total).toBe(101);
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
    expect(r.requests.total).toBe(104);
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
      expect(JSON.parse(ok.body)).toMatchObject({ hours: 8760, requests: { total: 104 } });
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

describe('log report: every rotated copy, once', () => {
  it('counts the 8,001 lines of a period across access.log, logrotate’s access.log.1 and access.log.2.gz, and archive/*.gz, without double counting', async () => {
    const dir = path.join(tmp.dir, 'rotated');
    fs.mkdirSync(path.join(dir, 'archive'), { recursive: true });
    let n = 0;
    /** `count` lines of the period (spread over its 24 hours) and `outside` lines older than it. */
    const lines = (count: number, outside = 0): string => {
      const rows: object[] = [];
      for (let i = 0; i < count; i++, n++)
        rows.push({
          time: at((n % 1430) + 1),
          method: 'GET',
          route: '/api/search',
          path: '/api/search',
          status: n % 50 === 0 ? 429 : 200,
          duration_ms: 3,
          request_id: `r-${n}`,
        });
      for (let i = 0; i < outside; i++)
        rows.push({ time: at(60 * 24 + 5 + i), method: 'GET', route: '/api/search', path: '/api/search', status: 200, duration_ms: 3 });
      return jsonl(rows);
    };
    // The guide's logrotate (daily, compress, delaycompress): .1 plain, .2 on gzip; the service's own size rotations in archive/.
    fs.writeFileSync(path.join(dir, 'access.log'), lines(2001));
    const one = lines(2000);
    fs.writeFileSync(path.join(dir, 'access.log.1'), one);
    fs.writeFileSync(path.join(dir, 'access.log.2.gz'), zlib.gzipSync(lines(2000, 25)));
    fs.writeFileSync(path.join(dir, 'archive', 'access.log.20261129-010000.gz'), zlib.gzipSync(lines(1000, 10)));
    fs.writeFileSync(path.join(dir, 'archive', 'access.log.20261129-020000-1.gz'), zlib.gzipSync(lines(1000)));
    expect(n).toBe(8001);
    // Traps: logrotate compressing .1 right now (a partial .1.gz beside the complete .1), the same file under a
    // second name, and a rotated file last written before the period.
    fs.writeFileSync(path.join(dir, 'access.log.1.gz'), zlib.gzipSync(one).subarray(0, 4000));
    fs.symlinkSync('access.log.1', path.join(dir, 'access.log.0'));
    const old = path.join(dir, 'access.log.3.gz');
    fs.writeFileSync(old, zlib.gzipSync(jsonl([{ time: at(60 * 24 * 3), method: 'GET', route: '/api/search', status: 200, duration_ms: 3 }])));
    fs.utimesSync(old, new Date(NOW - 3 * 86_400_000), new Date(NOW - 3 * 86_400_000));

    const r = await buildLogReport(dir, 24, NOW);
    expect(r.requests.total).toBe(8001);
    expect(r.requests.per_hour.reduce((s, h) => s + h.count, 0)).toBe(8001);
    expect(r.requests.by_status).toEqual({ '2xx': 8001 - 161, '429': 161 });
    expect(r.routes.find((x) => x.route === 'GET /api/search')!.count).toBe(8001);
    expect(r.unreadable_files).toEqual([]);
    expect(r.files_read.map((f) => path.relative(dir, f)).sort()).toEqual(
      ['access.log', 'access.log.1', 'access.log.2.gz', 'archive/access.log.20261129-010000.gz', 'archive/access.log.20261129-020000-1.gz'].sort(),
    );
    expect(r.files_read.at(-1)).toBe(path.join(dir, 'access.log')); // the live file last
    expect(formatLogReport(r)).toContain('요청 8,001건 (2xx 7840, 429 161)');
  });
});

describe('log report: security and performance', () => {
  const dir = path.join(tmp.dir, 'security');
  const A = '203.0.113.5';
  const B = '198.51.100.7';
  const C = '192.0.2.9';
  const req = (ip: string, status: number, extra: object = {}) => ({
    time: at(10),
    method: 'GET',
    route: '/api/search',
    path: '/api/search',
    status,
    error_code: null,
    duration_ms: 2,
    request_id: 'r',
    ip,
    key: 'env:0a1b2c3d',
    ...extra,
  });
  const rows: object[] = [];
  const times = (k: number, row: () => object) => Array.from({ length: k }, row);
  rows.push(...times(30, () => req(A, 200)), ...times(5, () => req(A, 429, { error_code: 'x' })));
  rows.push(...times(12, () => req(B, 401, { key: 'invalid:deadbeef' })), ...times(3, () => req(B, 403, { key: 'key_0123456789ab' })));
  rows.push(req(B, 401, { key: null }));
  rows.push(
    req(C, 404, { route: null, path: '/.env', suspicious: ['scanner_path'] }),
    req(C, 404, { route: null, path: '/wp-login.php', suspicious: ['scanner_path'] }),
    req(C, 404, { route: null, path: '/.env', suspicious: ['scanner_path'] }),
    // Written before the access line marked probes: classified by its path.
    { time: at(11), method: 'GET', route: null, path: '/static/../../etc/passwd', status: 404, duration_ms: 1, ip: C },
    req(C, 200, { suspicious: ['sql_injection'] }),
    req(A, 413, { method: 'POST', error_code: 'ALAW_ERR_REQUEST_TOO_LARGE' }),
    req(C, 414, { route: null, path: '/api/precedents/aaaa', error_code: 'ALAW_ERR_REQUEST_PATH_TOO_LONG' }),
    {
      time: at(12),
      method: 'GET',
      route: null,
      path: '/api/search',
      status: 431,
      error_code: 'ALAW_ERR_REQUEST_TOO_LONG',
      duration_ms: null,
      request_id: null,
      ip: C,
    },
    { time: at(12), method: null, route: null, path: null, status: 400, error_code: 'ALAW_ERR_REQUEST_MALFORMED', duration_ms: null, request_id: null, ip: C },
    req(A, 400, { error_code: 'ALAW_ERR_REQUEST_INVALID' }), // an ordinary bad parameter: not malformed
  );
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'access.log'), jsonl(rows));
  const slow = (route: string, ms: number) => ({
    level: 40,
    time: at(20),
    kind: 'request',
    method: 'GET',
    route,
    path: route,
    status: 200,
    duration_ms: ms,
    msg: 'slow request',
  });
  const task = (type: string, wait: number, run: number) => ({
    level: 40,
    time: at(20),
    kind: 'task',
    task_id: 't',
    type,
    status: 'completed',
    wait_ms: wait,
    run_ms: run,
    msg: 'slow task',
  });
  fs.writeFileSync(
    path.join(dir, 'performance.log'),
    jsonl([
      ...Array.from({ length: 20 }, (_, i) => slow('/api/search', 1000 + i * 50)),
      slow('/api/precedents/:id', 1500),
      task('analysis', 1000, 5000),
      task('analysis', 0, 9000),
      task('search', 4000, 1500),
    ]),
  );

  it('counts requests, 429 and 401/403 per address and key, probes by kind and oversized or malformed requests', async () => {
    const r = await buildLogReport(dir, 24, NOW);
    const s = r.security;
    expect(r.requests.by_status).toEqual({ '2xx': 31, '4xx': 25, '429': 5 });
    expect(s.top_clients[0]).toEqual({ ip: A, requests: 37, rejected_429: 5, errors_4xx: 2, auth_failures: 0 });
    expect(s.top_clients.find((c) => c.ip === B)).toEqual({ ip: B, requests: 16, rejected_429: 0, errors_4xx: 16, auth_failures: 16 });
    expect(s.top_rejected).toEqual([{ ip: A, count: 5 }]);
    expect(s.auth_failures).toMatchObject({ total: 16, unauthorized_401: 13, forbidden_403: 3 });
    expect(s.auth_failures.by_address).toEqual([{ ip: B, total: 16, unauthorized_401: 13, forbidden_403: 3 }]);
    expect(s.auth_failures.by_key).toEqual([
      { key: 'invalid:deadbeef', total: 12, unauthorized_401: 12, forbidden_403: 0 },
      { key: 'key_0123456789ab', total: 3, unauthorized_401: 0, forbidden_403: 3 },
      { key: '(키 없음)', total: 1, unauthorized_401: 1, forbidden_403: 0 },
    ]);
    expect(s.probes.total).toBe(5);
    expect(s.probes.by_kind).toEqual({ scanner_path: 3, traversal: 1, sql_injection: 1, xss: 0, jndi: 0 });
    expect(s.probes.by_address).toEqual([{ ip: C, count: 5, kinds: ['scanner_path', 'traversal', 'sql_injection'] }]);
    expect(s.probes.paths[0]).toEqual({ path: '/.env', count: 2 });
    expect(s.oversized_or_malformed.total).toBe(4);
    expect(s.oversized_or_malformed.by_code.map((x) => `${x.status} ${x.code}`).sort()).toEqual([
      '400 ALAW_ERR_REQUEST_MALFORMED',
      '413 ALAW_ERR_REQUEST_TOO_LARGE',
      '414 ALAW_ERR_REQUEST_PATH_TOO_LONG',
      '431 ALAW_ERR_REQUEST_TOO_LONG',
    ]);
    expect(s.oversized_or_malformed.by_address).toEqual([
      { ip: C, count: 3 },
      { ip: A, count: 1 },
    ]);
    const text = formatLogReport(r);
    expect(text).toContain('요청 61건 (2xx 31, 4xx 25, 429 5)');
    expect(text).toContain('429 (요청 거절)가 많은 주소: 203.0.113.5 5건');
    expect(text).toContain('인증 실패 16건 (401 13, 403 3)');
    expect(text).toContain('주소별: 198.51.100.7 16건 (401 13, 403 3)');
    expect(text).toContain('키별: invalid:deadbeef 12건 (401 12, 403 0), key_0123456789ab 3건 (401 0, 403 3), (키 없음) 1건');
    expect(text).toContain('스캐너·공격 모양 요청 5건');
    expect(text).toContain('경로 탐색 (.., %2e%2e): 1건');
    expect(text).toContain('너무 크거나 잘못된 요청 4건');
  });

  it('reads performance.log: slow requests per route and slow tasks per type, with p95', async () => {
    const r = await buildLogReport(dir, 24, NOW);
    expect(r.performance.slow_requests.total).toBe(21);
    expect(r.performance.slow_requests.top[0]).toEqual({ name: 'GET /api/search', count: 20, p95_ms: 1900, max_ms: 1950 });
    expect(r.performance.slow_tasks).toEqual({
      total: 3,
      top: [
        { name: 'analysis', count: 2, p95_ms: 9000, max_ms: 9000 },
        { name: 'search', count: 1, p95_ms: 5500, max_ms: 5500 },
      ],
    });
    const text = formatLogReport(r);
    expect(text).toContain('성능 로그 (performance.log)');
    expect(text).toContain('느린 요청 21건');
    expect(text).toMatch(/GET \/api\/search +20건 {2}p95 1900\.0 ms {2}최대 1950\.0 ms/u);
    expect(text).toContain('느린 작업 (대기+실행) 3건');
  });
});
