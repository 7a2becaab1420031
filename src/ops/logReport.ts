import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { gunzipStream } from './gzipFiles.js';
import { E } from '../errors/index.js';
import { classifyTarget, SUSPICIOUS_KINDS, SUSPICIOUS_NAMES, type SuspiciousKind } from './suspicious.js';

/**
 * The operations guide's `log_analyzer.py`, done properly: over the last N
 * hours of `logs/error.log`, `logs/access.log` and `logs/performance.log` —
 * every rotated copy included, the service's own `archive/*.gz` and
 * logrotate's `access.log.1`, `access.log.2.gz` … (see {@link logFilesOf}) —
 * the most frequent error patterns (ids, numbers and times normalized away so
 * one error is one pattern), total and unique errors, requests per hour and
 * per status class (429 apart from other 4xx), response-time percentiles per
 * route and the slowest routes; a security section (top talkers, 429s and
 * 401/403 per address and key, probes, oversized and malformed requests) and
 * the slow requests and tasks of performance.log.
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

/** One client address in the security section. */
export interface ClientCounts {
  ip: string;
  requests: number;
  /** 429 answers (queue full, a report already running). */
  rejected_429: number;
  /** 4xx other than 429. */
  errors_4xx: number;
  /** 401 and 403 answers. */
  auth_failures: number;
}

export interface AuthFailureCounts {
  unauthorized_401: number;
  forbidden_403: number;
  total: number;
}

export interface SecuritySection {
  /** The addresses with the most requests (top 10). */
  top_clients: ClientCounts[];
  /** The addresses with the most 429 answers (top 10). */
  top_rejected: { ip: string; count: number }[];
  auth_failures: AuthFailureCounts & {
    by_address: (AuthFailureCounts & { ip: string })[];
    /** By the key presented: a key id, `invalid:<digest prefix>` for a key nobody has, `(키 없음)` without one. */
    by_key: (AuthFailureCounts & { key: string })[];
  };
  /** Requests whose target only scanners and attackers send. */
  probes: {
    total: number;
    by_kind: Record<SuspiciousKind, number>;
    by_address: { ip: string; count: number; kinds: SuspiciousKind[] }[];
    /** The most requested probe paths (query strings are never logged). */
    paths: { path: string; count: number }[];
  };
  /** 413 body too large, 414 path too long, 431 URL or headers too long, 400 malformed request. */
  oversized_or_malformed: {
    total: number;
    by_code: { status: number; code: string | null; count: number }[];
    by_address: { ip: string; count: number }[];
  };
}

export interface SlowGroup {
  name: string;
  count: number;
  /** Of the slow ones only: performance.log holds nothing else. */
  p95_ms: number;
  max_ms: number;
}

export interface PerformanceSection {
  slow_requests: { total: number; top: SlowGroup[] };
  /** Time from submission to the end: wait plus run. */
  slow_tasks: { total: number; top: SlowGroup[] };
}

