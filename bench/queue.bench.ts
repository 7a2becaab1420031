/**
 * The task queue (issue 3), in one run:
 *
 * 1. Latency the queue adds to a search: the same searches run directly on the
 *    engine and through `queue.run('search', …)` (admission, slot, completion
 *    record), alternating, on SQLite and on PostgreSQL. Also an empty task, to
 *    show the queue's own cost.
 * 2. Throughput: synchronous tasks (1 and 8 concurrent callers) and
 *    asynchronous tasks (submit N, a no-op worker drains them) on both stores.
 * 3. Overload: a real server (dist/main.js) gets bursts of searches far beyond
 *    max_queue_size on pre-opened connections, while a separate process
 *    checks /api/queue/health over keep-alive; the same bursts to an unknown
 *    route (404, no queue) show the HTTP floor.
 *
 *   npm run build && npx tsx bench/queue.bench.ts [--rounds 15] [--tasks 2000] [--bursts 5] [--burst 200] [--parts latency,throughput,overload]
 */
import { execSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openServices } from '../src/app/index.js';
import { loadConfig } from '../src/config/index.js';
import { createLogger } from '../src/ops/index.js';
import { PgQueueStore, queueOptionsOf, SqliteQueueStore, TaskQueue, type QueueStore } from '../src/queue/index.js';
import { parseSearchRequest } from '../src/app/index.js';
import { arg, KEYWORD_QUERIES, median, percentile } from './corpus.js';
import { startService, stop } from './server.js';

const rounds = Number(arg('rounds', '15'));
const nTasks = Number(arg('tasks', '2000'));
const bursts = Number(arg('bursts', '5'));
const burstSize = Number(arg('burst', '200'));
const parts = new Set(arg('parts', 'latency,throughput,overload').split(','));
const PG_ADMIN = process.env.ALAW_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const round3 = (x: number) => Math.round(x * 1000) / 1000;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alaw-qbench-'));
const config = loadConfig({
  env: {},
  overrides: { 'paths.database': path.join(dir, 'alaw.db'), 'paths.indexDir': path.join(dir, 'index'), 'paths.queueDatabase': path.join(dir, 'queue.db') },
});
const logger = createLogger('silent');
console.error('seeding a database with the bundled corpus and building its index …');
const services = await openServices(config, logger, { seed: true });
const engine = services.search.engine;

// Keyword queries and case descriptions (판시사항 of decisions, as in the relevance harness).
const keyword = KEYWORD_QUERIES;
const rows = services.store.db.selectFrom('precedents').select(['holdings']).where('holdings', 'is not', null).limit(2000).execute();
const long = (await rows)
  .map((r) => r.holdings!)
  .filter((h) => h.length >= 300)
  .filter((_, i) => i % 40 === 0)
  .slice(0, 10);
const requests = [...keyword, ...long].map((q) => parseSearchRequest({ q }, engine.settings));

