/**
 * What the hardened edge costs a request (issue 13): the service as it is (helmet's security headers
 * and the in-app rate limit counting every request: the loopback exemption is turned
 * off and the limit raised out of reach), the same with the rate limit off (headers only), and the
 * service as it was before the hardening (a git ref, built into a temporary worktree), on the same
 * database and index, in one run. autocannon, keyword searches without snippets (the cheapest request,
 * where a fixed cost per request weighs most), alternating runs, medians, plus the server's own CPU
 * time per request (from /proc), which the other processes on this 2-core machine disturb less.
 * Goal: headers + rate limiting cost ≤ 5 %.
 *
 *   npm run build && npx tsx bench/edge.bench.ts [--baseline 81910a2] [--seconds 8] [--runs 6] [--connections 10]
 */
import autocannon from 'autocannon';
import { execFileSync, execSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { arg, KEYWORD_QUERIES, median } from './corpus.js';
import { cpuSeconds, loadPaths, stop } from './server.js';

const seconds = Number(arg('seconds', '8'));
const runs = Number(arg('runs', '6'));
const connections = Number(arg('connections', '10'));
const baseline = arg('baseline', '81910a2');
if (!fs.existsSync('dist/main.js')) execSync('npm run build', { stdio: 'inherit' });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alaw-edge-'));

// The baseline: the commit before the hardening, built the way `npm run build` builds, in a worktree of its own.
const baseDir = path.join(dir, 'baseline');
execFileSync('git', ['worktree', 'add', '--detach', baseDir, baseline], { stdio: 'ignore' });
fs.symlinkSync(path.resolve('node_modules'), path.join(baseDir, 'node_modules'));
execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: baseDir, stdio: 'ignore' });

const data = { ALAW_DB_PATH: path.join(dir, 'alaw.db'), ALAW_INDEX_DIR: path.join(dir, 'index'), ALAW_LOG_LEVEL: 'info' };
const paths = KEYWORD_QUERIES.map((q) => `/api/search?q=${encodeURIComponent(q)}&snippets=false`);

interface Variant {
  name: string;
  entry: string;
  env: Record<string, string>;
}
const variants: Variant[] = [
  {
    name: 'now: helmet headers + rate limit on every request',
    entry: path.resolve('dist/main.js'),
    env: { ALAW_SERVER_RATE_LIMIT_EXEMPT_LOOPBACK: 'false', ALAW_SERVER_RATE_LIMIT_MAX: '10000000' },
  },
  { name: 'now: helmet headers, rate limit off', entry: path.resolve('dist/main.js'), env: { ALAW_SERVER_RATE_LIMIT_ENABLED: 'false' } },
  { name: `before the hardening (${baseline})`, entry: path.join(baseDir, 'dist/main.js'), env: {} },
];

function start(v: Variant, i: number): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [v.entry], {
      env: {
        ...process.env,
        ...data,
        ALAW_PORT: '0',
        ALAW_QUEUE_DB_PATH: path.join(dir, `queue-${i}.db`),
        ALAW_LOG_DIR: path.join(dir, `logs-${i}`),
        ...v.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (d: Buffer) => {
      log += d.toString();
      const m = /"port":(\d+),"instance_id"/.exec(log);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    child.on('exit', (code) => reject(new Error(`${v.name} exited (${code}):\n${log}`)));
  });
}

const load = (port: number): Promise<autocannon.Result> => loadPaths(port, paths, { connections, seconds });

// The first start builds the database and index; the others open them.
const servers: { child: ChildProcess; port: number }[] = [];
for (const [i, v] of variants.entries()) servers.push(await start(v, i));
const results = variants.map(() => ({ rps: [] as number[], p50: [] as number[], p99: [] as number[], cpuUs: [] as number[], bad: 0 }));
for (const s of servers) await load(s.port); // warm-up
for (let r = 0; r < runs; r++) {
  // Rotate the order, so that no variant always runs on a warmer (or busier) machine.
  for (let k = 0; k < variants.length; k++) {
    const i = (k + r) % variants.length;
    const s = servers[i]!;
    const before = cpuSeconds(s.child.pid!);
    const res = await load(s.port);
    const out = results[i]!;
    out.rps.push(res.requests.average);
    out.p50.push(res.latency.p50);
    out.p99.push(res.latency.p99);
    out.cpuUs.push(((cpuSeconds(s.child.pid!) - before) * 1e6) / res.requests.total);
    out.bad += res.errors + res.non2xx;
  }
}
for (const s of servers) await stop(s.child);
execFileSync('git', ['worktree', 'remove', '--force', baseDir], { stdio: 'ignore' });
fs.rmSync(dir, { recursive: true, force: true });

console.log(`GET /api/search (10 keyword queries, no snippets), ${connections} connections, ${seconds} s × ${runs} rotating runs, node ${process.version}`);
console.log('| service | req/s (median) | latency p50 | latency p99 | server CPU per request | errors/non-2xx |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const [i, v] of variants.entries()) {
  const o = results[i]!;
  console.log(`| ${v.name} | ${median(o.rps).toFixed(0)} | ${median(o.p50)} ms | ${median(o.p99)} ms | ${median(o.cpuUs).toFixed(0)} µs | ${o.bad} |`);
}
const base = results[2]!;
for (const i of [0, 1]) {
  const o = results[i]!;
  const pairs = o.rps.map((x, r) => x / base.rps[r]!);
  console.log(
    `${variants[i]!.name} / before: throughput ${(median(o.rps) / median(base.rps)).toFixed(3)} (median of paired runs ${median(pairs).toFixed(3)} [${pairs.map((p) => p.toFixed(2)).join(', ')}]); CPU per request +${((median(o.cpuUs) / median(base.cpuUs) - 1) * 100).toFixed(1)} %`,
  );
}
