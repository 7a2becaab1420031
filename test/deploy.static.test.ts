import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer } from './process.js';
import { sampleEnv, tempDir } from './helpers.js';

/**
 * The deployment files, checked by the tools that will read them: nginx -t on each topology's
 * configuration, docker-compose config on each compose file, a Dockerfile linter, systemd-analyze
 * security on each unit, and fail2ban-regex of the filter against lines the real server wrote into
 * its access.log. Needs the Debian packages nginx, docker-compose and fail2ban (.ci/run installs them)
 * and the npm package dockerfile-utils.
 */
const run = promisify(execFile);
const DEPLOY = path.resolve('deploy');
const tmp = tempDir('alaw-deploy-static-');

afterAll(() => tmp.cleanup());

interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

async function tool(cmd: string, args: string[], env: Record<string, string> = {}, cwd?: string): Promise<Output> {
  try {
    const r = await run(cmd, args, { env: { ...process.env, ...env }, cwd, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err; // the tool itself is missing: a setup error, not a result
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/**
 * A configuration directory laid out like /etc/nginx: `main` as nginx.conf, deploy/nginx/alaw/*.conf in
 * alaw/, the topology's upstream list as alaw/upstream.conf, optional site files in sites-enabled/.
 */
function nginxConfDir(name: string, main: string, upstream: string, sites: string[] = []): string {
  const dir = path.join(tmp.dir, `nginx-${name}`);
  fs.mkdirSync(path.join(dir, 'alaw'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'sites-enabled'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'nginx.conf'), main);
  for (const f of fs.readdirSync(path.join(DEPLOY, 'nginx', 'alaw'))) fs.copyFileSync(path.join(DEPLOY, 'nginx', 'alaw', f), path.join(dir, 'alaw', f));
  fs.copyFileSync(upstream, path.join(dir, 'alaw', 'upstream.conf'));
  for (const s of sites) fs.copyFileSync(s, path.join(dir, 'sites-enabled', path.basename(s)));
  return dir;
}

/** `nginx -t` with its own prefix; the access log the configuration names is removed again if the test made it. */
async function nginxTest(dir: string): Promise<Output> {
  const log = '/var/log/nginx/alaw-access.log';
  const existed = fs.existsSync(log);
  try {
    return await tool('nginx', ['-t', '-e', 'stderr', '-p', dir, '-c', path.join(dir, 'nginx.conf')]);
  } finally {
    if (!existed) fs.rmSync(log, { force: true });
  }
}

describe('nginx configuration', () => {
  it('passes nginx -t as the compose nginx container uses it (deploy/nginx/nginx.conf + compose upstream)', async () => {
    const dir = nginxConfDir(
      'compose',
      fs.readFileSync(path.join(DEPLOY, 'nginx', 'nginx.conf'), 'utf8'),
      path.join(DEPLOY, 'nginx', 'upstreams', 'compose-scale-out.conf'),
    );
    const r = await nginxTest(dir);
    expect(r.stderr, r.stderr).toContain('test is successful');
    expect(r.code).toBe(0);
  });

  it("passes nginx -t as a bare-metal site inside Debian's own nginx.conf (sites/alaw-ai.conf + local upstream)", async () => {
    const dir = path.join(tmp.dir, 'nginx-debian');
    // Debian's main file, with its include directories pointed at this layout.
    const debian = fs
      .readFileSync('/etc/nginx/nginx.conf', 'utf8')
      .replaceAll('/etc/nginx/sites-enabled', path.join(dir, 'sites-enabled'))
      .replaceAll('/etc/nginx/conf.d', path.join(dir, 'conf.d'))
      .replaceAll('/etc/nginx/modules-enabled', path.join(dir, 'modules-enabled'));
    nginxConfDir('debian', debian, path.join(DEPLOY, 'nginx', 'upstreams', 'local.conf'), [path.join(DEPLOY, 'nginx', 'sites', 'alaw-ai.conf')]);
    const r = await nginxTest(dir);
    expect(r.stderr, r.stderr).toContain('test is successful');
    expect(r.code).toBe(0);
  });

  it("has the guide's limits and the edge rules nginx -T reports from the included files", async () => {
    const dir = nginxConfDir('dump', fs.readFileSync(path.join(DEPLOY, 'nginx', 'nginx.conf'), 'utf8'), path.join(DEPLOY, 'nginx', 'upstreams', 'local.conf'));
    const r = await tool('nginx', ['-T', '-e', 'stderr', '-p', dir, '-c', path.join(dir, 'nginx.conf')]);
    fs.rmSync('/var/log/nginx/alaw-access.log', { force: true });
    expect(r.code).toBe(0);
    const conf = r.stdout;
    expect(conf).toMatch(/limit_req_zone \$binary_remote_addr zone=alaw_api:10m rate=10r\/s;/);
    expect(conf).toMatch(/limit_req zone=alaw_api burst=20 nodelay;/);
    expect(conf).toMatch(/limit_req_status 429;/);
    expect(conf).toMatch(/least_conn;/);
    expect(conf).toMatch(/server 127\.0\.0\.1:8997 max_fails=3 fail_timeout=10s;/);
    expect(conf).toMatch(/keepalive 32;/);
    // A stopping instance's 503 (ALAW_ERR_SERVER_STOPPING) moves a request to the next instance; no retry of
    // POST/PATCH: nginx retries non-idempotent requests only with `non_idempotent`.
    expect(conf).toMatch(/proxy_next_upstream error timeout http_503;/);
    expect(conf).not.toMatch(/proxy_next_upstream [^;]*non_idempotent/);
    expect(conf).toMatch(/location ~ \^\/api\/analysis\/\[\^\/\]\+\/events\$ \{[^}]*proxy_buffering off;/);
    // The longest search: optimized profile, 60 s waiting + 60 s running.
    const searchTimeout = /location \/api\/search \{[^}]*proxy_read_timeout (\d+)s;/.exec(conf);
    expect(Number(searchTimeout?.[1])).toBeGreaterThanOrEqual(120);
  });
});

describe('compose files', () => {
  const env = { POSTGRES_PASSWORD: 'pw0123456789', ALAW_ADMIN_TOKEN: 'admin-0123456789abcdef', ALAW_HOME: '/srv/alaw-test' };
  const compose = (files: string[], extra: Record<string, string> = {}, more: string[] = []) =>
    tool('docker-compose', [...files.flatMap((f) => ['-f', f]), ...more, 'config'], { ...env, ...extra }, DEPLOY);

  it('one instance + PostgreSQL (alaw_ai): the guide container names, a key, trusted proxy, volumes', async () => {
    const r = await compose(['docker-compose.yml']);
    expect(r.stderr).not.toMatch(/ERROR/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/container_name: alaw-ai-backend\n/);
    expect(r.stdout).toMatch(/container_name: postgres\n/);
    expect(r.stdout).toContain('DATABASE_URL: postgres://postgres:pw0123456789@postgres:5432/alaw_ai');
    expect(r.stdout).toContain('ALAW_ADMIN_TOKEN: admin-0123456789abcdef');
    expect(r.stdout).toContain('ALAW_TRUST_PROXY: 172.28.0.1');
    for (const v of ['data:/app/data', 'logs:/app/logs', 'backups:/app/backups']) expect(r.stdout).toContain(`/srv/alaw-test/${v}`);
  });

  it('refuses to render without an API key (a proxy makes every request non-local)', async () => {
    const r = await compose(['docker-compose.yml'], { ALAW_ADMIN_TOKEN: '' });
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('ALAW_ADMIN_TOKEN(16자 이상)을 deploy/.env에 설정하세요');
  });

  it('scale-up: resource limits and the optimized queue profile on top of the single instance', async () => {
    const r = await compose(['docker-compose.yml', 'docker-compose.scale-up.yml'], {}, ['--compatibility']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ALAW_QUEUE_PROFILE: optimized');
    expect(r.stdout).toMatch(/cpus: 8\.0/);
    expect(r.stdout).toMatch(/mem_limit: 16g/);
    expect(r.stdout).toMatch(/memory: 16G/);
  });

  it("scale-out: three instances with distinct ids on one PostgreSQL queue behind nginx with the repo's nginx files", async () => {
    const r = await compose(['docker-compose.scale-out.yml']);
    expect(r.code).toBe(0);
    const ids = [...r.stdout.matchAll(/INSTANCE_ID: (\S+)/g)].map((m) => m[1]);
    expect(ids.sort()).toEqual(['app-1', 'app-2', 'app-3']);
    expect([...r.stdout.matchAll(/DATABASE_URL: postgres:\/\/postgres:pw0123456789@postgres:5432\/alaw_ai/g)]).toHaveLength(3);
    expect(r.stdout).toContain('condition: service_completed_successfully');
    for (const f of [
      'nginx.conf:/etc/nginx/nginx.conf',
      'alaw/http.conf:/etc/nginx/alaw/http.conf',
      'alaw/server.conf:/etc/nginx/alaw/server.conf',
      'upstreams/compose-scale-out.conf:/etc/nginx/alaw/upstream.conf',
    ])
      expect(r.stdout).toContain(`${DEPLOY}/nginx/${f}:ro`);
    // nginx's upstream list names exactly the instances' fixed addresses, and only nginx is a trusted proxy.
    const addresses = [...r.stdout.matchAll(/ipv4_address: (172\.28\.0\.1[1-3])/g)].map((m) => m[1]).sort();
    const upstream = fs.readFileSync(path.join(DEPLOY, 'nginx', 'upstreams', 'compose-scale-out.conf'), 'utf8');
    expect([...upstream.matchAll(/^server (\S+):8997 /gm)].map((m) => m[1]).sort()).toEqual(addresses);
    expect(r.stdout).toMatch(/ipv4_address: 172\.28\.0\.10\n/);
    expect([...r.stdout.matchAll(/ALAW_TRUST_PROXY: 172\.28\.0\.10\n/g)]).toHaveLength(3);
    for (const n of [1, 2, 3]) expect(r.stdout).toContain(`/srv/alaw-test/logs/app-${n}:/app/logs`);
  });
});

describe('Dockerfile', () => {
  interface Diagnostic {
    severity: number;
    message: string;
    range: { start: { line: number } };
  }
  // dockerfile-utils (npm devDependency): the linter of the VS Code Docker extension, offline.
  const { validate } = createRequire(import.meta.url)('dockerfile-utils') as { validate: (content: string, settings?: object) => Diagnostic[] };
  const text = fs.readFileSync(path.join(DEPLOY, 'Dockerfile'), 'utf8');

  it('has no linter findings, and the linter does find a broken one', () => {
    expect(validate(text).map((d) => `${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
    expect(validate(text.replace('EXPOSE 8997', 'EXPOSE eighty')).map((d) => d.message)).toEqual(['Invalid containerPort: eighty']);
  });

  it('builds in one stage and runs Node 24 slim as a non-root user under tini, with a health check and source maps', () => {
    const from = [...text.matchAll(/^FROM (\S+)(?: AS (\S+))?/gm)].map((m) => [m[1], m[2]]);
    expect(from).toEqual([
      ['node:24-bookworm', 'build'],
      ['${NODE_IMAGE}', 'runtime'],
    ]);
    expect(text).toMatch(/^ARG NODE_IMAGE=node:24-bookworm-slim$/m);
    expect(text).toMatch(/npm rebuild better-sqlite3/);
    expect(text).toMatch(/^USER alaw$/m);
    expect(text).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--"\]$/m);
    expect(text).toMatch(/NODE_OPTIONS=--enable-source-maps/);
    expect(text).toMatch(/ALAW_HOST=0\.0\.0\.0/);
    expect(text).toMatch(/HEALTHCHECK [^\n]*\n[^\n]*\/api\/queue\/health/);
  });

  it('sends only sources and the bundled corpus as build context (.dockerignore)', () => {
    const ignore = fs.readFileSync('.dockerignore', 'utf8').split('\n');
    for (const p of ['node_modules', 'dist', '.test-build', 'logs', 'backups', 'data/*', '!data/precedents-dev.jsonl.gz', '.env']) expect(ignore).toContain(p);
  });
});

describe('systemd units', () => {
  for (const unit of ['alaw-ai-backend.service', 'alaw-watchdog.service']) {
    it(`${unit}: systemd-analyze security exposure ≤ 4.5, as user alaw, UMask 0027, no MemoryDenyWriteExecute`, async () => {
      const file = path.join(DEPLOY, 'systemd', unit);
      const r = await tool('systemd-analyze', ['security', '--offline=true', '--threshold=45', file]);
      const level = /Overall exposure level for \S+: ([\d.]+)/.exec(r.stdout + r.stderr);
      expect(level, r.stdout + r.stderr).not.toBeNull();
      expect(Number(level![1])).toBeLessThanOrEqual(4.5);
      expect(r.code).toBe(0);
      const text = fs.readFileSync(file, 'utf8');
      expect(text).toMatch(/^User=alaw$/m);
      expect(text).toMatch(/^UMask=0027$/m);
      expect(text).toMatch(/^SystemCallFilter=@system-service$/m);
      // V8 compiles code at run time: W^X memory would kill Node.
      expect(text).not.toMatch(/^MemoryDenyWriteExecute=/m);
    });
  }

  it('lets the watchdog restart only the server, through polkit (sudo is blocked by NoNewPrivileges)', () => {
    const rule = fs.readFileSync(path.join(DEPLOY, 'polkit', '50-alaw-watchdog.rules'), 'utf8');
    expect(rule).toContain("action.lookup('unit') === 'alaw-ai-backend.service'");
    expect(rule).toContain("subject.user === 'alaw'");
    expect(fs.readFileSync(path.join(DEPLOY, 'systemd', 'alaw-watchdog.service'), 'utf8')).toMatch(/--restart-cmd "systemctl restart alaw-ai-backend.service"/);
  });
});

describe('logrotate', () => {
  it('rotates as the service account and signals both systemd and compose servers once (sharedscripts)', () => {
    const text = fs.readFileSync(path.join(DEPLOY, 'logrotate', 'alaw-ai'), 'utf8');
    for (const d of ['sharedscripts', 'su alaw alaw', 'create 0640 alaw alaw']) expect(text).toContain(d);
    expect(text).toContain('systemctl reload alaw-ai-backend.service');
    expect(text).toContain('docker kill --signal=HUP');
  });
});

describe('fail2ban filter', () => {
  it("finds repeated 401/403, 429 and scanner paths per client address in the real server's access.log", async () => {
    const dir = path.join(tmp.dir, 'server');
    const logs = path.join(dir, 'logs');
    const server = await startServer(
      sampleEnv(dir, { ALAW_LOG_DIR: logs, ALAW_ADMIN_TOKEN: 'admin-0123456789abcdef', ALAW_USER_TOKENS: 'user-0123456789abcdef' }),
    );
    try {
      const base = `http://127.0.0.1:${server.port}`;
      const get = (p: string, key?: string) => fetch(base + p, { headers: key ? { authorization: `Bearer ${key}` } : {} }).then((r) => r.status);
      expect(await get('/api/search?q=a')).toBe(401); // no key
      expect(await get('/api/search?q=a', 'wrong-0123456789abcdef')).toBe(401); // wrong key
      expect(await get('/api/admin/logs/report', 'user-0123456789abcdef')).toBe(403); // user key on an admin route
      expect(await get('/wp-login.php')).toBe(404);
      expect(await get('/.env')).toBe(404);
      expect(await get('/')).toBe(200);
      expect(await get('/api/precedents/nope-123', 'user-0123456789abcdef')).toBe(404);
    } finally {
      expect(await server.stop()).toBe(0); // SIGTERM flushes the log files
    }
    const lines = fs.readFileSync(path.join(logs, 'access.log'), 'utf8').split('\n').filter(Boolean);
    expect(lines).toHaveLength(7);
    // A 429 in the same format: the server's own line with the status it answers a full queue with.
    const ok = lines.find((l) => l.includes('"status":200'))!;
    const sample = path.join(tmp.dir, 'access.log');
    fs.writeFileSync(sample, [...lines, ok.replace('"status":200', '"status":429')].join('\n') + '\n');

    const filter = path.join(DEPLOY, 'fail2ban', 'filter.d', 'alaw-ai.conf');
    const matched = async (mode: string): Promise<number> => {
      const r = await tool('fail2ban-regex', [sample, `${filter}[mode=${mode}]`]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/Date template hits:\n\|- \[# of hits\] date format\n\|\s+\[8\] "time":/);
      return Number(/Lines: \d+ lines, \d+ ignored, (\d+) matched/.exec(r.stdout)?.[1]);
    };
    expect(await matched('auth')).toBe(5); // 2 × 401, 403, /wp-login.php, /.env — not the 404 of a real route
    expect(await matched('ratelimit')).toBe(1);
    expect(await matched('aggressive')).toBe(6);
  });

  it('loads as two enabled jails and a disabled nginx jail in a fail2ban configuration', async () => {
    const conf = path.join(tmp.dir, 'fail2ban');
    fs.cpSync('/etc/fail2ban', conf, { recursive: true });
    fs.copyFileSync(path.join(DEPLOY, 'fail2ban', 'filter.d', 'alaw-ai.conf'), path.join(conf, 'filter.d', 'alaw-ai.conf'));
    fs.copyFileSync(path.join(DEPLOY, 'fail2ban', 'jail.d', 'alaw-ai.conf'), path.join(conf, 'jail.d', 'alaw-ai.conf'));
    const r = await tool('fail2ban-client', ['-c', conf, '-d']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("['add', 'alaw-ai', 'auto']");
    expect(r.stdout).toContain("['add', 'alaw-ai-ratelimit', 'auto']");
    expect(r.stdout).not.toContain("['add', 'alaw-ai-nginx'");
    expect(r.stdout).toContain(`['set', 'alaw-ai-ratelimit', 'addfailregex', '"status":429,.*"ip":"<HOST>"']`);
    // The jails do not change other jails' settings ([DEFAULT] untouched).
    expect(r.stdout).not.toMatch(/\['set', 'sshd', 'addignoreip'[^\n]*172\.28/);
  });
});
