/**
 * What metrics and access logging cost a search request: the same service
 * (same database and index) started twice, once with /metrics, request
 * counting, access.log and the log files on (the defaults), once with all of
 * them off; autocannon against each in alternating runs, medians, ratio.
 * Goal (issue 5): the instrumented service keeps ≥ 95 % of the throughput.
 *
 *   npm run build && npx tsx bench/ops.bench.ts [--seconds 8] [--runs 5] [--connections 10]
 */
import autocannon from 'autocannon';
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { arg, KEYWORD_QUERIES, median } from './corpus.js';
import { cpuSeconds, loadPaths, startService, stop } from './server.js';

const seconds = Number(arg('seconds', '8'));
const runs = Number(arg('runs', '5'));
const connections = Number(arg('connections', '10'));
if (!fs.existsSync('dist/main.js')) execSync('npm run build', { stdio: 'inherit' });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alaw-ops-'));
const data = { ALAW_DB_PATH: path.join(dir, 'alaw.db'), ALAW_INDEX_DIR: path.join(dir, 'index'), ALAW_LOG_LEVEL: 'info' };

// Both variants search the same decisions; keyword queries without snippets are the cheapest request, so the
// fixed per-request cost of instrumentation weighs most there.
const queries = KEYWORD_QUERIES;
const paths = queries.map((q) => `/api/search?q=${encodeURIComponent(q)}&snippets=false`);

// --on-env A=1,B=2: extra settings of the instrumented service (to see which part costs what).
const onEnv = Object.fromEntries(
  arg('on-env', '')
    .split(',')
    .filter(Boolean)
    .map((kv) => kv.split('=') as [string, string]),
);
const on = await startService({ ...data, ALAW_QUEUE_DB_PATH: path.join(dir, 'queue-on.db'), ALAW_LOG_DIR: path.join(dir, 'logs-on'), ...onEnv });
const off = await startService({
  ...data,
  ALAW_QUEUE_DB_PATH: path.join(dir, 'queue-off.db'),
  ALAW_METRICS_ENABLED: 'false',
  ALAW_LOG_FILES: 'false',
});

/** CPU milliseconds per request of each run, per service: less sensitive than req/s to what else the machine does. */
const cpuPerRequest: { on: number[]; off: number[] } = { on: [], off: [] };

async function measured(which: 'on' | 'off'): Promise<autocannon.Result> {
  const svc = which === 'on' ? on : off;
  const before = cpuSeconds(svc.child.pid!);
  const r = await load(svc.port);
  cpuPerRequest[which].push(((cpuSeconds(svc.child.pid!) - before) * 1000) / r.requests.total);
  return r;
}

const load = (port: number): Promise<autocannon.Result> => loadPaths(port, paths, { connections, seconds });

const withOps: autocannon.Result[] = [];
const without: autocannon.Result[] = [];
await load(on.port);
await load(off.port);
for (let r = 0; r < runs; r++) {
  // Alternate which goes first, so neither always runs on a warmer machine.
  if (r % 2 === 0) {
    withOps.push(await measured('on'));
    without.push(await measured('off'));
  } else {
    without.push(await measured('off'));
    withOps.push(await measured('on'));
  }
}
const accessFile = path.join(dir, 'logs-on', 'access.log');
const accessLines = fs.existsSync(accessFile) ? fs.readFileSync(accessFile, 'utf8').split('\n').filter(Boolean).length : 0;
const metrics = await (await fetch(`http://127.0.0.1:${on.port}/metrics`)).text();
await stop(on.child);
await stop(off.child);

const rps = (rs: autocannon.Result[]): number => median(rs.map((x) => x.requests.average));
const p50 = (rs: autocannon.Result[]): number => median(rs.map((x) => x.latency.p50));
const p99 = (rs: autocannon.Result[]): number => median(rs.map((x) => x.latency.p99));
const errors = (rs: autocannon.Result[]): number => rs.reduce((s, x) => s + x.errors + x.non2xx, 0);
console.log(`GET /api/search (10 keyword queries, no snippets), ${connections} connections, ${seconds} s × ${runs} alternating runs`);
console.log('| service | req/s (median) | latency p50 (ms) | latency p99 (ms) | errors/non-2xx |');
console.log('| --- | ---: | ---: | ---: | ---: |');
console.log(
  `| metrics + request counting + access.log + log files (defaults) | ${rps(withOps).toFixed(0)} | ${p50(withOps)} | ${p99(withOps)} | ${errors(withOps)} |`,
);
console.log(
  `| all off (ALAW_METRICS_ENABLED=false, ALAW_LOG_FILES=false) | ${rps(without).toFixed(0)} | ${p50(without)} | ${p99(without)} | ${errors(without)} |`,
);
const pairs = withOps.map((w, i) => w.requests.average / without[i]!.requests.average);
console.log(
  `ratio with / without: ${(rps(withOps) / rps(without)).toFixed(3)} (ratio of medians); median of the ${runs} paired run ratios ${median(pairs).toFixed(3)} [${pairs.map((p) => p.toFixed(3)).join(', ')}]`,
);
const cpuOn = median(cpuPerRequest.on);
const cpuOff = median(cpuPerRequest.off);
console.log(
  `server CPU per request (median of runs): ${(cpuOn * 1000).toFixed(0)} µs with, ${(cpuOff * 1000).toFixed(0)} µs without: +${(((cpuOn - cpuOff) / cpuOff) * 100).toFixed(1)} % (throughput at equal CPU: ${(cpuOff / cpuOn).toFixed(3)})`,
);
console.log(`access.log lines written: ${accessLines.toLocaleString('en-US')}; /metrics body: ${metrics.length.toLocaleString('en-US')} bytes`);
fs.rmSync(dir, { recursive: true, force: true });
