import { E, EXIT } from '../../errors/index.js';
import {
  createBackup,
  createLogger,
  dataDirsOf,
  listBackups,
  liveDataLocks,
  readManifest,
  restoreBackup,
  stopLockHolder,
  verifyBackup,
} from '../../ops/index.js';
import { openQueueStore } from '../../queue/index.js';
import fs from 'node:fs';
import path from 'node:path';
import { configFileOf as loadedConfigFile } from '../../config/index.js';
import { cliConfig, type GlobalOptions } from '../context.js';

const configFileOf = (g: GlobalOptions): string | null => loadedConfigFile({ file: g.config });

type Common = GlobalOptions & { dir?: string; json?: boolean };

/** A file's row counts, as the backup commands print them after it (`  tasks 3, api_keys 1`). */
const rowsText = (rows: Record<string, number> | null | undefined): string =>
  rows
    ? `  ${Object.entries(rows)
        .map(([t, n]) => `${t} ${n}`)
        .join(', ')}`
    : '';

const kb = (n: number): string => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${(n / 1024).toFixed(1)} KB`);

/** `alaw backup`: the databases (SQLite online backup, PostgreSQL pg_dump), optionally config and index; old runs pruned. */
export async function runBackup(opts: Common & { withIndex?: boolean; withConfig?: boolean; keepDays?: string }): Promise<number> {
  const config = cliConfig(opts);
  let keepDays = config.backup.keepDays;
  if (opts.keepDays !== undefined) {
    if (!/^\d{1,5}$/u.test(opts.keepDays)) throw E.CLI_NUMBER_INVALID.error({ option: '--keep-days', rule: 'non_negative_integer', value: opts.keepDays });
    keepDays = Number(opts.keepDays);
  }
  const configFile = opts.withConfig ? configFileOf(opts) : null;
  if (opts.withConfig && !configFile) throw E.BACKUP_CONFIG_MISSING.error();
  const dir = opts.dir ?? config.backup.dir;
  const r = await createBackup(config, { dir, withIndex: opts.withIndex, configFile, keepDays });
  if (opts.json) {
    process.stdout.write(JSON.stringify({ manifest_file: r.manifestFile, ...r.manifest, pruned: r.pruned }, null, 2) + '\n');
    return EXIT.ok;
  }
  const lines = [`백업 완료: ${r.manifestFile}`];
  for (const f of r.manifest.files) lines.push(`  ${f.file}  ${kb(f.bytes)}  sha256 ${f.sha256.slice(0, 12)}…${rowsText(f.rows)}`);
  if (r.pruned.length) lines.push(`${keepDays}일보다 오래된 백업 파일 ${r.pruned.length}개를 지웠습니다.`);
  lines.push(`검증: alaw backup verify ${r.manifest.stamp}   복원: alaw restore ${r.manifest.stamp} --yes`);
  process.stdout.write(lines.join('\n') + '\n');
  return EXIT.ok;
}

/** `alaw backup verify REF`: checksums, and each database restored into a scratch copy with equal row counts. */
export async function runBackupVerify(ref: string, opts: Common): Promise<number> {
  const config = cliConfig(opts);
  const r = await verifyBackup(ref, opts.dir ?? config.backup.dir, config);
  if (opts.json) process.stdout.write(JSON.stringify({ ok: true, ...r }, null, 2) + '\n');
  else {
    const lines = [`백업 ${r.stamp}: 정상 (체크섬 일치, 임시 복원 후 행 수 일치)`];
    for (const f of r.files) lines.push(`  ${f.file}${rowsText(f.rows)}`);
    process.stdout.write(lines.join('\n') + '\n');
  }
  return EXIT.ok;
}

/**
 * `alaw restore REF --yes [--stop-server [--stop-timeout S]]` (also `alaw backup restore`): refuses without
 * --yes, and while a live service holds the data directory (its lock file: src/ops/dataLock.ts) or heartbeats
 * in the queue. With --stop-server it stops the lock-holding services first (SIGTERM, waiting for them to
 * exit); if one does not stop, nothing is restored. `--force` does not bypass any of this.
 */
export async function runRestore(ref: string, opts: Common & { yes?: boolean; force?: boolean; stopServer?: boolean; stopTimeout?: string }): Promise<number> {
  const config = cliConfig(opts);
  const dir = opts.dir ?? config.backup.dir;
  let stopTimeoutS = config.queue.shutdownGraceSeconds + 15;
  if (opts.stopTimeout !== undefined) {
    if (!/^\d{1,5}$/u.test(opts.stopTimeout) || Number(opts.stopTimeout) < 1)
      throw E.CLI_NUMBER_INVALID.error({ option: '--stop-timeout', rule: 'positive_integer', value: opts.stopTimeout });
    stopTimeoutS = Number(opts.stopTimeout);
  }
  const manifest = readManifest(ref, dir).manifest;
  const targets = manifest.files.map((f) => `${f.kind}(${f.file})`).join(', ');
  if (!opts.yes) {
    throw E.CLI_CONFIRM_REQUIRED.error({ action: 'restore', stamp: manifest.stamp, createdAt: manifest.created_at, targets });
  }
  const locks = liveDataLocks(dataDirsOf(config));
  if (locks.length > 0 && !opts.stopServer) {
    throw E.CLI_SERVER_RUNNING.error({
      via: 'lock',
      servers: locks.map((l) => ({ pid: l.pid, port: l.port, instance: l.instance_id, host: l.host })),
    });
  }
  for (const lock of locks) {
    process.stderr.write(`실행 중인 서버를 멈춥니다: pid ${lock.pid}, 포트 ${lock.port} (SIGTERM, 최대 ${stopTimeoutS}초 기다림)\n`);
    const r = await stopLockHolder(lock, stopTimeoutS * 1000);
    if (!r.stopped) throw E.CLI_SERVER_STOP_FAILED.error({ pid: lock.pid, port: lock.port, timeoutS: stopTimeoutS, reason: r.reason ?? 'timeout' });
    process.stderr.write(`서버(pid ${lock.pid})가 멈췄습니다.\n`);
  }
  if (config.queue.databaseUrl || fs.existsSync(config.paths.queueDatabase)) {
    const stopped = new Set(locks.map((l) => l.instance_id));
    const store = await openQueueStore(config, createLogger('silent', 2)).catch(() => null);
    const live = store ? await store.instances(90_000).catch(() => []) : [];
    await store?.close();
    // A service stopped just now removed its heartbeat row on its way out (or left it for at most 90 s).
    const others = live.filter((i) => !stopped.has(i.instance_id));
    if (others.length > 0) throw E.CLI_SERVER_RUNNING.error({ via: 'heartbeat', instances: others.map((i) => i.instance_id) });
  }
  const r = await restoreBackup(ref, dir, config, { configFile: configFileOf(opts) });
  if (opts.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
  else {
    const lines = [`복원 완료: 백업 ${r.stamp}`, `  복원 전 상태의 백업: ${r.safety_backup}`];
    for (const x of r.restored) lines.push(`  ${x.kind} → ${x.target}${rowsText(x.rows)}`);
    lines.push('서버를 시작하면 검색 색인이 복원된 데이터와 다르면 다시 만들어집니다.');
    process.stdout.write(lines.join('\n') + '\n');
  }
  return EXIT.ok;
}

/** `alaw backup list`: the runs in the backup directory, newest first, with size and whether verified. */
export async function runBackupList(opts: Common): Promise<number> {
  const config = cliConfig(opts);
  const dir = opts.dir ?? config.backup.dir;
  const runs = listBackups(dir);
  if (opts.json) {
    process.stdout.write(JSON.stringify({ dir: path.resolve(dir), backups: runs }, null, 2) + '\n');
    return EXIT.ok;
  }
  if (runs.length === 0) {
    process.stdout.write(`${dir}에 백업이 없습니다 (alaw backup으로 만드세요).\n`);
    return EXIT.ok;
  }
  const rows = runs.map((r) => [
    r.stamp,
    r.created_at.replace('T', ' ').slice(0, 19),
    r.kinds.join(','),
    kb(r.bytes),
    r.verified_at ? `검증됨 ${r.verified_at.replace('T', ' ').slice(0, 19)}` : '검증 안 함',
    (r.complete ? '' : '파일 없음! ') + (r.tag ?? ''),
  ]);
  const head = ['백업', '만든 시각(UTC)', '내용', '크기', '검증', '비고'];
  const width = head.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i]!))));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c + ' '.repeat(width[i]! - displayWidth(c)))
      .join('  ')
      .trimEnd();
  process.stdout.write([`백업 디렉터리: ${path.resolve(dir)} (최신순 ${runs.length}개)`, '', line(head), ...rows.map(line)].join('\n') + '\n');
  return EXIT.ok;
}

/** Terminal columns of a string: Hangul and other wide characters take two. */
function displayWidth(s: string): number {
  let n = 0;
  for (const ch of s) n += /[\u1100-\u115F\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6]/u.test(ch) ? 2 : 1;
  return n;
}
