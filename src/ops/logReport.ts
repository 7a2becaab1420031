import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { gunzipStream } from './gzipFiles.js';

/**
 * The operations guide's `log_analyzer.py`, done properly: over the last N
 * hours of `logs/error.log` and `logs/access.log` — rotated and gzipped
 * archives included — the most frequent error patterns (ids, numbers and
 * times normalized away so one error is one pattern), total and unique
 * errors, requests per hour, response-time percentiles per route and the
 * slowest routes.
 */

export interface ErrorPattern {
  pattern: string;
  count: number;
  first_seen: string;
  last_seen: string;
  /** One original message of the pattern. */
  example: string;
}

export interface RouteTimes {
  route: string;
  count: number;
  errors_5xx: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number;
}

export interface LogReport {
  generated_at: string;
  hours: number;
  since: string;
  dir: string;
  files_read: string[];
  errors: { total: number; unique: number; top: ErrorPattern[] };
  requests: { total: number; by_status: Record<string, number>; per_hour: { hour: string; count: number }[] };
  routes: RouteTimes[];
  slowest: RouteTimes[];
  /** Lines that were not JSON (another writer, a truncated line): counted, not fatal. */
  unreadable_lines: number;
  /** Files that could not be read (permissions, a broken archive), with the reason. */
  unreadable_files: string[];
}

const NORMALIZERS: [RegExp, string][] = [
  [/\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?/gu, '<time>'],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/giu, '<uuid>'],
  [/\b\d{1,3}(\.\d{1,3}){3}(:\d+)?\b/gu, '<ip>'],
  [/\bkey_[0-9a-f]{12}\b/gu, '<key>'],
  [/\b[a-z]+-[0-9a-f]{12,}\b/giu, '<id>'],
  [/\b[0-9a-f]{8,}\b/giu, '<hex>'],
  [/\b\d+(\.\d+)?\b/gu, '<n>'],
];

