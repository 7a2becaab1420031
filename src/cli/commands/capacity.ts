import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openServices, runAnalysis } from '../../app/index.js';
import { loadConfig } from '../../config/index.js';
import { buildApp } from '../../http/index.js';
import { createLogger, DEFAULT_USAGE, GUIDE_CONSTANTS, guideEstimate, measuredEstimate, type GuideConstants, type Measurements } from '../../ops/index.js';
import { E, EXIT } from '../../errors/index.js';
import { cliConfig, type GlobalOptions } from '../context.js';

export interface CapacityOptions extends GlobalOptions {
  users: string;
  measured?: boolean;
  json?: boolean;
  cpuPerUser?: string;
  memoryPerUser?: string;
  baseCpu?: string;
  baseMemory?: string;
  searchEvery?: string;
  analysisEvery?: string;
  samples?: string;
}

function positive(name: string, raw: string | undefined, fallback: number, integer = false): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+(\.\d+)?$/u.test(raw) || !(n > 0) || (integer && !Number.isInteger(n)))
    throw E.CLI_NUMBER_INVALID.error({ option: name, rule: integer ? 'positive_integer' : 'positive', value: raw });
  return n;
}

/** `--users 10,50,100,200` */
function parseUsers(raw: string): number[] {
  const parts = raw.split(',').map((s) => s.trim());
  if (parts.length === 0 || parts.length > 50 || parts.some((p) => !/^\d{1,7}$/u.test(p) || Number(p) < 1)) {
    throw E.CLI_NUMBER_INVALID.error({ option: '--users', rule: 'integer_list', value: raw });
  }
  return parts.map(Number);
}

/**
 * Times searches (through the real HTTP app and task queue, in process: routing, validation, queue
 * admission, search, snippets, JSON) and analyses on the loaded corpus: CPU and wall seconds each,
 * and the serving memory. The queue is a scratch SQLite file, never the service's own.
 */
