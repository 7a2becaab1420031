/**
 * Requests/s through the guide's scale-out shape — nginx (deploy/nginx, as shipped) in front of three
 * instances on one PostgreSQL queue, started by deploy/scale-out.sh — against one instance directly
 * (SQLite queue, the default install), in one run, alternating, medians. Both answer keyword searches
 * without snippets with an API key (requests through nginx always need one). nginx's per-address limit
 * (10 r/s, burst 20) would turn a benchmark from one address away, so for this run only it is raised in
 * a copy of the files; everything else in the nginx configuration is unchanged.
 *
 *   npm run build && npx tsx bench/scaleout.bench.ts [--seconds 8] [--runs 5] [--connections 10]
 *   (needs nginx and PostgreSQL at 127.0.0.1:5432, as the tests do)
 */
import autocannon from 'autocannon';
import { execFileSync, execSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { arg, KEYWORD_QUERIES, median } from './corpus.js';
import { loadPaths, startService, stop } from './server.js';

const seconds = Number(arg('seconds', '8'));
const runs = Number(arg('runs', '5'));
const connections = Number(arg('connections', '10'));
if (!fs.existsSync('dist/main.js')) execSync('npm run build', { stdio: 'inherit' });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alaw-scaleout-bench-'));
const KEY = 'bench-admin-key-0123456789';
const paths = KEYWORD_QUERIES.map((q) => `/api/search?q=${encodeURIComponent(q)}&snippets=false`);

// A copy of deploy/ whose only change is nginx's rate.
const deployCopy = path.join(dir, 'deploy');
fs.cpSync('deploy', deployCopy, { recursive: true });
const httpConf = path.join(deployCopy, 'nginx/alaw/http.conf');
fs.writeFileSync(httpConf, fs.readFileSync(httpConf, 'utf8').replace('rate=10r/s', 'rate=100000r/s'));

const admin = new pg.Client({ connectionString: process.env.ALAW_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' });
await admin.connect();
const dbName = `alaw_bench_${process.pid}`;
await admin.query(`CREATE DATABASE ${dbName}`);
const databaseUrl = (process.env.ALAW_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres').replace(/\/[^/]*$/, `/${dbName}`);

const basePort = 20000 + (process.pid % 20000);
const listenPort = basePort + 10;
const scaleEnv = {
  ...process.env,
  DATABASE_URL: databaseUrl,
  ALAW_ADMIN_TOKEN: KEY,
  ALAW_BASE_PORT: String(basePort),
  ALAW_NGINX_LISTEN: `127.0.0.1:${listenPort}`,
  ALAW_DIST: path.resolve('dist'),
  ALAW_RUN_DIR: path.join(dir, 'run'),
  ALAW_LOGS_DIR: path.join(dir, 'logs'),
  ALAW_DB_PATH: path.join(dir, 'alaw.db'),
  ALAW_INDEX_DIR: path.join(dir, 'index'),
  ALAW_PATHS_SEED_CORPUS: path.resolve('data/precedents-dev.jsonl.gz'),
  ALAW_LOG_LEVEL: 'warn',
  // The service's own per-key limit (300 per 10 s) would turn the benchmark's key away: off on both sides.
  ALAW_SERVER_RATE_LIMIT_ENABLED: 'false',
};
execFileSync('bash', [path.join(deployCopy, 'scale-out.sh'), 'up'], { env: scaleEnv, stdio: 'inherit' });
const direct = await startService({
  ALAW_DB_PATH: path.join(dir, 'alaw.db'),
  ALAW_INDEX_DIR: path.join(dir, 'index'),
  ALAW_QUEUE_DB_PATH: path.join(dir, 'queue-direct.db'),
  ALAW_LOG_DIR: path.join(dir, 'logs-direct'),
  ALAW_ADMIN_TOKEN: KEY,
  ALAW_SERVER_RATE_LIMIT_ENABLED: 'false',
  ALAW_LOG_LEVEL: 'info',
});

const load = (port: number): Promise<autocannon.Result> => loadPaths(port, paths, { connections, seconds, headers: { authorization: `Bearer ${KEY}` } });

const targets = [
  { name: 'nginx → 3 instances (PostgreSQL queue)', port: listenPort, results: [] as autocannon.Result[] },
  { name: '1 instance directly (SQLite queue)', port: direct.port, results: [] as autocannon.Result[] },
];
try {
  for (const t of targets) await load(t.port); // warm-up
  for (let r = 0; r < runs; r++) for (const t of r % 2 ? [...targets].reverse() : targets) t.results.push(await load(t.port));
} finally {
  await stop(direct.child);
  execFileSync('bash', [path.join(deployCopy, 'scale-out.sh'), 'down'], { env: scaleEnv, stdio: 'ignore' });
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin.end();
  fs.rmSync(dir, { recursive: true, force: true });
}

console.log(
  `GET /api/search (10 keyword queries, no snippets, with a key), ${connections} connections, ${seconds} s × ${runs} alternating runs, ${os.cpus().length} cores`,
);
// Served searches only: a 429 (queue full) is answered fast and would flatter whoever refuses more.
const ok = (x: autocannon.Result): number => x['2xx'] / seconds;
console.log('| target | 2xx/s (median) | all answers/s | latency p50 | latency p99 | non-2xx (all runs) |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const t of targets) {
  const rs = t.results;
  console.log(
    `| ${t.name} | ${median(rs.map(ok)).toFixed(0)} | ${median(rs.map((x) => x.requests.average)).toFixed(0)} | ${median(rs.map((x) => x.latency.p50))} ms | ${median(rs.map((x) => x.latency.p99))} ms | ${rs.reduce((s, x) => s + x.errors + x.non2xx, 0)} |`,
  );
}
const pairs = targets[0]!.results.map((x, i) => ok(x) / ok(targets[1]!.results[i]!));
console.log(`ratio of served searches nginx→3 / direct: ${median(pairs).toFixed(3)} (median of paired runs [${pairs.map((p) => p.toFixed(2)).join(', ')}])`);