/** One pattern per kind of error: ids, hex strings, numbers and times replaced by placeholders. */
export function normalizeError(message: string): string {
  let s = message;
  for (const [re, to] of NORMALIZERS) s = s.replace(re, to);
  return s.replace(/\s+/gu, ' ').trim().slice(0, 300);
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** The current file and its archives (`archive/<name>.log.*.gz`) that can hold lines newer than `sinceMs`. */
function filesOf(dir: string, name: string, sinceMs: number): string[] {
  const out: string[] = [];
  const archive = path.join(dir, 'archive');
  if (fs.existsSync(archive)) {
    for (const f of fs.readdirSync(archive).sort()) {
      // Finished archives only: while a rotation compresses, the uncompressed copy and the growing .gz both exist.
      if (!f.startsWith(`${name}.log.`) || !f.endsWith('.gz')) continue;
      const full = path.join(archive, f);
      try {
        // An archive was last written when it was rotated: older than the window means nothing in it counts.
        if (fs.statSync(full).mtimeMs >= sinceMs) out.push(full);
      } catch {
        // pruned meanwhile
      }
    }
  }
  const current = path.join(dir, `${name}.log`);
  if (fs.existsSync(current)) out.push(current);
  return out;
}

async function* jsonLines(file: string, bad: { n: number }): AsyncGenerator<Record<string, unknown>> {
  const input: NodeJS.ReadableStream = file.endsWith('.gz') ? gunzipStream(file) : fs.createReadStream(file);
  const rl = readline.createInterface({ input, crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line.trim()) continue;
    try {
      const v = JSON.parse(line) as unknown;
      if (v && typeof v === 'object') yield v as Record<string, unknown>;
      else bad.n += 1;
    } catch {
      bad.n += 1;
    }
  }
}

const timeOf = (l: Record<string, unknown>): number => (typeof l.time === 'string' ? Date.parse(l.time) : typeof l.time === 'number' ? l.time : NaN);

export async function buildLogReport(dir: string, hours: number, now = Date.now()): Promise<LogReport> {
  const sinceMs = now - hours * 3_600_000;
  const bad = { n: 0 };
  const read: string[] = [];

  const patterns = new Map<string, ErrorPattern>();
  let totalErrors = 0;
  const unreadable: string[] = [];
  /** The lines of each file; a file that cannot be read is reported, not fatal. */
  async function* linesOf(files: string[]): AsyncGenerator<Record<string, unknown>> {
    for (const file of files) {
      try {
        for await (const l of jsonLines(file, bad)) yield l;
        read.push(file);
      } catch (err) {
        unreadable.push(`${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    }
  }
  {
    for await (const l of linesOf(filesOf(dir, 'error', sinceMs))) {
      const t = timeOf(l);
      if (!(t >= sinceMs && t <= now) || Number(l.level) < 50) continue;
      const err = l.err as { message?: unknown; type?: unknown } | undefined;
      const message =
        [typeof l.msg === 'string' ? l.msg : '', typeof err?.message === 'string' ? err.message : ''].filter(Boolean).join(': ') || '(메시지 없음)';
      const key = normalizeError(message);
      const iso = new Date(t).toISOString();
      const p = patterns.get(key) ?? { pattern: key, count: 0, first_seen: iso, last_seen: iso, example: message.slice(0, 300) };
      p.count += 1;
      if (iso < p.first_seen) p.first_seen = iso;
      if (iso > p.last_seen) p.last_seen = iso;
      patterns.set(key, p);
      totalErrors += 1;
    }
  }

  const byRoute = new Map<string, { times: number[]; errors: number }>();
  const byHour = new Map<string, number>();
  const byStatus: Record<string, number> = {};
  let requests = 0;
  {
    for await (const l of linesOf(filesOf(dir, 'access', sinceMs))) {
      const t = timeOf(l);
      if (!(t >= sinceMs && t <= now)) continue;
      requests += 1;
      const hour = `${new Date(t).toISOString().slice(0, 13)}:00Z`;
      byHour.set(hour, (byHour.get(hour) ?? 0) + 1);
      const status = Number(l.status);
      const cls = Number.isFinite(status) ? `${Math.floor(status / 100)}xx` : 'unknown';
      byStatus[cls] = (byStatus[cls] ?? 0) + 1;
      const route = `${typeof l.method === 'string' ? l.method : '?'} ${typeof l.route === 'string' ? l.route : '(없는 경로)'}`;
      const r = byRoute.get(route) ?? { times: [], errors: 0 };
      if (typeof l.duration_ms === 'number') r.times.push(l.duration_ms);
      if (status >= 500) r.errors += 1;
      byRoute.set(route, r);
    }
  }
  const routes: RouteTimes[] = [...byRoute].map(([route, r]) => {
    const sorted = r.times.sort((a, b) => a - b);
    return {
      route,
      count: sorted.length,
      errors_5xx: r.errors,
      p50_ms: percentile(sorted, 50),
      p90_ms: percentile(sorted, 90),
      p99_ms: percentile(sorted, 99),
      max_ms: sorted[sorted.length - 1] ?? 0,
    };
  });
  routes.sort((a, b) => b.count - a.count || a.route.localeCompare(b.route));
  const top = [...patterns.values()].sort((a, b) => b.count - a.count || a.pattern.localeCompare(b.pattern));
  return {
    generated_at: new Date(now).toISOString(),
    hours,
    since: new Date(sinceMs).toISOString(),
    dir,
    files_read: read,
    errors: { total: totalErrors, unique: patterns.size, top: top.slice(0, 10) },
    requests: { total: requests, by_status: byStatus, per_hour: [...byHour].sort(([a], [b]) => a.localeCompare(b)).map(([hour, count]) => ({ hour, count })) },
    routes,
    slowest: [...routes]
      .filter((r) => r.count >= 1)
      .sort((a, b) => b.p99_ms - a.p99_ms)
      .slice(0, 5),
    unreadable_lines: bad.n,
    unreadable_files: unreadable,
  };
}

/** The report as a Korean text for the terminal. */
export function formatLogReport(r: LogReport): string {
  const out: string[] = [`로그 보고서: 지난 ${r.hours}시간 (${r.since} 이후), ${r.dir}`, ''];
  out.push(`오류 ${r.errors.total.toLocaleString('ko-KR')}건, 서로 다른 오류 ${r.errors.unique}가지`);
  r.errors.top.forEach((p, i) => out.push(`  ${String(i + 1).padStart(2)}. ${String(p.count).padStart(6)}회  ${p.pattern}  (마지막 ${p.last_seen})`));
  out.push(
    '',
    `요청 ${r.requests.total.toLocaleString('ko-KR')}건 (${
      Object.entries(r.requests.by_status)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || '없음'
    })`,
  );
  if (r.requests.per_hour.length) {
    out.push('시간대별 요청 (UTC):');
    const max = Math.max(...r.requests.per_hour.map((h) => h.count));
    for (const h of r.requests.per_hour) out.push(`  ${h.hour}  ${String(h.count).padStart(7)}  ${'█'.repeat(Math.max(1, Math.round((h.count / max) * 30)))}`);
  }
  if (r.routes.length) {
    out.push(
      '',
      '경로별 응답 시간 (ms):',
      `  ${'경로'.padEnd(44)} ${'건수'.padStart(8)} ${'p50'.padStart(8)} ${'p90'.padStart(8)} ${'p99'.padStart(8)} ${'최대'.padStart(8)} ${'5xx'.padStart(5)}`,
    );
    for (const x of r.routes)
      out.push(
        `  ${x.route.padEnd(46)} ${String(x.count).padStart(8)} ${x.p50_ms.toFixed(1).padStart(8)} ${x.p90_ms.toFixed(1).padStart(8)} ${x.p99_ms.toFixed(1).padStart(8)} ${x.max_ms.toFixed(1).padStart(8)} ${String(x.errors_5xx).padStart(5)}`,
      );
    out.push('', `가장 느린 경로 (p99): ${r.slowest.map((x) => `${x.route} ${x.p99_ms.toFixed(1)} ms`).join(', ')}`);
  }
  if (r.unreadable_lines) out.push('', `JSON이 아닌 줄 ${r.unreadable_lines}개는 건너뛰었습니다.`);
  if (r.unreadable_files.length) out.push('', `읽지 못한 파일 ${r.unreadable_files.length}개: ${r.unreadable_files.join(', ')}`);
  out.push('', `읽은 파일: ${r.files_read.length ? r.files_read.join(', ') : '없음 (로그 디렉터리를 확인하세요)'}`);
  return out.join('\n');
}
