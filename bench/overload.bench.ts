/**
 * Overload and recovery (issue 14): successful throughput and health latency at 2, 50 and 200 concurrent
 * clients, SQLite and PostgreSQL queue, for one or more git refs side by side in one run ("before and
 * after"), with server CPU per search and the ratio to a bare Fastify server answering the same body.
 *
 * For each ref: `git archive <ref> | tar -x` into a temporary directory, node_modules symlinked from this
 * checkout, `node scripts/build.mjs` there, and that dist/main.js started as a real server process (the
 * ref `worktree` is this checkout, built in place). Each ref gets its own data directory (corpus imported
 * and index built once, at a first start that is not measured); every measured server start gets a fresh
 * queue: a new SQLite file, or a PostgreSQL database of its own created and dropped on 127.0.0.1:5432.
 *
 * Per server start, for each client count: N keep-alive autocannon connections loop
 * `GET /api/search?q=<keyword>&snippets=false` for a fixed time, counting 200, 429 (and whether each
 * carries Retry-After, and its values) and other statuses; server CPU (utime + stime from /proc) over the
 * load; /api/queue/health latency from a separate process (bench/health-probe.mjs) checking every ~20 ms
 * over keep-alive. Then the Retry-After-obeying clients: 200 clients make one search each at once, wait
 * Retry-After on 429 and retry, until served or 30 s. The bare peer (bench/bare-server.mjs) gets the same
 * loads in the same run. Refs alternate (A, B, B, A, …); every figure is the median over repeats.
 *
 *   ALAW_BENCH_REFS=ed4f9d1,worktree npx tsx bench/overload.bench.ts
 *
 * Environment: ALAW_BENCH_REFS (comma-separated git refs or `worktree`; default `worktree`),
 * ALAW_BENCH_QUICK=1 (3 s per load, 1 repeat), ALAW_BENCH_SECONDS, ALAW_BENCH_REPEATS,
 * ALAW_BENCH_CLIENTS (default 2,50,200), ALAW_BENCH_BACKENDS (default sqlite,postgres),
 * ALAW_BENCH_PROFILE (queue profile of the servers; default conservative, the guide's limits),
 * ALAW_BENCH_PG_URL (admin connection; default postgres://postgres@127.0.0.1:5432/postgres).
 * Writes bench/results/overload.json and prints Markdown tables.
 */
import autocannon from 'autocannon';
import { execFileSync, execSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { KEYWORD_QUERIES, median, percentile } from './corpus.js';
import { cpuSeconds, startService, stop } from './server.js';

const env = process.env;
const QUICK = env.ALAW_BENCH_QUICK === '1';
const seconds = Number(env.ALAW_BENCH_SECONDS ?? (QUICK ? 3 : 10));
const repeats = Number(env.ALAW_BENCH_REPEATS ?? (QUICK ? 1 : 3));
const CLIENTS = (env.ALAW_BENCH_CLIENTS ?? '2,50,200').split(',').map(Number);
const BACKENDS = (env.ALAW_BENCH_BACKENDS ?? 'sqlite,postgres').split(',') as ('sqlite' | 'postgres')[];
const REFS = (env.ALAW_BENCH_REFS ?? 'worktree').split(',').map((r) => (r === 'HEAD~0' ? 'worktree' : r.trim()));
const PROFILE = env.ALAW_BENCH_PROFILE ?? 'conservative';
const PG_ADMIN = env.ALAW_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const RETRY_CLIENTS = 200;
const RETRY_DEADLINE_S = 30;
const repo = process.cwd();
const round = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const paths = KEYWORD_QUERIES.map((q) => `/api/search?q=${encodeURIComponent(q)}&snippets=false`);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'alaw-overload-'));
const loadAvg = (): string => fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const log = (s: string): void => void process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${s}\n`);

// ---------- refs: unpack, build, prepare a data directory ----------

interface Ref {
  name: string;
  commit: string;
  root: string;
  data: string;
}

function prepareRef(name: string): Ref {
  const commit =
    name === 'worktree'
      ? `${execSync('git rev-parse --short HEAD').toString().trim()}+worktree`
      : execSync(`git rev-parse --short ${name}^{commit}`).toString().trim();
  let root = repo;
  if (name !== 'worktree') {
    root = path.join(work, `src-${name.replace(/[^A-Za-z0-9._-]/g, '_')}`);
    fs.mkdirSync(root);
    execSync(`git archive ${commit} | tar -x -C ${JSON.stringify(root)}`);
    fs.symlinkSync(fs.realpathSync(path.join(repo, 'node_modules')), path.join(root, 'node_modules'));
  }
  log(`building ${name} (${commit}) in ${root} …`);
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const data = path.join(work, `data-${name.replace(/[^A-Za-z0-9._-]/g, '_')}`);
  fs.mkdirSync(data);
  return { name, commit, root, data };
}

let serial = 0;
async function pgDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `alaw_overload_${process.pid}_${++serial}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
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

