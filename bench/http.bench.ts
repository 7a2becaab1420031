/**
 * HTTP throughput of GET /api/search (with snippets, as users call it) compared
 * with a bare Fastify route returning a fixed body of the same size, on the
 * same machine, in one run. autocannon, 10 connections, alternating runs,
 * medians.
 *
 *   npm run build && npx tsx bench/http.bench.ts [--seconds 10] [--runs 3] [--connections 10]
 */
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { arg, KEYWORD_QUERIES, median } from './corpus.js';
import { loadPaths, startService, stop } from './server.js';

const seconds = Number(arg('seconds', '10'));
const runs = Number(arg('runs', '3'));
const connections = Number(arg('connections', '10'));
if (!fs.existsSync('dist/main.js')) execSync('npm run build', { stdio: 'inherit' });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alaw-http-'));
const env = {
  ALAW_DB_PATH: path.join(dir, 'alaw.db'),
  ALAW_INDEX_DIR: path.join(dir, 'index'),
  ALAW_QUEUE_DB_PATH: path.join(dir, 'queue.db'),
  ALAW_LOG_LEVEL: 'warn',
};

const queries = KEYWORD_QUERIES;
const paths = queries.map((q) => `/api/search?q=${encodeURIComponent(q)}`);
const plainPaths = paths.map((p) => `${p}&snippets=false`);

const svc = await startService({ ...env, ALAW_LOG_LEVEL: 'info' });
const sample = await (await fetch(`http://127.0.0.1:${svc.port}${paths[1]}`)).text();
const bodyFile = path.join(dir, 'body.json');
fs.writeFileSync(bodyFile, sample);
const bare = spawn(process.execPath, ['bench/bare-server.mjs', bodyFile], { stdio: ['ignore', 'pipe', 'inherit'] });
const barePort = await new Promise<number>((resolve) => bare.stdout.on('data', (d: Buffer) => resolve(Number(/listening (\d+)/.exec(d.toString())?.[1]))));

const load = (port: number, list = paths): Promise<autocannon.Result> => loadPaths(port, list, { connections, seconds });

const ours: autocannon.Result[] = [];
const plain: autocannon.Result[] = [];
const bares: autocannon.Result[] = [];
await load(svc.port); // warm-up
for (let r = 0; r < runs; r++) {
  ours.push(await load(svc.port));
  plain.push(await load(svc.port, plainPaths));
  bares.push(await load(barePort));
}
await stop(svc.child);
bare.kill();
const rps = (rs: autocannon.Result[]): number => median(rs.map((x) => x.requests.average));
const p50 = (rs: autocannon.Result[]): number => median(rs.map((x) => x.latency.p50));
const p99 = (rs: autocannon.Result[]): number => median(rs.map((x) => x.latency.p99));
const errors = (rs: autocannon.Result[]): number => rs.reduce((s, x) => s + x.errors + x.non2xx, 0);
console.log(`HTTP, ${connections} connections, ${seconds} s × ${runs} alternating runs, response ${sample.length} bytes`);
console.log('| server | req/s (median) | latency p50 (ms) | latency p99 (ms) | errors/non-2xx |');
console.log('| --- | ---: | ---: | ---: | ---: |');
console.log(`| ALaw GET /api/search (10 keyword queries, snippets) | ${rps(ours).toFixed(0)} | ${p50(ours)} | ${p99(ours)} | ${errors(ours)} |`);
console.log(`| ALaw GET /api/search, snippets=false | ${rps(plain).toFixed(0)} | ${p50(plain)} | ${p99(plain)} | ${errors(plain)} |`);
console.log(`| bare Fastify, fixed body | ${rps(bares).toFixed(0)} | ${p50(bares)} | ${p99(bares)} | ${errors(bares)} |`);
console.log(`ratio ALaw / bare: ${(rps(ours) / rps(bares)).toFixed(3)} with snippets, ${(rps(plain) / rps(bares)).toFixed(3)} without`);
fs.rmSync(dir, { recursive: true, force: true });