async function pgDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `alaw_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN });
      await c.connect();
      await c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [name]);
      await c.query(`DROP DATABASE IF EXISTS ${name}`);
      await c.end();
    },
  };
}

function queueOn(store: QueueStore, over: { maxConcurrent?: number; maxQueueSize?: number } = {}): TaskQueue {
  const o = queueOptionsOf(config, { id: `bench-${store.kind}`, source: 'configured', file: null }, 'bench');
  const lim = { max_concurrent: over.maxConcurrent ?? 2, max_queue_size: over.maxQueueSize ?? 10, timeout: 30 };
  o.profile = { ...o.profile, mode: 'conservative', conservative: { search: lim, analysis: lim }, optimized: { search: lim, analysis: lim } };
  o.pollMs = 20;
  return new TaskQueue(store, o, logger);
}

interface LatencyRow {
  store: string;
  direct_p50_ms: number;
  queued_p50_ms: number;
  added_p50_ms: number;
  added_p95_ms: number;
  empty_task_p50_ms: number;
}

/** Per query: median of direct and of queued times over rounds; the added latency is the difference of those medians. */
async function latency(store: QueueStore): Promise<LatencyRow> {
  const q = queueOn(store);
  await q.start();
  const direct: number[][] = requests.map(() => []);
  const queued: number[][] = requests.map(() => []);
  const empty: number[] = [];
  for (let r = 0; r < rounds + 2; r++) {
    for (let i = 0; i < requests.length; i++) {
      const req = requests[i]!;
      const order = (r + i) % 2 === 0;
      for (const viaQueue of order ? [false, true] : [true, false]) {
        const t0 = performance.now();
        if (viaQueue) await q.run('search', { q: req.q.slice(0, 200) }, () => engine.run(req), { summarize: (v) => ({ total: v.total }) });
        else engine.run(req);
        const ms = performance.now() - t0;
        if (r >= 2) (viaQueue ? queued : direct)[i]!.push(ms); // two warm-up rounds
      }
      const t1 = performance.now();
      await q.run('search', {}, () => null);
      if (r >= 2) empty.push(performance.now() - t1);
    }
  }
  await q.close();
  const d = direct.map(median);
  const w = queued.map(median);
  const added = d.map((x, i) => w[i]! - x);
  return {
    store: store.kind,
    direct_p50_ms: round3(median(d)),
    queued_p50_ms: round3(median(w)),
    added_p50_ms: round3(median(added)),
    added_p95_ms: round3(percentile(added, 95)),
    empty_task_p50_ms: round3(median(empty)),
  };
}

interface ThroughputRow {
  store: string;
  sync_1_caller_per_s: number;
  sync_8_callers_per_s: number;
  async_submit_per_s: number;
  async_drain_per_s: number;
}

async function throughput(open: () => Promise<QueueStore>): Promise<ThroughputRow> {
  const sync = async (callers: number): Promise<number> => {
    const q = queueOn(await open(), { maxConcurrent: 2, maxQueueSize: 100 });
    await q.start();
    const per = Math.ceil(nTasks / callers);
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: callers }, async () => {
        for (let i = 0; i < per; i++) await q.run('search', { i }, () => i);
      }),
    );
    const rate = (per * callers) / ((performance.now() - t0) / 1000);
    await q.close();
    return Math.round(rate);
  };
  const s1 = await sync(1);
  const s8 = await sync(8);
  const q = queueOn(await open(), { maxConcurrent: 2, maxQueueSize: nTasks + 10 });
  await q.start();
  let done = 0;
  let finished!: () => void;
  const all = new Promise<void>((resolve) => (finished = resolve));
  const t0 = performance.now();
  for (let i = 0; i < nTasks; i++) await q.submit('analysis', { i });
  const submitted = performance.now();
  q.handle('analysis', async () => {
    if (++done === nTasks) setTimeout(finished, 0);
    return null;
  });
  await all;
  // The last completions are being written: wait until the table says so.
  while ((await q.store.counts(true)).analysis.processing + (await q.store.counts(true)).analysis.pending > 0) await new Promise((r) => setTimeout(r, 5));
  const drained = performance.now();
  const kind = q.store.kind;
  await q.close();
  return {
    store: kind,
    sync_1_caller_per_s: s1,
    sync_8_callers_per_s: s8,
    async_submit_per_s: Math.round(nTasks / ((submitted - t0) / 1000)),
    async_drain_per_s: Math.round(nTasks / ((drained - submitted) / 1000)),
  };
}

/** One burst of `n` requests written at once on pre-opened connections; returns status counts. */
async function burst(port: number, target: string, n: number): Promise<Record<number, number>> {
  const sockets = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<net.Socket>((resolve, reject) => {
          const c = net.connect(port, '127.0.0.1', () => resolve(c));
          c.on('error', reject);
        }),
    ),
  );
  const done = sockets.map(
    (c) =>
      new Promise<number>((resolve) => {
        let head = '';
        c.on('data', (d: Buffer) => {
          if (head.length < 20) head += d.toString('latin1');
        });
        // 'close', not 'end': a connection reset has no end, and must not hang the run.
        c.on('error', () => undefined);
        c.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1] ?? 0)));
      }),
  );
  for (const c of sockets) c.write(`GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
  const codes: Record<number, number> = {};
  for (const s of await Promise.all(done)) codes[s] = (codes[s] ?? 0) + 1;
  return codes;
}

