/**
 * Case analysis without a model (issue 4): time of `analyzeCase` for 1,000-character case
 * descriptions on the bundled corpus. Descriptions are cut from the 이유 of decisions chosen by
 * hash (so the analysis has real legal prose to work on); each is analysed `--repeats` times;
 * reported: median over descriptions of the per-description median, and p90.
 *
 *   npx tsx bench/analysis.bench.ts [--descriptions 30] [--repeats 3]
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { analyzeCase } from '../src/analysis/index.js';
import { openServices } from '../src/app/index.js';
import { loadConfig } from '../src/config/index.js';
import { createLogger } from '../src/ops/index.js';
import { arg, median, percentile } from './corpus.js';

const nDesc = Number(arg('descriptions', '30'));
const repeats = Number(arg('repeats', '3'));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alaw-abench-'));
const config = loadConfig({ env: {}, overrides: { 'paths.database': path.join(dir, 'alaw.db'), 'paths.indexDir': path.join(dir, 'index') } });
console.error('seeding a database with the bundled corpus and building its index …');
const s = await openServices(config, createLogger('silent'), { seed: true });
try {
  const rows = await s.store.db.selectFrom('precedents').select(['id', 'full_text']).execute();
  const picked = rows
    .map((r) => ({ h: crypto.createHash('sha256').update(r.id).digest('hex'), text: r.full_text.split('【이유】')[1] ?? '' }))
    .filter((r) => r.text.length >= 1500)
    .sort((a, b) => a.h.localeCompare(b.h))
    .slice(0, nDesc)
    .map((r) => r.text.slice(200, 1200));
  const perDesc: number[] = [];
  for (const description of picked) {
    const times: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const t0 = performance.now();
      await analyzeCase(s.search.engine, (id) => s.store.getById(id), { description });
      times.push(performance.now() - t0);
    }
    perDesc.push(median(times));
  }
  const out = {
    descriptions: picked.length,
    chars: 1000,
    repeats,
    p50_ms: Math.round(median(perDesc) * 10) / 10,
    p90_ms: Math.round(percentile(perDesc, 90) * 10) / 10,
    max_ms: Math.round(Math.max(...perDesc) * 10) / 10,
  };
  console.log(JSON.stringify(out));
} finally {
  await s.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
