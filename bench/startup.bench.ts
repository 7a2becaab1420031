/**
 * Start-up to serving with an existing index (issue 2 goal: ≤ 1 s), and the
 * first start on an empty data directory (seeding + index build).
 *
 *   npm run build && npx tsx bench/startup.bench.ts [--runs 7]
 */
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { arg, median } from './corpus.js';
import { startService, stop } from './server.js';

const runs = Number(arg('runs', '7'));
if (!fs.existsSync('dist/main.js')) execSync('npm run build', { stdio: 'inherit' });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alaw-startup-'));
const env = { ALAW_DB_PATH: path.join(dir, 'alaw.db'), ALAW_INDEX_DIR: path.join(dir, 'index'), ALAW_QUEUE_DB_PATH: path.join(dir, 'queue.db') };

const first = await startService(env);
const firstOk = await fetch(`http://127.0.0.1:${first.port}/api/search?q=${encodeURIComponent('사기')}`);
await stop(first.child);
console.log(`first start (empty data dir: import 13,709 decisions + build index): ${(first.wallMs / 1000).toFixed(1)} s, first search ${firstOk.status}`);

let rss = 0;
const walls: number[] = [];
const toFirstAnswer: number[] = [];
for (let i = 0; i < runs; i++) {
  const t = performance.now();
  const s = await startService(env);
  walls.push(s.wallMs);
  const res = await fetch(`http://127.0.0.1:${s.port}/api/search?q=${encodeURIComponent('취득시효')}`);
  await res.json();
  toFirstAnswer.push(performance.now() - t);
  if (!s.log.includes('검색 색인을 불러왔습니다')) throw new Error('index was rebuilt on a warm start');
  if (i === 0) {
    const status = fs.readFileSync(`/proc/${s.child.pid}/status`, 'utf8');
    rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  }
  await stop(s.child);
}
console.log(
  `warm start with an existing index (${runs} runs): spawn → listening median ${median(walls).toFixed(0)} ms (min ${Math.min(...walls).toFixed(0)}, max ${Math.max(...walls).toFixed(0)}); spawn → first search answered median ${median(toFirstAnswer).toFixed(0)} ms`,
);
console.log(`resident memory of the serving process after a search: ${rss.toFixed(0)} MB`);
fs.rmSync(dir, { recursive: true, force: true });