interface Server {
  child: ChildProcess;
  port: number;
  close: () => Promise<void>;
}

/** A server of `ref` on a fresh queue (SQLite file or PostgreSQL database of its own) over the ref's data directory. */
async function startRef(ref: Ref, backend: 'sqlite' | 'postgres' | 'seed'): Promise<Server> {
  const n = ++serial;
  const db = backend === 'postgres' ? await pgDatabase() : null;
  const svc = await startService(
    {
      ALAW_DB_PATH: path.join(ref.data, 'alaw.db'),
      ALAW_INDEX_DIR: path.join(ref.data, 'index'),
      ALAW_PATHS_SEED_CORPUS: path.join(ref.root, 'data/precedents-dev.jsonl.gz'),
      // The SQLite queue, or with DATABASE_URL only the instance-id file beside it.
      ALAW_QUEUE_DB_PATH: path.join(ref.data, `queue-${n}`, 'queue.db'),
      ALAW_LOG_DIR: path.join(ref.data, `logs-${n}`),
      ALAW_QUEUE_PROFILE: PROFILE,
      ALAW_QUEUE_SHUTDOWN_GRACE_SECONDS: '2',
      ...(db ? { DATABASE_URL: db.url } : {}),
    },
    { cwd: ref.root },
  ).catch(async (err: unknown) => {
    await db?.drop();
    throw err;
  });
  return {
    child: svc.child,
    port: svc.port,
    close: async () => {
      const killer = setTimeout(() => svc.child.kill('SIGKILL'), 15_000);
      await stop(svc.child);
      clearTimeout(killer);
      await db?.drop();
    },
  };
}

// ---------- measurements ----------

interface Health {
  ms: number[];
  statuses: Record<string, number>;
}

/** bench/health-probe.mjs against `port` while `during` runs. */
async function healthDuring<T>(port: number, during: () => Promise<T>): Promise<{ value: T; health: Health }> {
  const probe = spawn(process.execPath, [path.join(repo, 'bench/health-probe.mjs'), String(port), '20'], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const ready = new Promise<void>((resolve) =>
    probe.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.startsWith('ready\n')) resolve();
    }),
  );
  const exited = new Promise((r) => probe.on('exit', r));
  await ready;
  await sleep(200);
  const value = await during();
  probe.stdin.write('stop\n');
  await exited;
  const health = JSON.parse(out.slice('ready\n'.length)) as Health;
  return { value, health };
}

interface LoadRow {
  ok_per_s: number;
  r429_per_s: number;
  other_per_s: number;
  errors: number;
  r429: number;
  r429_with_retry_after: number;
  retry_after_values: Record<string, number>;
  cpu_ms_per_ok: number | null;
  health_checks: number;
  health_non_200: number;
  health_p50_ms: number;
  health_p95_ms: number;
  health_p99_ms: number;
  health_max_ms: number;
}

