/**
 * The scale curve of issue 15: for each corpus size (prefixes of one generated
 * corpus, bench/gen-corpus.ts), through the service's own commands and
 * processes:
 *
 *   - `alaw import` into an empty data directory: wall time and peak RSS
 *     (import + index, /usr/bin/time), and the index's size on disk;
 *   - a server start with that index (`node dist/main.js`): time until it
 *     listens, and its RSS;
 *   - keyword and long-query latency over HTTP (sequential; the engine's
 *     took_ms, which the search workers measure, and the wall time);
 *   - health p50/p99 while 8 clients search continuously (long queries);
 *   - incremental: `alaw import` of 1,000 new decisions while the server
 *     runs, and the time until the server answers with them;
 *   - beside it, SQLite FTS5 over the same tokens (bench/fts5-scale.mts, a
 *     process of its own) up to --fts5-max decisions.
 *
 *   npm run build && npx tsx bench/gen-corpus.ts --count 1000000 --seed 1 --out /work/big/corpus-1m.jsonl
 *   npx tsx bench/gen-corpus.ts --count 1000 --seed 2 --out /work/big/new-1000.jsonl
 *   npx tsx bench/scale.bench.ts --corpus /work/big/corpus-1m.jsonl --new /work/big/new-1000.jsonl \
 *     --sizes 13709,137090,411270,1000000 --work /work/big/scale [--fts5-max 411270] [--dist dist]
 *
 * Results go to stdout and, one JSON line per size, to <work>/scale.jsonl.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { arg, benchQueries, hashOrder, loadDevCorpus, median, percentile } from './corpus.js';
import { startService, stop } from './server.js';

const repo = path.resolve(import.meta.dirname, '..');
const corpus = path.resolve(arg('corpus', '/work/big/corpus-1m.jsonl'));
const newDocs = path.resolve(arg('new', '/work/big/new-1000.jsonl'));
const sizes = arg('sizes', '13709,137090,411270,1000000').split(',').map(Number);
const work = path.resolve(arg('work', '/work/big/scale'));
const fts5Max = Number(arg('fts5-max', '411270'));
const dist = path.resolve(arg('dist', path.join(repo, 'dist')));
const seconds = Number(arg('seconds', '10'));
const nQueries = Number(arg('queries', '60'));
/** Keep a size's data directory when it already holds an index (skip the import; its figures are not re-measured). */
const reuse = process.argv.includes('--reuse');
fs.mkdirSync(work, { recursive: true });

const { keyword: keywordQueries, long: longQueries } = benchQueries(hashOrder(loadDevCorpus()), nQueries);
fs.writeFileSync(path.join(work, 'queries.json'), JSON.stringify({ keyword: keywordQueries, long: longQueries }));

const out = (s: string): void => void process.stdout.write(`${s}\n`);
const mb = (b: number): number => Math.round((b / 1024 / 1024) * 10) / 10;

/** The first n lines of the corpus, as a file of their own (the whole corpus when n covers it). */
function prefix(n: number): string {
  const file = path.join(work, `corpus-${n}.jsonl`);
  if (fs.existsSync(file)) return file;
  execFileSync('bash', ['-c', `head -n ${n} "${corpus}" > "${file}.tmp" && mv "${file}.tmp" "${file}"`]);
  return file;
}

function dirBytes(dir: string): number {
  return fs.readdirSync(dir).reduce((s, f) => s + fs.statSync(path.join(dir, f)).size, 0);
}

function envOf(data: string): Record<string, string> {
  return {
    ALAW_DB_PATH: path.join(data, 'alaw.db'),
    ALAW_INDEX_DIR: path.join(data, 'index'),
    ALAW_QUEUE_DB_PATH: path.join(data, 'queue.db'),
    ALAW_LOG_DIR: path.join(data, 'logs'),
    ALAW_SEARCH_RELOAD_CHECK_SECONDS: '1',
  };
}