export interface LogReport {
  generated_at: string;
  hours: number;
  since: string;
  dir: string;
  files_read: string[];
  errors: { total: number; unique: number; top: ErrorPattern[] };
  /** `by_status`: `2xx`, `3xx`, `4xx` (without 429), `429`, `5xx`. */
  requests: { total: number; by_status: Record<string, number>; per_hour: { hour: string; count: number }[] };
  routes: RouteTimes[];
  slowest: RouteTimes[];
  security: SecuritySection;
  performance: PerformanceSection;
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

/** The service's own archive: `archive/<name>.log.<UTC stamp>[-n]`, gzip once the rotation finished. */
const OWN_ARCHIVE = /^\.\d{8}-\d{6}(?:-\d+)?$/u;
/** logrotate beside the live file: `<name>.log.1`, `<name>.log.2.gz` … or with `dateext`, `<name>.log-20240101`. */
const LOGROTATE = /^(?:\.\d+|-\d{8}(?:\d{2}|-\d+)?)$/u;

/**
 * Every file that can hold lines of `<name>.log` newer than `sinceMs`: the live file, the service's own
 * rotations in `archive/`, and logrotate's numbered or dated copies beside it (the guide's
 * `/etc/logrotate.d/alaw-ai`: `compress` with `delaycompress`, so `access.log.1` stays plain and
 * `access.log.2.gz` … are gzip). Each line is in exactly one file, counted once:
 * - a copy being compressed exists twice, complete (`x`) and growing (`x.gz`): the plain one is read,
 *   and a plain copy whose compression failed is read too (its lines are nowhere else);
 * - the same file under two names (a link) is read once (see the inode check in the reader).
 * A rotated file was last written when it was rotated, so one older than the window is not opened.
 * Oldest first, the live file last.
 */
export function logFilesOf(dir: string, name: string, sinceMs: number): string[] {
  const found: { file: string; mtime: number }[] = [];
  const collect = (where: string, rest: RegExp, prefix: string): void => {
    let entries: string[];
    try {
      entries = fs.readdirSync(where);
    } catch {
      return; // no such directory
    }
    const names = new Set(entries);
    for (const f of entries) {
      if (!f.startsWith(prefix)) continue;
      const plain = f.endsWith('.gz') ? f.slice(0, -3) : f;
      if (!rest.test(plain.slice(prefix.length))) continue;
      if (f !== plain && names.has(plain)) continue; // being compressed: the plain copy is complete
      const full = path.join(where, f);
      try {
        const st = fs.statSync(full);
        if (st.isFile() && st.mtimeMs >= sinceMs) found.push({ file: full, mtime: st.mtimeMs });
      } catch {
        // pruned or rotated meanwhile
      }
    }
  };
  collect(path.join(dir, 'archive'), OWN_ARCHIVE, `${name}.log`);
  collect(dir, LOGROTATE, `${name}.log`);
  found.sort((a, b) => a.mtime - b.mtime || b.file.localeCompare(a.file));
  const out = found.map((f) => f.file);
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
  /** Files already read, by device and inode: one file under two names is read once. */
  const seen = new Set<string>();
  /** The lines of each file; a file that cannot be read is reported, not fatal. */
  async function* linesOf(files: string[]): AsyncGenerator<Record<string, unknown>> {
    for (const file of files) {
      try {
        const st = fs.statSync(file);
        const id = `${st.dev}:${st.ino}`;
        if (seen.has(id)) continue;
        seen.add(id);
        for await (const l of jsonLines(file, bad)) yield l;
        read.push(file);
      } catch (err) {
        unreadable.push(`${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    }
  }
  {
    for await (const l of linesOf(logFilesOf(dir, 'error', sinceMs))) {
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

  const byRoute = new Map<string, { count: number; times: number[]; errors: number }>();
  const byHour = new Map<string, number>();
  const byStatus: Record<string, number> = {};
  const security = new SecurityCounts();
  let requests = 0;
  {
    for await (const l of linesOf(logFilesOf(dir, 'access', sinceMs))) {
      const t = timeOf(l);
      if (!(t >= sinceMs && t <= now)) continue;
      requests += 1;
      const hour = `${new Date(t).toISOString().slice(0, 13)}:00Z`;
      byHour.set(hour, (byHour.get(hour) ?? 0) + 1);
      const status = Number(l.status);
      const cls = status === 429 ? '429' : Number.isFinite(status) ? `${Math.floor(status / 100)}xx` : 'unknown';
      byStatus[cls] = (byStatus[cls] ?? 0) + 1;
      const route = `${typeof l.method === 'string' ? l.method : '?'} ${typeof l.route === 'string' ? l.route : '(없는 경로)'}`;
      const r = byRoute.get(route) ?? { count: 0, times: [], errors: 0 };
      r.count += 1;
      if (typeof l.duration_ms === 'number') r.times.push(l.duration_ms);
      if (status >= 500) r.errors += 1;
      byRoute.set(route, r);
      security.add(l, status);
    }
  }
  const slowRequests = new Map<string, number[]>();
  const slowTasks = new Map<string, number[]>();
  {
    for await (const l of linesOf(logFilesOf(dir, 'performance', sinceMs))) {
      const t = timeOf(l);
      if (!(t >= sinceMs && t <= now)) continue;
      if (l.kind === 'request') {
        const name = `${typeof l.method === 'string' ? l.method : '?'} ${typeof l.route === 'string' ? l.route : typeof l.path === 'string' ? l.path.slice(0, 200) : '(없는 경로)'}`;
        push(slowRequests, name, typeof l.duration_ms === 'number' ? l.duration_ms : NaN);
      } else if (l.kind === 'task') {
        const ms = (typeof l.wait_ms === 'number' ? l.wait_ms : 0) + (typeof l.run_ms === 'number' ? l.run_ms : 0);
        push(slowTasks, typeof l.type === 'string' ? l.type : '?', ms);
      }
    }
  }
  const routes: RouteTimes[] = [...byRoute].map(([route, r]) => {
    const sorted = r.times.sort((a, b) => a - b);
    return {
      route,
      count: r.count,
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
    requests: {
      total: requests,
      by_status: Object.fromEntries(Object.entries(byStatus).sort(([a], [b]) => a.localeCompare(b))),
      per_hour: [...byHour].sort(([a], [b]) => a.localeCompare(b)).map(([hour, count]) => ({ hour, count })),
    },
    routes,
    slowest: [...routes]
      .filter((r) => r.count >= 1)
      .sort((a, b) => b.p99_ms - a.p99_ms)
      .slice(0, 5),
    security: security.section(),
    performance: {
      slow_requests: slowGroups(slowRequests),
      slow_tasks: slowGroups(slowTasks),
    },
    unreadable_lines: bad.n,
    unreadable_files: unreadable,
  };
}

const TOP = 10;
const E_REQUEST_MALFORMED = E.REQUEST_MALFORMED.code;

function push(m: Map<string, number[]>, key: string, v: number): void {
  const list = m.get(key);
  if (list) list.push(v);
  else m.set(key, [v]);
}

function bump<K>(m: Map<K, number>, key: K, by = 1): void {
  m.set(key, (m.get(key) ?? 0) + by);
}

/** The entries with the highest counts, ties by name. */
function topOf<T>(items: Iterable<T>, count: (x: T) => number, name: (x: T) => string, n = TOP): T[] {
  return [...items].sort((a, b) => count(b) - count(a) || name(a).localeCompare(name(b))).slice(0, n);
}

function slowGroups(m: Map<string, number[]>): { total: number; top: SlowGroup[] } {
  let total = 0;
  const groups: SlowGroup[] = [];
  for (const [name, values] of m) {
    total += values.length;
    const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
    groups.push({ name, count: values.length, p95_ms: percentile(sorted, 95), max_ms: sorted[sorted.length - 1] ?? 0 });
  }
  return {
    total,
    top: topOf(
      groups,
      (g) => g.count,
      (g) => g.name,
    ),
  };
}

const isSuspiciousKind = (v: unknown): v is SuspiciousKind => typeof v === 'string' && (SUSPICIOUS_KINDS as readonly string[]).includes(v);

/** The access lines' security counts; the maps grow with the distinct addresses and keys of the period. */
class SecurityCounts {
  private readonly clients = new Map<string, ClientCounts>();
  private readonly authByAddress = new Map<string, AuthFailureCounts>();
  private readonly authByKey = new Map<string, AuthFailureCounts>();
  private readonly auth: AuthFailureCounts = { unauthorized_401: 0, forbidden_403: 0, total: 0 };
  private probes = 0;
  private readonly probeKinds = new Map<SuspiciousKind, number>();
  private readonly probeAddresses = new Map<string, { count: number; kinds: Set<SuspiciousKind> }>();
  private readonly probePaths = new Map<string, number>();
  private malformed = 0;
  private readonly malformedCodes = new Map<string, { status: number; code: string | null; count: number }>();
  private readonly malformedAddresses = new Map<string, number>();

  add(l: Record<string, unknown>, status: number): void {
    const ip = typeof l.ip === 'string' && l.ip ? l.ip : '(주소 없음)';
    const c = this.clients.get(ip) ?? { ip, requests: 0, rejected_429: 0, errors_4xx: 0, auth_failures: 0 };
    this.clients.set(ip, c);
    c.requests += 1;
    if (status === 429) c.rejected_429 += 1;
    else if (status >= 400 && status < 500) c.errors_4xx += 1;
    if (status === 401 || status === 403) {
      c.auth_failures += 1;
      const key = typeof l.key === 'string' && l.key ? l.key : '(키 없음)';
      for (const counts of [this.auth, entry(this.authByAddress, ip), entry(this.authByKey, key)]) {
        if (status === 401) counts.unauthorized_401 += 1;
        else counts.forbidden_403 += 1;
        counts.total += 1;
      }
    }
    // Lines written before the HTTP layer marked probes are classified by their path (the query was never logged).
    const kinds = Array.isArray(l.suspicious) ? l.suspicious.filter(isSuspiciousKind) : typeof l.path === 'string' ? classifyTarget(l.path) : [];
    if (kinds.length > 0) {
      this.probes += 1;
      for (const k of kinds) bump(this.probeKinds, k);
      const a = this.probeAddresses.get(ip) ?? { count: 0, kinds: new Set<SuspiciousKind>() };
      a.count += 1;
      for (const k of kinds) a.kinds.add(k);
      this.probeAddresses.set(ip, a);
      if (typeof l.path === 'string') bump(this.probePaths, l.path.slice(0, 200));
    }
    const code = typeof l.error_code === 'string' ? l.error_code : null;
    if (status === 413 || status === 414 || status === 431 || (status === 400 && code === E_REQUEST_MALFORMED)) {
      this.malformed += 1;
      const k = `${status} ${code ?? ''}`;
      const m = this.malformedCodes.get(k) ?? { status, code, count: 0 };
      m.count += 1;
      this.malformedCodes.set(k, m);
      bump(this.malformedAddresses, ip);
    }
  }

  section(): SecuritySection {
    return {
      top_clients: topOf(
        this.clients.values(),
        (c) => c.requests,
        (c) => c.ip,
      ),
      top_rejected: topOf(
        [...this.clients.values()].filter((c) => c.rejected_429 > 0).map((c) => ({ ip: c.ip, count: c.rejected_429 })),
        (x) => x.count,
        (x) => x.ip,
      ),
      auth_failures: {
        ...this.auth,
        by_address: topOf(
          [...this.authByAddress].map(([ip, c]) => ({ ip, ...c })),
          (x) => x.total,
          (x) => x.ip,
        ),
        by_key: topOf(
          [...this.authByKey].map(([key, c]) => ({ key, ...c })),
          (x) => x.total,
          (x) => x.key,
        ),
      },
      probes: {
        total: this.probes,
        by_kind: Object.fromEntries(SUSPICIOUS_KINDS.map((k) => [k, this.probeKinds.get(k) ?? 0])) as Record<SuspiciousKind, number>,
        by_address: topOf(
          [...this.probeAddresses].map(([ip, a]) => ({ ip, count: a.count, kinds: SUSPICIOUS_KINDS.filter((k) => a.kinds.has(k)) })),
          (x) => x.count,
          (x) => x.ip,
        ),
        paths: topOf(
          [...this.probePaths].map(([path, count]) => ({ path, count })),
          (x) => x.count,
          (x) => x.path,
        ),
      },
      oversized_or_malformed: {
        total: this.malformed,
        by_code: [...this.malformedCodes.values()].sort((a, b) => b.count - a.count || a.status - b.status),
        by_address: topOf(
          [...this.malformedAddresses].map(([ip, count]) => ({ ip, count })),
          (x) => x.count,
          (x) => x.ip,
        ),
      },
    };
  }
}

function entry(m: Map<string, AuthFailureCounts>, key: string): AuthFailureCounts {
  let c = m.get(key);
  if (!c) m.set(key, (c = { unauthorized_401: 0, forbidden_403: 0, total: 0 }));
  return c;
}

/** 429 (turned away) apart from the other 4xx, after them. */
const STATUS_ORDER = ['1xx', '2xx', '3xx', '4xx', '429', '5xx', 'unknown'];

const num = (n: number): string => n.toLocaleString('ko-KR');

/** The security section as Korean text. */
function formatSecurity(s: SecuritySection): string[] {
  const out = ['보안'];
  if (s.top_clients.length === 0) return [...out, '  요청 없음'];
  out.push(
    '  요청이 많은 클라이언트 주소 (상위 10):',
    `    ${'주소'.padEnd(38)} ${'요청'.padStart(9)} ${'429'.padStart(7)} ${'그 밖의 4xx'.padStart(9)} ${'401/403'.padStart(8)}`,
  );
  for (const c of s.top_clients)
    out.push(
      `    ${c.ip.padEnd(40)} ${num(c.requests).padStart(9)} ${num(c.rejected_429).padStart(7)} ${num(c.errors_4xx).padStart(12)} ${num(c.auth_failures).padStart(8)}`,
    );
  out.push(`  429 (요청 거절)가 많은 주소: ${s.top_rejected.length ? s.top_rejected.map((x) => `${x.ip} ${num(x.count)}건`).join(', ') : '없음'}`);
  const a = s.auth_failures;
  out.push(`  인증 실패 ${num(a.total)}건 (401 ${num(a.unauthorized_401)}, 403 ${num(a.forbidden_403)})`);
  if (a.total > 0) {
    out.push(`    주소별: ${a.by_address.map((x) => `${x.ip} ${num(x.total)}건 (401 ${num(x.unauthorized_401)}, 403 ${num(x.forbidden_403)})`).join(', ')}`);
    out.push(`    키별: ${a.by_key.map((x) => `${x.key} ${num(x.total)}건 (401 ${num(x.unauthorized_401)}, 403 ${num(x.forbidden_403)})`).join(', ')}`);
  }
  const p = s.probes;
  out.push(`  스캐너·공격 모양 요청 ${num(p.total)}건`);
  if (p.total > 0) {
    for (const k of SUSPICIOUS_KINDS) if (p.by_kind[k] > 0) out.push(`    ${SUSPICIOUS_NAMES[k]}: ${num(p.by_kind[k])}건`);
    out.push(`    주소별: ${p.by_address.map((x) => `${x.ip} ${num(x.count)}건`).join(', ')}`);
    out.push(`    경로: ${p.paths.map((x) => `${x.path} ${num(x.count)}건`).join(', ') || '없음'}`);
  }
  const m = s.oversized_or_malformed;
  out.push(`  너무 크거나 잘못된 요청 ${num(m.total)}건 (413 본문, 414 경로, 431 URL·헤더, 400 잘못된 요청)`);
  if (m.total > 0) {
    out.push(`    코드별: ${m.by_code.map((x) => `${x.status}${x.code ? ` ${x.code}` : ''} ${num(x.count)}건`).join(', ')}`);
    out.push(`    주소별: ${m.by_address.map((x) => `${x.ip} ${num(x.count)}건`).join(', ')}`);
  }
  return out;
}

/** The performance.log section as Korean text. */
function formatPerformance(p: PerformanceSection): string[] {
  const out = ['성능 로그 (performance.log)'];
  for (const [title, g] of [
    ['느린 요청', p.slow_requests],
    ['느린 작업 (대기+실행)', p.slow_tasks],
  ] as const) {
    out.push(`  ${title} ${num(g.total)}건`);
    for (const x of g.top) out.push(`    ${x.name.padEnd(44)} ${num(x.count).padStart(7)}건  p95 ${x.p95_ms.toFixed(1)} ms  최대 ${x.max_ms.toFixed(1)} ms`);
  }
  return out;
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
        .sort(([a], [b]) => STATUS_ORDER.indexOf(a) - STATUS_ORDER.indexOf(b))
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
  out.push('', ...formatSecurity(r.security), '', ...formatPerformance(r.performance));
  if (r.unreadable_lines) out.push('', `JSON이 아닌 줄 ${r.unreadable_lines}개는 건너뛰었습니다.`);
  if (r.unreadable_files.length) out.push('', `읽지 못한 파일 ${r.unreadable_files.length}개: ${r.unreadable_files.join(', ')}`);
  out.push('', `읽은 파일: ${r.files_read.length ? r.files_read.join(', ') : '없음 (로그 디렉터리를 확인하세요)'}`);
  return out.join('\n');
}