/** `clients` keep-alive connections looping keyword searches for `seconds`, statuses counted per response. */
async function load(port: number, pid: number | undefined, clients: number, secs: number, probeHealth: boolean): Promise<LoadRow> {
  const statuses: Record<number, number> = {};
  const retryAfter: Record<string, number> = {};
  let withRetryAfter = 0;
  let i = 0;
  let counting = true;
  const run = async (): Promise<{ cpu: number; result: autocannon.Result }> => {
    const cpu0 = pid ? cpuSeconds(pid) : 0;
    const result = await autocannon({
      url: `http://127.0.0.1:${port}`,
      connections: clients,
      duration: secs,
      requests: [
        {
          method: 'GET',
          setupRequest: (req) => ({ ...req, path: paths[i++ % paths.length]! }),
          onResponse: (status, _body, _ctx, headers) => {
            if (!counting) return;
            statuses[status] = (statuses[status] ?? 0) + 1;
            if (status === 429) {
              const h = headers as Record<string, string | string[]> | undefined;
              const key = h && Object.keys(h).find((k) => k.toLowerCase() === 'retry-after');
              if (key) {
                withRetryAfter++;
                const v = String(h[key]);
                retryAfter[v] = (retryAfter[v] ?? 0) + 1;
              }
            }
          },
        },
      ],
    });
    counting = false;
    const cpu = pid ? cpuSeconds(pid) - cpu0 : 0;
    return { cpu, result };
  };
  const { value, health } = probeHealth ? await healthDuring(port, run) : { value: await run(), health: { ms: [], statuses: {} } as Health };
  const ok = statuses[200] ?? 0;
  const r429 = statuses[429] ?? 0;
  const other = Object.entries(statuses).reduce((s, [k, v]) => (k === '200' || k === '429' ? s : s + v), 0);
  const h = health.ms;
  return {
    ok_per_s: round(ok / secs),
    r429_per_s: round(r429 / secs),
    other_per_s: round(other / secs),
    errors: value.result.errors + value.result.timeouts,
    r429,
    r429_with_retry_after: withRetryAfter,
    retry_after_values: retryAfter,
    cpu_ms_per_ok: pid && ok ? round((value.cpu * 1000) / ok, 3) : null,
    health_checks: h.length,
    health_non_200: Object.entries(health.statuses).reduce((s, [k, v]) => (k === '200' ? s : s + v), 0),
    health_p50_ms: h.length ? round(median(h), 2) : NaN,
    health_p95_ms: h.length ? round(percentile(h, 95), 2) : NaN,
    health_p99_ms: h.length ? round(percentile(h, 99), 2) : NaN,
    health_max_ms: h.length ? round(Math.max(...h), 2) : NaN,
  };
}

interface RetryRow {
  clients: number;
  served: number;
  served_share: number;
  median_time_to_served_s: number | null;
  p95_time_to_served_s: number | null;
  max_time_to_served_s: number | null;
  attempts_median: number;
  attempts_max: number;
  r429_without_retry_after: number;
  other_statuses: Record<string, number>;
  health_p99_ms: number;
  health_max_ms: number;
}

/** One GET on a keep-alive agent: status and Retry-After. */
function get(agent: http.Agent, port: number, p: string): Promise<{ status: number; retryAfter: string | undefined }> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] }));
    });
    req.on('error', () => resolve({ status: 0, retryAfter: undefined }));
  });
}