/** Runs `alaw import file` under /usr/bin/time: wall seconds, peak RSS, and what it printed. */
function timedImport(data: string, file: string): { wallS: number; rssMB: number; output: string } {
  const r = spawnSync('/usr/bin/time', ['-f', 'TIME %e %M', process.execPath, path.join(dist, 'cli/main.js'), 'import', file], {
    cwd: data,
    env: { ...process.env, ...envOf(data) },
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  const m = /TIME ([\d.]+) (\d+)/.exec(r.stderr);
  if (!m || (r.status !== 0 && r.status !== 2)) throw new Error(`alaw import failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return { wallS: Number(m[1]), rssMB: Math.round(Number(m[2]) / 1024), output: r.stdout.trim() };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
function get(port: number, p: string): Promise<{ status: number; body: string; ms: number }> {
  const t = performance.now();
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: p, agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ms: performance.now() - t }));
      })
      .on('error', reject);
  });
}

async function searchOnce(port: number, q: string): Promise<{ took: number; wall: number }> {
  const r = await get(port, `/api/search?size=10&q=${encodeURIComponent(q)}`);
  if (r.status !== 200) throw new Error(`search ${r.status}: ${r.body.slice(0, 300)}`);
  return { took: (JSON.parse(r.body) as { took_ms: number }).took_ms, wall: r.ms };
}

/** Per query the median of 3 runs (after one warm-up); p50 and p90 over queries. */
async function latency(port: number, queries: readonly string[]): Promise<{ took_p50: number; took_p90: number; wall_p50: number }> {
  const took: number[] = [];
  const wall: number[] = [];
  for (const q of queries) {
    await searchOnce(port, q);
    const runs = [await searchOnce(port, q), await searchOnce(port, q), await searchOnce(port, q)];
    took.push(median(runs.map((r) => r.took)));
    wall.push(median(runs.map((r) => r.wall)));
  }
  const r3 = (x: number): number => Math.round(x * 1000) / 1000;
  return { took_p50: r3(median(took)), took_p90: r3(percentile(took, 90)), wall_p50: r3(median(wall)) };
}

/** Health latency while `clients` loops search long queries for `seconds`. */
async function healthUnderLoad(port: number, clients: number): Promise<{ p50: number; p99: number; checks: number; searches: number; refused: number }> {
  let go = true;
  let searches = 0;
  let refused = 0;
  const loops = Array.from({ length: clients }, async (_, c) => {
    for (let i = c; go; i++) {
      const r = await get(port, `/api/search?size=10&q=${encodeURIComponent(longQueries[i % longQueries.length]!)}`);
      if (r.status === 200) searches++;
      else refused++;
    }
  });
  const ms: number[] = [];
  const probeAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const t = performance.now();
    await new Promise<void>((resolve, reject) =>
      http.get({ host: '127.0.0.1', port, path: '/api/queue/health', agent: probeAgent }, (res) => res.resume().on('end', resolve)).on('error', reject),
    );
    ms.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 20));
  }
  go = false;
  await Promise.all(loops);
  const r1 = (x: number): number => Math.round(x * 10) / 10;
  return { p50: r1(median(ms)), p99: r1(percentile(ms, 99)), checks: ms.length, searches, refused };
}

/** FTS5 over the same tokens, in a process of its own (bench/fts5-scale.mts). */
function fts5(file: string, n: number): Record<string, unknown> | null {
  if (n > fts5Max) return null;
  const db = path.join(work, `fts5-${n}.db`);
  fs.rmSync(db, { force: true });
  const r = spawnSync(
    '/usr/bin/time',
    ['-f', 'TIME %e %M', process.execPath, '--import', 'tsx', path.join(repo, 'bench/fts5-scale.mts'), file, db, path.join(work, 'queries.json')],
    { cwd: repo, encoding: 'utf8', maxBuffer: 1 << 26 },
  );
  const m = /TIME ([\d.]+) (\d+)/.exec(r.stderr);
  fs.rmSync(db, { force: true });
  if (r.status !== 0 || !m) return { error: r.stderr.slice(-500) };
  return { ...(JSON.parse(r.stdout) as Record<string, unknown>), wall_s: Number(m[1]), peak_rss_mb: Math.round(Number(m[2]) / 1024) };
}

for (const n of sizes) {
  out(`\n== ${n.toLocaleString('en')} decisions`);
  const file = prefix(n);
  const data = path.join(work, `data-${n}`);
  const reused = reuse && fs.existsSync(path.join(data, 'index', 'search.idx'));
  if (!reused) {
    fs.rmSync(data, { recursive: true, force: true });
    fs.mkdirSync(data, { recursive: true });
  }
  const imp = reused ? { wallS: Number.NaN, rssMB: Number.NaN, output: '(reused: not imported again)' } : timedImport(data, file);
  out(`alaw import: ${imp.wallS} s, peak RSS ${imp.rssMB} MB\n${imp.output}`);
  const indexDir = path.join(data, 'index');
  const manifest = JSON.parse(fs.readFileSync(path.join(indexDir, 'search.idx'), 'utf8')) as { segments: unknown[]; postingCount: number; termCount: number };
  const indexMB = mb(dirBytes(indexDir));
  out(`index: ${indexMB} MB, ${manifest.segments.length} segment(s), ${manifest.postingCount.toLocaleString('en')} postings`);

  const t0 = performance.now();
  const svc = await startService(envOf(data), { cwd: dist.endsWith('/dist') ? path.dirname(dist) : repo });
  const readyS = Math.round(performance.now() - t0) / 1000;
  const loadMs = /"load_ms":(\d+)/.exec(svc.log)?.[1];
  const rssMB = () => Math.round(Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${svc.child.pid}/status`, 'utf8'))![1]) / 1024);
  out(`server: listening ${readyS} s after spawn (index load ${loadMs ?? '?'} ms), RSS ${rssMB()} MB`);
  try {
    const keyword = await latency(svc.port, keywordQueries);
    const long = await latency(svc.port, longQueries);
    out(`keyword: engine p50/p90 ${keyword.took_p50}/${keyword.took_p90} ms, wall p50 ${keyword.wall_p50} ms`);
    out(`long:    engine p50/p90 ${long.took_p50}/${long.took_p90} ms, wall p50 ${long.wall_p50} ms`);
    const health = await healthUnderLoad(svc.port, 8);
    out(
      `health with 8 clients searching: p50 ${health.p50} ms, p99 ${health.p99} ms (${health.checks} checks, ${health.searches} searches, ${health.refused} refused)`,
    );

    // Incremental: 1,000 new decisions while the server runs.
    // Probes: new decisions whose case number no decision of the corpus has (an import merges a record into
    // the decision of the same court and number), searched by that number.
    const probes = fs
      .readFileSync(newDocs, 'utf8')
      .split('\n')
      .slice(0, 50)
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { id: string; case_number: string });
    const fresh: typeof probes = [];
    for (const p of probes) {
      const r = await get(svc.port, `/api/search?size=1&q=${encodeURIComponent(p.case_number)}`);
      if ((JSON.parse(r.body) as { query_terms: { case_numbers: string[] }; hits: { match: string }[] }).hits.every((h) => h.match !== 'case_number'))
        fresh.push(p);
      if (fresh.length >= 3) break;
    }
    const probe = fresh[0] ?? probes[0]!;
    const ti = performance.now();
    const inc = timedImport(data, newDocs);
    let served = -1;
    for (let i = 0; i < 600; i++) {
      const r = await get(svc.port, `/api/search/status`);
      const st = JSON.parse(r.body) as { segments: number; documents: number; stale: boolean };
      if (!st.stale) {
        // Served: a search by its case number finds the new decision.
        const p = await get(svc.port, `/api/search?size=20&q=${encodeURIComponent(probe.case_number)}`);
        const hits = p.status === 200 ? (JSON.parse(p.body) as { hits: { id: string }[] }).hits : [];
        if (hits.some((h) => h.id === probe.id)) {
          served = Math.round(performance.now() - ti) / 1000;
          break;
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    out(
      `incremental: alaw import of 1,000 new: ${inc.wallS} s (peak RSS ${inc.rssMB} MB); served by the running server ${served} s after the import started\n${inc.output}`,
    );
    const row = {
      n,
      import_wall_s: imp.wallS,
      import_peak_rss_mb: imp.rssMB,
      index_mb: indexMB,
      segments: manifest.segments.length,
      postings: manifest.postingCount,
      ready_s: readyS,
      load_ms: loadMs ? Number(loadMs) : null,
      server_rss_mb: rssMB(),
      keyword,
      long,
      health,
      incremental_import_s: inc.wallS,
      incremental_served_s: served,
      fts5: null as Record<string, unknown> | null,
    };
    await stop(svc.child);
    row.fts5 = fts5(file, n);
    if (row.fts5) out(`fts5: ${JSON.stringify(row.fts5)}`);
    fs.appendFileSync(path.join(work, 'scale.jsonl'), JSON.stringify(row) + '\n');
  } finally {
    await stop(svc.child);
  }
}
agent.destroy();
