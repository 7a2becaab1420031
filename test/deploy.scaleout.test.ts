import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE, tempDir } from './helpers.js';
import { builtEntry } from './process.js';
import { createTestDatabase, type TestDatabase } from './support/pg.js';

/**
 * deploy/scale-out.sh as an operator runs it: a real nginx (deploy/nginx/alaw/*.conf) in front of three
 * real instances of the built service sharing one PostgreSQL queue. Clients use addresses of their own in
 * 127.0.0.0/8, because nginx limits requests per client address.
 */
const run = promisify(execFile);
const SCRIPT = path.resolve('deploy/scale-out.sh');
const ADMIN = 'admin-scaleout-0123456789';
const tmp = tempDir('alaw-scaleout-');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let db: TestDatabase | undefined;
let env: Record<string, string>;
let base = 0;
let front = 0;

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

function expectSecurityHeaders(res: Reply): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(res.headers[name], `${name} on ${res.status}`).toBe(value);
  // One policy, the service's or (on nginx's own answers) nginx's: nothing may load or frame a JSON answer.
  const csp = String(res.headers['content-security-policy']);
  expect(csp, `CSP on ${res.status}`).not.toContain(',');
  expect(csp, `CSP on ${res.status}`).toMatch(/default-src 'none'/);
  expect(csp, `CSP on ${res.status}`).toMatch(/frame-ancestors 'none'/);
  // Plain HTTP: no HSTS.
  expect(res.headers['strict-transport-security']).toBeUndefined();
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: () => any; // eslint-disable-line @typescript-eslint/no-explicit-any -- response bodies are asserted field by field
}

/** One request to nginx from the client address `from` (a fresh connection each time). */
function request(pathname: string, from: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: front, path: pathname, localAddress: from, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: (): unknown => JSON.parse(body) }));
      res.on('error', reject);
    });
    req.setTimeout(20_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A base port with the two after it free, and one more port for nginx. */
async function freePorts(): Promise<[number, number]> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const p = 20_000 + Math.floor(Math.random() * 40_000);
    if ((await portFree(p)) && (await portFree(p + 1)) && (await portFree(p + 2)) && (await portFree(p + 3))) return [p, p + 3];
  }
  throw new Error('no free ports');
}

function script(command: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return run('bash', [SCRIPT, command], { env: { ...process.env, ...env }, timeout: 120_000 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }),
  );
}