/** RETRY_CLIENTS clients, one search each at once; on 429 each waits Retry-After (1 s without one) and retries, until served or the deadline. */
async function obeyRetryAfter(port: number): Promise<RetryRow> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: RETRY_CLIENTS });
  const other: Record<string, number> = {};
  let without = 0;
  const { value: outcomes, health } = await healthDuring(port, () =>
    Promise.all(
      Array.from({ length: RETRY_CLIENTS }, async (_, c) => {
        const t0 = performance.now();
        const deadline = t0 + RETRY_DEADLINE_S * 1000;
        let attempts = 0;
        while (performance.now() < deadline) {
          attempts++;
          const r = await get(agent, port, paths[c % paths.length]!);
          const now = performance.now();
          if (r.status === 200) return { servedS: (now - t0) / 1000, attempts };
          if (r.status === 429 && r.retryAfter === undefined) without++;
          if (r.status !== 429) other[r.status] = (other[r.status] ?? 0) + 1;
          const waitMs = (Number(r.retryAfter ?? '1') || 1) * 1000;
          if (now + waitMs > deadline) break;
          await sleep(waitMs);
        }
        return { servedS: null, attempts };
      }),
    ),
  );
  agent.destroy();
  const times = outcomes.flatMap((o) => (o.servedS === null ? [] : [o.servedS]));
  const attempts = outcomes.map((o) => o.attempts);
  return {
    clients: RETRY_CLIENTS,
    served: times.length,
    served_share: round(times.length / RETRY_CLIENTS, 3),
    median_time_to_served_s: times.length ? round(median(times), 2) : null,
    p95_time_to_served_s: times.length ? round(percentile(times, 95), 2) : null,
    max_time_to_served_s: times.length ? round(Math.max(...times), 2) : null,
    attempts_median: median(attempts),
    attempts_max: Math.max(...attempts),
    r429_without_retry_after: without,
    other_statuses: other,
    health_p99_ms: health.ms.length ? round(percentile(health.ms, 99), 2) : NaN,
    health_max_ms: health.ms.length ? round(Math.max(...health.ms), 2) : NaN,
  };
}

// ---------- the run ----------

type Target = string; // `${ref}|${backend}` or 'bare'
const loads = new Map<string, LoadRow[]>(); // `${target}|${clients}` → one row per repeat
const retries = new Map<string, RetryRow[]>(); // target → one row per repeat
const push = <T>(m: Map<string, T[]>, k: string, v: T): void => void (m.get(k) ?? m.set(k, []).get(k)!).push(v);