/** Health latencies (ms) seen by a separate process over one keep-alive connection while `during` runs. */
async function healthDuring(port: number, during: () => Promise<unknown>): Promise<number[]> {
  const probe = spawn(
    process.execPath,
    [
      '-e',
      `const http=require('http');const a=new http.Agent({keepAlive:true,maxSockets:1});let go=true;const t=[];process.stdin.on('data',()=>{go=false});
     (async()=>{let warm=3;while(go){const s=performance.now();await new Promise((res,rej)=>http.get({host:'127.0.0.1',port:${port},path:'/api/queue/health',agent:a},r=>{r.resume();r.on('end',res)}).on('error',rej));if(warm>0)warm--;else t.push(performance.now()-s);await new Promise(r=>setTimeout(r,5));}
     process.stdout.write(JSON.stringify(t));process.exit(0)})();`,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  let out = '';
  probe.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise((r) => setTimeout(r, 200));
  await during();
  await new Promise((r) => setTimeout(r, 50));
  probe.stdin.write('x');
  await new Promise((r) => probe.on('exit', r));
  return JSON.parse(out) as number[];
}

async function overload(): Promise<Record<string, unknown>[]> {
  if (!fs.existsSync('dist/main.js')) execSync('npm run build', { stdio: 'inherit' });
  const svc = await startService({
    ALAW_DB_PATH: config.paths.database,
    ALAW_INDEX_DIR: config.paths.indexDir,
    ALAW_QUEUE_DB_PATH: path.join(dir, 'burst-queue.db'),
    ALAW_QUEUE_PROFILE: 'conservative',
    ALAW_LOG_LEVEL: 'info',
  });
  const searchPath = `/api/search?q=${encodeURIComponent(long[0]!.slice(0, 300))}`;
  const out: Record<string, unknown>[] = [];
  const idle = await healthDuring(svc.port, () => new Promise((r) => setTimeout(r, 1000)));
  out.push({ load: 'idle (1 s)', bursts: 1, health_checks: idle.length, health_p50_ms: round3(median(idle)), health_max_ms: round3(Math.max(...idle)) });
  for (const [label, target] of [
    [`${burstSize} searches at once`, searchPath],
    [`${burstSize} requests to a 404 route (no queue)`, '/no-such-route'],
  ] as const) {
    const p50s: number[] = [];
    const maxes: number[] = [];
    const p99s: number[] = [];
    const codes: Record<number, number[]> = {};
    for (let b = 0; b < bursts; b++) {
      let c: Record<number, number> = {};
      const t = await healthDuring(svc.port, async () => (c = await burst(svc.port, target, burstSize)));
      p50s.push(median(t));
      p99s.push(percentile(t, 99));
      maxes.push(Math.max(...t));
      for (const [k, v] of Object.entries(c)) (codes[Number(k)] ??= []).push(v);
      await new Promise((r) => setTimeout(r, 500));
    }
    out.push({
      load: label,
      bursts,
      responses: Object.fromEntries(Object.entries(codes).map(([k, v]) => [k, median(v)])),
      health_p50_ms: round3(median(p50s)),
      health_p99_ms: round3(median(p99s)),
      health_max_ms: round3(median(maxes)),
      health_worst_max_ms: round3(Math.max(...maxes)),
    });
  }
  await stop(svc.child);
  return out;
}

const db = await pgDatabase();
try {
  console.error('latency …');
  const lat = parts.has('latency')
    ? [await latency(await SqliteQueueStore.open(path.join(dir, 'lat-queue.db'))), await latency(await PgQueueStore.open(db.url))]
    : [];
  console.table(lat);
  console.error('throughput …');
  let n = 0;
  const thr = !parts.has('throughput')
    ? []
    : [
        await throughput(() => SqliteQueueStore.open(path.join(dir, `thr-${++n}.db`))),
        await throughput(async () => {
          const s = await PgQueueStore.open(db.url);
          await (s as unknown as { pool: pg.Pool }).pool.query('TRUNCATE tasks');
          return s;
        }),
      ];
  console.table(thr);
  console.error('overload …');
  const ov = parts.has('overload') ? await overload() : [];
  console.table(ov);
  const result = {
    date: new Date().toISOString(),
    machine: `${os.cpus().length} cpu, ${Math.round(os.totalmem() / 2 ** 30)} GB`,
    rounds,
    tasks: nTasks,
    latency: lat,
    throughput: thr,
    overload: ov,
  };
  fs.mkdirSync('bench/results', { recursive: true });
  fs.writeFileSync('bench/results/queue.json', JSON.stringify(result, null, 2));
  console.log(JSON.stringify(result, null, 2));
} finally {
  await services.close();
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
}