const pidOf = (i: number): number => Number(fs.readFileSync(path.join(tmp.dir, 'run', `app-${i}.pid`), 'utf8'));
/** Whether the process runs (a zombie whose parent, the script, is gone does not count). */
const alive = (pid: number): boolean => {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

beforeAll(async () => {
  db = await createTestDatabase();
  [base, front] = await freePorts();
  env = {
    DATABASE_URL: db.url,
    ALAW_ADMIN_TOKEN: ADMIN,
    ALAW_DIST: path.dirname(builtEntry('src/main.ts')),
    ALAW_RUN_DIR: path.join(tmp.dir, 'run'),
    ALAW_LOGS_DIR: path.join(tmp.dir, 'logs'),
    ALAW_DB_PATH: path.join(tmp.dir, 'alaw.db'),
    ALAW_INDEX_DIR: path.join(tmp.dir, 'index'),
    ALAW_PATHS_SEED_CORPUS: SAMPLE,
    ALAW_BASE_PORT: String(base),
    ALAW_NGINX_LISTEN: `127.0.0.1:${front}`,
    ALAW_QUEUE_PROFILE: 'conservative',
    // A killed instance's search slot returns within 3 s instead of 30 s.
    ALAW_QUEUE_LEASE_SECONDS: '3',
    ALAW_LOG_STDOUT: 'false',
  };
  const up = await script('up');
  expect(up.code, up.stdout + up.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  if (env) await script('down');
  await db?.drop();
  tmp.cleanup();
}, 60_000);

describe('deploy/scale-out.sh: nginx in front of three instances on one PostgreSQL queue', () => {
  it('reports every part running', async () => {
    const st = await script('status');
    expect(st.code, st.stdout).toBe(0);
    expect(st.stdout).toMatch(/app-1 .* 정상/);
    expect(st.stdout).toMatch(/app-3 .* 정상/);
    expect(st.stdout).toMatch(/nginx .* 실행 중/);
  });

  it('spreads requests over all three instances, which serve API requests with a key only', async () => {
    const seen = new Map<string, number>();
    for (let i = 1; i <= 30; i++) {
      const res = await request('/', `127.0.2.${i}`);
      expect(res.status).toBe(200);
      expectSecurityHeaders(res);
      const id = res.json().instance_id as string;
      seen.set(id, (seen.get(id) ?? 0) + 1);
    }
    expect([...seen.keys()].sort()).toEqual(['app-1', 'app-2', 'app-3']);
    for (const n of seen.values()) expect(n).toBeGreaterThanOrEqual(5);

    // Through a proxy no request is local: without a key the API says 401, with one it answers.
    const anonymous = await request('/api/search?q=%EC%B7%A8%EB%93%9D%EC%8B%9C%ED%9A%A8', '127.0.2.40');
    expect(anonymous.status).toBe(401);
    expect(anonymous.json().error.code).toBe('ALAW_ERR_AUTH_REQUIRED');
    expectSecurityHeaders(anonymous);
    const search = await request('/api/search?q=%EC%B7%A8%EB%93%9D%EC%8B%9C%ED%9A%A8', '127.0.2.41', { authorization: `Bearer ${ADMIN}` });
    expect(search.status).toBe(200);
    expect(search.json().total).toBeGreaterThan(0);
  });

  it("passes the client's X-Request-Id to the instance (or makes one) and answers 404 with the security headers", async () => {
    const id = `deploy-test-${process.pid}-${Date.now()}`;
    const res = await request('/nope', '127.0.2.50', { 'x-request-id': id });
    expect(res.status).toBe(404);
    expect(res.json().error.code).toBe('ALAW_ERR_NOT_FOUND');
    expect(res.headers['x-request-id']).toBe(id);
    expectSecurityHeaders(res);
    // The instance that answered logged it under the same id.
    const logs = [1, 2, 3].map((i) => path.join(tmp.dir, 'logs', `app-${i}`, 'access.log'));
    let line: string | undefined;
    for (let t = 0; t < 40 && !line; t++) {
      line = logs.flatMap((f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n') : [])).find((l) => l.includes(id));
      if (!line) await sleep(100);
    }
    expect(JSON.parse(line!)).toMatchObject({ path: '/nope', status: 404, request_id: id });
    // An id that is not an id (it would break nginx's JSON bodies) is replaced by nginx's own.
    const bad = await request('/nope', '127.0.2.51', { 'x-request-id': 'a"b' });
    expect(bad.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
  });

  it("answers a client over 10 requests/s (burst 20) with 429, a Korean JSON body and Retry-After; fail2ban finds it in nginx's log", async () => {
    const from = '127.0.3.1';
    const replies = await Promise.all(Array.from({ length: 60 }, () => request('/', from)));
    const limited = replies.filter((r) => r.status === 429);
    const passed = replies.filter((r) => r.status === 200);
    expect(passed.length).toBeGreaterThanOrEqual(20);
    expect(passed.length).toBeLessThanOrEqual(25);
    expect(limited.length).toBe(60 - passed.length);
    const r = limited[0]!;
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(r.headers['retry-after']).toBe('1');
    expectSecurityHeaders(r);
    const body = r.json();
    expect(body.error.code).toBe('ALAW_ERR_RATE_LIMITED');
    expect(body.error.message).toMatch(/^요청이 너무 많습니다/);
    expect(body.request_id).toBe(r.headers['x-request-id']);
    // Another address is not affected.
    expect((await request('/', '127.0.3.2')).status).toBe(200);

    const nginxLog = path.join(tmp.dir, 'logs', 'nginx', 'access.log');
    const f2b = await run('fail2ban-regex', [nginxLog, `${path.resolve('deploy/fail2ban/filter.d/alaw-ai.conf')}[mode=ratelimit]`]);
    expect(f2b.stdout).toMatch(new RegExp(`Lines: \\d+ lines, 0 ignored, ${limited.length} matched`));
  });

  it('keeps serving after kill -9 of one instance: only requests in flight at that moment may fail', async () => {
    const victim = pidOf(2);
    const results: { start: number; end: number; status: number; instance?: string }[] = [];
    let killedAt = Infinity;
    const started = Date.now();
    const inFlight: Promise<void>[] = [];
    for (let n = 0; Date.now() - started < 4000; n++) {
      if (killedAt === Infinity && Date.now() - started > 1200) {
        process.kill(victim, 'SIGKILL');
        killedAt = Date.now();
      }
      const from = `127.0.4.${(n % 60) + 1}`; // each address well under 10 requests/s
      const search = n % 2 === 1;
      const start = Date.now();
      inFlight.push(
        request(search ? '/api/search?q=%EC%86%90%ED%95%B4%EB%B0%B0%EC%83%81&size=3' : '/', from, search ? { authorization: `Bearer ${ADMIN}` } : {}).then(
          (res) => void results.push({ start, end: Date.now(), status: res.status, instance: search ? undefined : (res.json().instance_id as string) }),
          () => void results.push({ start, end: Date.now(), status: 0 }),
        ),
      );
      await sleep(25);
    }
    await Promise.all(inFlight);
    expect(alive(victim)).toBe(false);
    expect(results.length).toBeGreaterThan(100);
    const failed = results.filter((r) => r.status !== 200);
    const failedLater = failed.filter((r) => r.start > killedAt);
    expect(failedLater, JSON.stringify(failed)).toEqual([]);
    // At most the requests that were in flight when the instance died.
    for (const f of failed) expect(f.start <= killedAt && f.end >= killedAt).toBe(true);
    // app-2 served before the kill, the other two after it.
    expect(results.some((r) => r.instance === 'app-2' && r.end < killedAt)).toBe(true);
    const after = new Set(results.filter((r) => r.start > killedAt && r.instance).map((r) => r.instance));
    expect(after.size).toBeGreaterThan(0);
    expect(after.has('app-2')).toBe(false);
    // Both survivors take requests (one at a time, so least_conn alternates between them).
    const survivors = new Set<string>();
    for (let i = 1; i <= 6; i++) survivors.add((await request('/', `127.0.4.${100 + i}`)).json().instance_id as string);
    expect([...survivors].sort()).toEqual(['app-1', 'app-3']);

    const st = await script('status');
    expect(st.code).toBe(1);
    expect(st.stdout).toMatch(/app-2 .* 멈춤/);
  });

  it('answers 502 with a JSON body and the security headers when no instance is left, and stops cleanly', async () => {
    for (const i of [1, 3]) process.kill(pidOf(i), 'SIGTERM');
    for (let t = 0; t < 300 && [1, 3].some((i) => alive(pidOf(i))); t++) await sleep(100);
    const res = await request('/api/search?q=a', '127.0.5.1', { authorization: `Bearer ${ADMIN}` });
    expect(res.status).toBe(502);
    expect(res.json().error.code).toBe('ALAW_ERR_UPSTREAM_UNAVAILABLE');
    expect(res.headers['retry-after']).toBe('5');
    expectSecurityHeaders(res);

    const nginxPid = Number(fs.readFileSync(path.join(tmp.dir, 'run', 'nginx', 'nginx.pid'), 'utf8'));
    const down = await script('down');
    expect(down.code, down.stderr).toBe(0);
    for (let t = 0; t < 50 && alive(nginxPid); t++) await sleep(100);
    expect(alive(nginxPid)).toBe(false);
    const st = await script('status');
    expect(st.code).toBe(3);
  });
});