const startedAt = new Date().toISOString();
const loadBefore = loadAvg();
const refs: Ref[] = [];
let bare: ChildProcess | undefined;
try {
  for (const name of REFS) refs.push(prepareRef(name));
  // First start of each ref imports the corpus and builds its index (not measured).
  let body = '';
  for (const ref of refs) {
    log(`${ref.name}: first start (import and index) …`);
    const s = await startRef(ref, 'seed');
    if (!body) body = await (await fetch(`http://127.0.0.1:${s.port}${paths[1]}`)).text();
    await s.close();
  }
  const bodyFile = path.join(work, 'body.json');
  fs.writeFileSync(bodyFile, body);
  const bareProc = spawn(process.execPath, [path.join(repo, 'bench/bare-server.mjs'), bodyFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  bare = bareProc;
  const barePort = await new Promise<number>((resolve) =>
    bareProc.stdout.on('data', (d: Buffer) => resolve(Number(/listening (\d+)/.exec(d.toString())?.[1]))),
  );
  await load(barePort, bareProc.pid, 10, 1, false); // warm-up

  for (let r = 0; r < repeats; r++) {
    for (const backend of BACKENDS) {
      for (const ref of r % 2 ? [...refs].reverse() : refs) {
        const target: Target = `${ref.name}|${backend}`;
        log(`repeat ${r + 1}/${repeats}: ${target} …`);
        const s = await startRef(ref, backend);
        try {
          await load(s.port, undefined, 10, 1, false); // warm-up
          for (const clients of CLIENTS) {
            await sleep(500);
            const row = await load(s.port, s.child.pid, clients, seconds, true);
            log(`  ${clients} clients: ${row.ok_per_s} 200/s, ${row.r429_per_s} 429/s, health p99 ${row.health_p99_ms} ms, cpu/search ${row.cpu_ms_per_ok} ms`);
            push(loads, `${target}|${clients}`, row);
          }
          await sleep(1000);
          const rr = await obeyRetryAfter(s.port);
          log(`  Retry-After-obeying: ${rr.served}/${rr.clients} served, median ${rr.median_time_to_served_s} s`);
          push(retries, target, rr);
        } finally {
          await s.close();
        }
      }
    }
    for (const clients of CLIENTS) {
      const row = await load(barePort, bareProc.pid, clients, seconds, false);
      log(`  bare Fastify, ${clients} clients: ${row.ok_per_s} 200/s`);
      push(loads, `bare|${clients}`, row);
    }
  }
} finally {
  bare?.kill();
  fs.rmSync(work, { recursive: true, force: true });
}

// ---------- report ----------

const med = (rows: LoadRow[] | undefined, f: (x: LoadRow) => number | null): number => {
  const xs = (rows ?? []).map(f).filter((x): x is number => x !== null && !Number.isNaN(x));
  return xs.length ? median(xs) : NaN;
};
const fmt = (x: number, d = 0): string => (Number.isNaN(x) ? '—' : x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));
/** Per-repeat ratio a/b (paired by repeat index), median. */
const pairedRatio = (a: LoadRow[] | undefined, b: LoadRow[] | undefined): number => {
  const xs = (a ?? []).flatMap((x, i) => (b?.[i] && b[i].ok_per_s > 0 ? [x.ok_per_s / b[i].ok_per_s] : []));
  return xs.length ? median(xs) : NaN;
};
const mergeCounts = (rows: { retry_after_values: Record<string, number> }[]): string => {
  const all: Record<string, number> = {};
  for (const r of rows) for (const [k, v] of Object.entries(r.retry_after_values)) all[k] = (all[k] ?? 0) + v;
  const keys = Object.keys(all).sort((a, b) => Number(a) - Number(b));
  return keys.length ? keys.map((k) => `${k} s × ${all[k]}`).join(', ') : '—';
};

const lines: string[] = [];
const out = (s = ''): void => void lines.push(s);
const refLabel = (name: string): string => {
  const ref = refs.find((x) => x.name === name);
  return ref && ref.commit !== name ? `${name} (${ref.commit})` : name;
};
out(
  `Overload (issue 14): ${os.cpus().length} cores, Node ${process.version}, ${seconds} s per load × ${repeats} repeat(s), medians; queue profile ${PROFILE}; ` +
    `load average ${loadBefore} before, ${loadAvg()} after; ${startedAt.slice(0, 16).replace('T', ' ')} UTC`,
);
out();
out(
  '`GET /api/search?q=<10 keywords>&snippets=false`, N keep-alive clients (autocannon) for the whole load; health = `/api/queue/health` every ~20 ms from another process.',
);
out();
out(
  '| ref | queue | clients | 200/s | 429/s | other/s (conn. errors) | 429s with Retry-After | Retry-After values (all repeats) | server CPU / search | health p50 | p95 | p99 | max | ÷ bare Fastify |',
);
out('| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const backend of BACKENDS)
  for (const ref of refs)
    for (const clients of CLIENTS) {
      const rows = loads.get(`${ref.name}|${backend}|${clients}`);
      const n429 = (rows ?? []).reduce((s, x) => s + x.r429, 0);
      const withRa = (rows ?? []).reduce((s, x) => s + x.r429_with_retry_after, 0);
      out(
        `| ${refLabel(ref.name)} | ${backend} | ${clients} | ${fmt(med(rows, (x) => x.ok_per_s))} | ${fmt(med(rows, (x) => x.r429_per_s))} | ${fmt(med(rows, (x) => x.other_per_s))} (${(rows ?? []).reduce((s, x) => s + x.errors, 0)}) | ` +
          `${n429 ? `${withRa} / ${n429}` : '—'} | ${mergeCounts(rows ?? [])} | ${fmt(
            med(rows, (x) => x.cpu_ms_per_ok),
            2,
          )} ms | ` +
          `${fmt(
            med(rows, (x) => x.health_p50_ms),
            1,
          )} | ${fmt(
            med(rows, (x) => x.health_p95_ms),
            1,
          )} | ${fmt(
            med(rows, (x) => x.health_p99_ms),
            1,
          )} | ${fmt(
            med(rows, (x) => x.health_max_ms),
            1,
          )} ms | ` +
          `${fmt(pairedRatio(rows, loads.get(`bare|${clients}`)), 3)} |`,
      );
    }
for (const clients of CLIENTS) {
  const rows = loads.get(`bare|${clients}`);
  out(
    `| bare Fastify (same body) | — | ${clients} | ${fmt(med(rows, (x) => x.ok_per_s))} | ${fmt(med(rows, (x) => x.r429_per_s))} | ${fmt(med(rows, (x) => x.other_per_s))} (${(rows ?? []).reduce((s, x) => s + x.errors, 0)}) | — | — | ${fmt(
      med(rows, (x) => x.cpu_ms_per_ok),
      3,
    )} ms | — | — | — | — | 1 |`,
  );
}
out();
const lo = Math.min(...CLIENTS);
const hi = Math.max(...CLIENTS);
out(`Issue 14 goals (${hi} clients unless stated):`);
out();
out(
  `| ref | queue | 200/s at ${hi} ÷ at ${lo} (≥ 0.80) | health p99 at ${hi} (≤ 100 ms) | CPU / search at ${lo} (≤ 0.8 ms) | ÷ bare at ${lo} (≥ 0.25) | every 429 with Retry-After | Retry-After obeyed: served within ${RETRY_DEADLINE_S} s | median time to served |`,
);
out('| --- | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: |');
const mark = (ok: boolean, s: string): string => (ok ? `**${s}**` : s);
const summary: Record<string, unknown>[] = [];
for (const backend of BACKENDS)
  for (const ref of refs) {
    const t = `${ref.name}|${backend}`;
    const scale = pairedRatio(loads.get(`${t}|${hi}`), loads.get(`${t}|${lo}`));
    const p99 = med(loads.get(`${t}|${hi}`), (x) => x.health_p99_ms);
    const cpu = med(loads.get(`${t}|${lo}`), (x) => x.cpu_ms_per_ok);
    const vsBare = pairedRatio(loads.get(`${t}|${lo}`), loads.get(`bare|${lo}`));
    const all = CLIENTS.flatMap((c) => loads.get(`${t}|${c}`) ?? []);
    const n429 = all.reduce((s, x) => s + x.r429, 0);
    const withRa = all.reduce((s, x) => s + x.r429_with_retry_after, 0);
    const rr = retries.get(t) ?? [];
    const share = rr.length ? median(rr.map((x) => x.served_share)) : NaN;
    const tts = rr.flatMap((x) => (x.median_time_to_served_s === null ? [] : [x.median_time_to_served_s]));
    summary.push({
      ref: ref.name,
      commit: ref.commit,
      backend,
      scale,
      health_p99_ms: p99,
      cpu_ms_per_search: cpu,
      vs_bare: vsBare,
      r429: n429,
      r429_with_retry_after: withRa,
      retry_served_share: share,
    });
    out(
      `| ${refLabel(ref.name)} | ${backend} | ${mark(scale >= 0.8, fmt(scale, 2))} | ${mark(p99 <= 100, `${fmt(p99, 1)} ms`)} | ${mark(cpu <= 0.8, `${fmt(cpu, 2)} ms`)} | ${mark(vsBare >= 0.25, fmt(vsBare, 3))} | ` +
        `${n429 ? mark(withRa === n429, `${withRa} / ${n429}`) : 'no 429'} | ${mark(share === 1, `${fmt(share * 100, 1)} %`)} | ${tts.length ? `${fmt(median(tts), 2)} s` : '—'} |`,
    );
  }
out();
out(
  'Bold: goal met. Ratios are medians of per-repeat ratios (same repeat, same machine state); CPU is utime + stime of the server process over the load (10 ms ticks), divided by the searches answered 200; it includes the health checks and the 429s.',
);
const report = lines.join('\n');
console.log(report);

fs.mkdirSync('bench/results', { recursive: true });
fs.writeFileSync(
  'bench/results/overload.json',
  JSON.stringify(
    {
      date: startedAt,
      machine: `${os.cpus().length} cpu, ${Math.round(os.totalmem() / 2 ** 30)} GB, Node ${process.version}`,
      load_average: { before: loadBefore, after: loadAvg() },
      refs: refs.map((r) => ({ name: r.name, commit: r.commit })),
      seconds,
      repeats,
      clients: CLIENTS,
      backends: BACKENDS,
      profile: PROFILE,
      loads: Object.fromEntries(loads),
      retry_after_obeying: Object.fromEntries(retries),
      summary,
      report,
    },
    null,
    2,
  ),
);
log('wrote bench/results/overload.json');
