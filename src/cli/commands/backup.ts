import { E, EXIT } from '../../errors/index.js';
import { createBackup, createLogger, readManifest, restoreBackup, verifyBackup } from '../../ops/index.js';
import { openQueueStore } from '../../queue/index.js';
import fs from 'node:fs';
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

/** `alaw restore REF --yes [--force]`: refuses without --yes, and while a server is running unless --force. */
export async function runRestore(ref: string, opts: Common & { yes?: boolean; force?: boolean }): Promise<number> {
  const config = cliConfig(opts);
  const dir = opts.dir ?? config.backup.dir;
  const manifest = readManifest(ref, dir).manifest;
  const targets = manifest.files.map((f) => `${f.kind}(${f.file})`).join(', ');
  if (!opts.yes) {
    throw E.CLI_CONFIRM_REQUIRED.error({ action: 'restore', stamp: manifest.stamp, createdAt: manifest.created_at, targets });
  }
  if (!opts.force && (config.queue.databaseUrl || fs.existsSync(config.paths.queueDatabase))) {
    const store = await openQueueStore(config, createLogger('silent', 2)).catch(() => null);
    const live = store ? await store.instances(90_000).catch(() => []) : [];
    await store?.close();
    if (live.length > 0) {
      throw E.CLI_SERVER_RUNNING.error({ instances: live.map((i) => i.instance_id) });
    }
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