async function measure(
  g: GlobalOptions,
  samples: number,
): Promise<Measurements & { searches: number; analyses: number; documents: number; searchConcurrency: number }> {
  const base = cliConfig(g);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'alaw-capacity-'));
  const config = loadConfig({
    file: g.config,
    overrides: {
      ...(g.db ? { 'paths.database': g.db } : {}),
      ...(g.indexDir ? { 'paths.indexDir': g.indexDir } : {}),
      'paths.queueDatabase': path.join(scratch, 'queue.db'),
      'queue.databaseUrl': '',
      'queue.profile': 'conservative',
      'queue.limits.search.max_queue_size': 1000,
      'metrics.enabled': false,
    },
  });
  const s = await openServices(config, createLogger(g.verbose ? 'info' : 'warn', 2), { seed: true, queue: true });
  const app = await buildApp(s);
  try {
    const engine = s.search.engine;
    const texts: string[] = [];
    let i = 0;
    const step = Math.max(1, Math.floor(engine.index.header.docCount / samples));
    for (const row of s.store.scanForIndex()) {
      if (i++ % step === 0 && row.full_text.length > 1200) texts.push(row.full_text);
      if (texts.length >= samples) break;
    }
    if (texts.length === 0) throw E.CAPACITY_NO_DATA.error();
    // What users send: mostly keyword searches (a few words), some case descriptions (similar-case mode).
    const queries = texts.map((t, k) => (k % 4 === 3 ? t.slice(200, 800) : t.slice(200, 400).split(/\s+/u).slice(1, 4).join(' ')));
    const timeAll = async (n: number, op: (k: number) => Promise<unknown>): Promise<{ cpu: number; wall: number }> => {
      const c0 = process.cpuUsage();
      const w0 = performance.now();
      for (let k = 0; k < n; k++) await op(k);
      const c = process.cpuUsage(c0);
      return { cpu: (c.user + c.system) / 1e6 / n, wall: (performance.now() - w0) / 1000 / n };
    };
    let bytes = 0;
    const search = async (k: number): Promise<void> => {
      const r = await app.inject({ method: 'POST', url: '/api/search', payload: { q: queries[k % queries.length]! } });
      if (r.statusCode !== 200) throw E.CAPACITY_MEASURE_FAILED.error({ status: r.statusCode, body: r.body.slice(0, 200) });
      bytes += r.rawPayload.length;
    };
    for (let k = 0; k < Math.min(20, queries.length); k++) await search(k); // warm-up
    bytes = 0;
    const searches = queries.length * 3;
    const st = await timeAll(searches, search);
    const analyses = Math.max(5, Math.floor(samples / 10));
    const deadlineMs = Date.now() + 3_600_000;
    const at = await timeAll(analyses, (k) =>
      runAnalysis(s, null, { description: texts[k % texts.length]!.slice(0, 1000) }, { signal: new AbortController().signal, deadlineMs }),
    );
    return {
      searchCpuS: st.cpu,
      searchWallS: st.wall,
      analysisCpuS: at.cpu,
      analysisWallS: at.wall,
      baseMemoryMb: process.memoryUsage.rss() / 1024 / 1024,
      // A response in flight holds its objects and JSON text: about four times the JSON size in memory.
      memoryPerInFlightMb: Math.max(0.5, ((bytes / searches) * 4) / 1024 / 1024),
      searches,
      analyses,
      documents: engine.index.header.docCount,
      searchConcurrency: base.queue.limits.search.max_concurrent,
    };
  } finally {
    await app.close();
    await s.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** `alaw capacity --users 10,50,100,200 [--measured]`: the guide's capacity table, and one from this machine's measurements. */
export async function runCapacity(opts: CapacityOptions): Promise<number> {
  const users = parseUsers(opts.users);
  const constants: GuideConstants = {
    cpuPerUser: positive('--cpu-per-user', opts.cpuPerUser, GUIDE_CONSTANTS.cpuPerUser),
    memoryPerUserMb: positive('--memory-per-user', opts.memoryPerUser, GUIDE_CONSTANTS.memoryPerUserMb),
    baseCpu: positive('--base-cpu', opts.baseCpu, GUIDE_CONSTANTS.baseCpu),
    baseMemoryMb: positive('--base-memory', opts.baseMemory, GUIDE_CONSTANTS.baseMemoryMb),
  };
  const usage = {
    searchEverySeconds: positive('--search-every', opts.searchEvery, DEFAULT_USAGE.searchEverySeconds),
    analysisEverySeconds: positive('--analysis-every', opts.analysisEvery, DEFAULT_USAGE.analysisEverySeconds),
  };
  const samples = positive('--samples', opts.samples, 200, true);
  const guide = users.map((u) => guideEstimate(u, constants));
  const m = opts.measured ? await measure(opts, samples) : null;
  const measured = m ? users.map((u) => measuredEstimate(u, m, usage, m.searchConcurrency)) : null;
  if (opts.json) {
    process.stdout.write(
      JSON.stringify({ guide: { constants, estimates: guide }, measured: m ? { measurements: m, usage, estimates: measured } : null }, null, 2) + '\n',
    );
    return EXIT.ok;
  }
  const out: string[] = [
    '운영 가이드의 공식 (사용자당 CPU ' +
      constants.cpuPerUser +
      '코어, 메모리 ' +
      constants.memoryPerUserMb +
      ' MB, 기본 CPU ' +
      constants.baseCpu +
      '코어, 메모리 ' +
      constants.baseMemoryMb +
      ' MB; 권장은 CPU +50 %, 메모리 +30 %):',
    '',
  ];
  out.push('| 동시 사용자 | 필요 CPU | 필요 메모리 | 권장 CPU | 권장 메모리 |', '| ---: | ---: | ---: | ---: | ---: |');
  for (const e of guide)
    out.push(
      `| ${e.concurrent_users} | ${e.required_cpu_cores}코어 | ${e.required_memory_mb} MB | ${e.recommended_cpu_cores}코어 | ${e.recommended_memory_mb} MB |`,
    );
  for (const e of guide) out.push(`동시 사용자 ${e.concurrent_users}명: CPU ${e.recommended_cpu_cores}코어, 메모리 ${e.recommended_memory_mb}MB`);
  if (m && measured) {
    out.push(
      '',
      `이 컴퓨터에서 잰 값 (판례 ${m.documents.toLocaleString('ko-KR')}건, 검색 ${m.searches}회, 분석 ${m.analyses}회):`,
      `  검색 1회 CPU ${(m.searchCpuS * 1000).toFixed(2)} ms (걸린 시간 ${(m.searchWallS * 1000).toFixed(2)} ms), 분석 1회 CPU ${(m.analysisCpuS * 1000).toFixed(1)} ms (${(m.analysisWallS * 1000).toFixed(1)} ms), 서버 메모리 ${Math.round(m.baseMemoryMb)} MB`,
      `  사용 모델: 사용자 한 명이 ${usage.searchEverySeconds}초마다 검색, ${usage.analysisEverySeconds}초마다 사건 분석 (--search-every, --analysis-every). 인스턴스당 동시 검색 ${m.searchConcurrency}건.`,
      '',
      '| 동시 사용자 | 검색/초 | 분석/초 | 동시 처리 | 인스턴스 | 필요 CPU | 필요 메모리 | 권장 CPU | 권장 메모리 |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const e of measured) {
      out.push(
        `| ${e.concurrent_users} | ${e.searches_per_second} | ${e.analyses_per_second} | ${e.in_flight} | ${e.instances} | ${e.required_cpu_cores}코어 | ${e.required_memory_mb} MB | ${e.recommended_cpu_cores}코어 | ${e.recommended_memory_mb} MB |`,
      );
    }
    out.push('', '언어 모델 서술은 모델 서버의 자원을 쓰므로 이 표에 들어 있지 않습니다.');
  } else {
    out.push('', '이 컴퓨터에서 검색·분석 한 번의 비용을 재어 추정하려면 --measured 를 붙이세요.');
  }
  process.stdout.write(out.join('\n') + '\n');
  return EXIT.ok;
}
