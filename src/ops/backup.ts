import { E, isAlawError } from '../errors/index.js';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import type { Config } from '../config/index.js';
import { redactUrl } from '../queue/index.js';
import { INDEX_FILE_NAME, indexSegmentFiles, isIndexFileName } from '../search/index.js';
import {
  APP_TABLES,
  integrityCheck,
  pgCounts,
  QUEUE_TABLES,
  removeSqliteSidecars,
  sqliteCounts,
  sqliteSnapshot,
  withPgSnapshot,
  withScratchPg,
} from './backupStore.js';
import { gunzipFile, gunzipStream, gzipFile } from './gzipFiles.js';
import { pgToolTarget, runTool } from './pgTools.js';

/**
 * Backups of what cannot be derived: the application database (decisions,
 * citations, statutes), the queue database (tasks, API keys) — a SQLite file
 * or PostgreSQL — and optionally the configuration file and the search index
 * (derived, but taking it along makes a move to a new machine fast).
 *
 * One run writes files sharing a time stamp (the guide's `backup_YYYYMMDD_HHMMSS.sql.gz`
 * for PostgreSQL) and a manifest with each file's SHA-256 and the row counts
 * of its tables, taken from the same snapshot as the copy: SQLite through its
 * online backup API (consistent while the service writes), PostgreSQL with
 * `pg_dump --snapshot` of a repeatable-read transaction that also counts.
 */

export const MANIFEST_FORMAT = 'alaw-backup/1';

export type BackupKind = 'app' | 'queue' | 'config' | 'index';

export interface BackupEntry {
  kind: BackupKind;
  /** sqlite: a gzipped SQLite file; postgres: a gzipped plain pg_dump; file: a copy (gzipped for the index). */
  format: 'sqlite' | 'postgres' | 'file';
  file: string;
  bytes: number;
  sha256: string;
  /** Where it came from (a path, or the database URL without password). */
  source: string;
  rows?: Record<string, number>;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  stamp: string;
  created_at: string;
  tag: string | null;
  files: BackupEntry[];
}

/** `20261129_021500` (UTC), the guide's `date +%Y%m%d_%H%M%S`. */
export function backupStamp(d: Date): string {
  return d.toISOString().replace(/[-:]/gu, '').replace('T', '_').slice(0, 15);
}

async function sha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** A consistent copy of a live SQLite file (online backup API), gzipped, with its row counts. */
async function backupSqlite(kind: BackupKind, source: string, target: string, tables: string[]): Promise<BackupEntry> {
  if (!fs.existsSync(source)) throw E.BACKUP_SOURCE_MISSING.error({ what: 'file', file: source });
  const tmp = `${target}.tmp-${randomBytes(4).toString('hex')}`;
  await sqliteSnapshot(source, tmp);
  try {
    const rows = sqliteCounts(tmp, tables);
    await gzipFile(tmp, target);
    return {
      kind,
      format: 'sqlite',
      file: path.basename(target),
      bytes: fs.statSync(target).size,
      sha256: await sha256(target),
      source: path.resolve(source),
      rows,
    };
  } finally {
    fs.rmSync(tmp, { force: true });
    removeSqliteSidecars(tmp);
  }
}

/** pg_dump of the queue database, gzipped, with row counts from the very snapshot it dumps. */
async function backupPostgres(url: string, target: string): Promise<BackupEntry> {
  try {
    const rows = await withPgSnapshot(url, QUEUE_TABLES, async (snapshot) => {
      const gz = zlib.createGzip({ level: 6 });
      const written = pipeline(gz, fs.createWriteStream(target));
      const t = pgToolTarget(url);
      await runTool(
        'pg_dump',
        ['--no-owner', '--no-privileges', '--clean', '--if-exists', `--snapshot=${snapshot}`, `--dbname=${t.dbname}`],
        { stdout: gz },
        t.env,
      );
      await written;
    });
    return {
      kind: 'queue',
      format: 'postgres',
      file: path.basename(target),
      bytes: fs.statSync(target).size,
      sha256: await sha256(target),
      source: redactUrl(url),
      rows,
    };
  } catch (err) {
    // The write stream may still be opening; remove the partial file once it has.
    await new Promise((r) => setTimeout(r, 50));
    fs.rmSync(target, { force: true });
    throw err;
  }
}

export interface BackupOptions {
  dir: string;
  withIndex?: boolean;
  /** The configuration file to include (ALAW_CONFIG_FILE), if any. */
  configFile?: string | null;
  tag?: string | null;
  /** Delete backups older than this many days (0: keep everything). */
  keepDays?: number;
  now?: Date;
  /** Leave out databases that do not exist yet (the safety backup before a restore on a fresh machine). */
  skipMissing?: boolean;
}

/** One backup run: every database, optionally config and index, then the manifest; old backups pruned. */
export async function createBackup(config: Readonly<Config>, options: BackupOptions): Promise<{ manifest: Manifest; manifestFile: string; pruned: string[] }> {
  const now = options.now ?? new Date();
  let stamp = backupStamp(now);
  fs.mkdirSync(options.dir, { recursive: true });
  // Two runs in the same second (a safety backup right before a restore) get distinct names.
  for (let i = 1; fs.existsSync(path.join(options.dir, `manifest_${stamp}.json`)); i++) stamp = `${backupStamp(now)}-${i}`;
  const at = (name: string): string => path.join(options.dir, name);
  const files: BackupEntry[] = [];
  try {
    if (!options.skipMissing || fs.existsSync(config.paths.database))
      files.push(await backupSqlite('app', config.paths.database, at(`alaw_${stamp}.db.gz`), APP_TABLES));
    if (config.queue.databaseUrl) files.push(await backupPostgres(config.queue.databaseUrl, at(`backup_${stamp}.sql.gz`)));
    else if (fs.existsSync(config.paths.queueDatabase))
      files.push(await backupSqlite('queue', config.paths.queueDatabase, at(`queue_${stamp}.db.gz`), QUEUE_TABLES));
    if (options.configFile) {
      const target = at(`config_${stamp}${path.extname(options.configFile) || '.json'}`);
      fs.copyFileSync(options.configFile, target);
      files.push({
        kind: 'config',
        format: 'file',
        file: path.basename(target),
        bytes: fs.statSync(target).size,
        sha256: await sha256(target),
        source: path.resolve(options.configFile),
      });
    }
    if (options.withIndex) {
      // The index is its manifest and the segment files it names: segments first, the manifest last,
      // so a restore puts the manifest (the commit of an index) in place after its segments.
      const manifestFile = path.join(config.paths.indexDir, INDEX_FILE_NAME);
      if (!fs.existsSync(manifestFile)) throw E.BACKUP_SOURCE_MISSING.error({ what: 'index', file: manifestFile });
      const sources = [...indexSegmentFiles(config.paths.indexDir).map((f) => path.join(config.paths.indexDir, f)), manifestFile];
      for (const source of sources) {
        if (!fs.existsSync(source)) throw E.BACKUP_SOURCE_MISSING.error({ what: 'index', file: source });
        const name = path.basename(source);
        const target = at(name === INDEX_FILE_NAME ? `index_${stamp}.idx.gz` : `index_${stamp}.${name}.gz`);
        await gzipFile(source, target);
        files.push({
          kind: 'index',
          format: 'file',
          file: path.basename(target),
          bytes: fs.statSync(target).size,
          sha256: await sha256(target),
          source: path.resolve(source),
        });
      }
    }
  } catch (err) {
    for (const f of files) fs.rmSync(at(f.file), { force: true });
    throw err;
  }
  const manifest: Manifest = { format: MANIFEST_FORMAT, stamp, created_at: now.toISOString(), tag: options.tag ?? null, files };
  const manifestFile = at(`manifest_${stamp}.json`);
  fs.writeFileSync(manifestFile, JSON.stringify(manifest, null, 2) + '\n');
  const pruned = options.keepDays ? pruneBackups(options.dir, options.keepDays, now) : [];
  return { manifest, manifestFile, pruned };
}

/** Deletes backup runs (manifest and its files) whose stamp is older than `days`. */
export function pruneBackups(dir: string, days: number, now: Date = new Date()): string[] {
  const cutoff = backupStamp(new Date(now.getTime() - days * 86_400_000));
  const removed: string[] = [];
  for (const f of fs.readdirSync(dir)) {
    const m = /^(?:alaw|queue|backup|config|index|manifest|verified)_(\d{8}_\d{6})(?:-\d+)?\./u.exec(f);
    if (m && m[1]! < cutoff) {
      fs.rmSync(path.join(dir, f), { force: true });
      removed.push(f);
    }
  }
  return removed;
}

/** Reads a manifest by its path or its stamp in `dir`. */
export function readManifest(ref: string, dir: string): { manifest: Manifest; dir: string } {
  const file = fs.existsSync(ref) ? ref : path.join(dir, `manifest_${ref}.json`);
  if (!fs.existsSync(file)) throw E.BACKUP_NOT_FOUND.error({ ref, dir });
  let manifest: Manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
  } catch (err) {
    throw E.BACKUP_CORRUPT.error({ what: 'unreadable', file, reason: (err as Error).message });
  }
  if (manifest.format !== MANIFEST_FORMAT || !Array.isArray(manifest.files)) throw E.BACKUP_CORRUPT.error({ what: 'not_manifest', file });
  return { manifest, dir: path.dirname(file) };
}

/** Every file is there and has the checksum the manifest recorded. */
export async function checkFiles(manifest: Manifest, dir: string): Promise<void> {
  for (const f of manifest.files) {
    const file = path.join(dir, f.file);
    if (!fs.existsSync(file)) throw E.BACKUP_CORRUPT.error({ what: 'missing_file', file: f.file });
    const sum = await sha256(file);
    if (sum !== f.sha256) throw E.BACKUP_CORRUPT.error({ what: 'checksum', file: f.file });
  }
}

function sameRows(expected: Record<string, number> | undefined, got: Record<string, number>, what: string): void {
  const diff = Object.entries(expected ?? {}).filter(([t, n]) => got[t] !== n);
  if (diff.length) throw E.BACKUP_MISMATCH.error({ what: 'rows', target: what, diff: diff.map(([t, n]) => `${t} ${got[t] ?? '없음'} (백업 ${n})`).join(', ') });
}

async function restorePg(file: string, url: string): Promise<Record<string, number>> {
  const t = pgToolTarget(url);
  await runTool(
    'psql',
    ['--quiet', '--no-psqlrc', '-v', 'ON_ERROR_STOP=1', '--single-transaction', `--dbname=${t.dbname}`],
    { stdin: gunzipStream(file) },
    { ...t.env, PGOPTIONS: '--client-min-messages=warning' },
  );
  return pgCounts(url, QUEUE_TABLES);
}

export interface VerifyReport {
  stamp: string;
  files: { file: string; kind: BackupKind; rows: Record<string, number> | null }[];
}

/** Checksums, then each database restored into a scratch copy: integrity and row counts equal to the manifest. */
export async function verifyBackup(ref: string, backupDir: string, config: Readonly<Config>): Promise<VerifyReport> {
  const { manifest, dir } = readManifest(ref, backupDir);
  await checkFiles(manifest, dir);
  const out: VerifyReport['files'] = [];
  for (const f of manifest.files) {
    const file = path.join(dir, f.file);
    if (f.format === 'sqlite') {
      const tmp = path.join(dir, `.verify-${randomBytes(4).toString('hex')}.db`);
      try {
        await gunzipFile(file, tmp);
        integrityCheck(tmp);
        const rows = sqliteCounts(tmp, f.kind === 'app' ? APP_TABLES : QUEUE_TABLES);
        sameRows(f.rows, rows, f.file);
        out.push({ file: f.file, kind: f.kind, rows });
      } finally {
        fs.rmSync(tmp, { force: true });
        removeSqliteSidecars(tmp);
      }
    } else if (f.format === 'postgres') {
      const url = config.queue.databaseUrl;
      if (!url) throw E.BACKUP_VERIFY.error({ what: 'needs_url', file: f.file });
      const rows = await withScratchPg(url, (scratch) => restorePg(file, scratch));
      sameRows(f.rows, rows, f.file);
      out.push({ file: f.file, kind: f.kind, rows });
    } else {
      out.push({ file: f.file, kind: f.kind, rows: null });
    }
  }
  const report: VerifyReport = { stamp: manifest.stamp, files: out };
  // Remembered beside the manifest for `alaw backup list` (removed with the run by pruning).
  fs.writeFileSync(path.join(dir, `verified_${manifest.stamp}.json`), JSON.stringify({ verified_at: new Date().toISOString(), ...report }, null, 2) + '\n');
  return report;
}

export interface BackupListing {
  stamp: string;
  created_at: string;
  tag: string | null;
  manifest_file: string;
  files: number;
  kinds: BackupKind[];
  bytes: number;
  /** When `alaw backup verify` last found it sound, or null. */
  verified_at: string | null;
  /** Whether every file the manifest names is there. */
  complete: boolean;
}

/** The backup runs in `dir`, newest first (unreadable manifests left out). */
export function listBackups(dir: string): BackupListing[] {
  if (!fs.existsSync(dir)) return [];
  const out: BackupListing[] = [];
  for (const name of fs.readdirSync(dir)) {
    const m = /^manifest_(\d{8}_\d{6}(?:-\d+)?)\.json$/u.exec(name);
    if (!m) continue;
    let manifest: Manifest;
    try {
      manifest = readManifest(path.join(dir, name), dir).manifest;
    } catch {
      continue;
    }
    let verifiedAt: string | null = null;
    try {
      verifiedAt = (JSON.parse(fs.readFileSync(path.join(dir, `verified_${manifest.stamp}.json`), 'utf8')) as { verified_at?: string }).verified_at ?? null;
    } catch {
      // never verified
    }
    out.push({
      stamp: manifest.stamp,
      created_at: manifest.created_at,
      tag: manifest.tag,
      manifest_file: path.join(dir, name),
      files: manifest.files.length,
      kinds: manifest.files.map((f) => f.kind),
      bytes: manifest.files.reduce((n, f) => n + f.bytes, 0),
      verified_at: verifiedAt,
      complete: manifest.files.every((f) => fs.existsSync(path.join(dir, f.file))),
    });
  }
  return out.sort((a, b) => (a.created_at === b.created_at ? b.stamp.localeCompare(a.stamp) : b.created_at.localeCompare(a.created_at)));
}

export interface RestoreReport {
  stamp: string;
  safety_backup: string;
  restored: { kind: BackupKind; target: string; rows: Record<string, number> | null }[];
}

/**
 * Restores a backup over the current databases (and index/config when the
 * backup has them). Nothing is changed until everything has been checked:
 * checksums, the backend of each database, every SQLite file unpacked beside
 * its target with its integrity and row counts checked, psql present. Then a
 * safety backup of the current state, then PostgreSQL first (one transaction:
 * a failure there changes nothing), then the SQLite files renamed into place.
 */
export async function restoreBackup(
  ref: string,
  backupDir: string,
  config: Readonly<Config>,
  options: { configFile?: string | null; now?: Date } = {},
): Promise<RestoreReport> {
  const { manifest, dir } = readManifest(ref, backupDir);
  await checkFiles(manifest, dir);
  const url = config.queue.databaseUrl;
  const staged: { f: BackupEntry; tmp: string | null; target: string; staging?: string }[] = [];
  try {
    for (const f of manifest.files) {
      const file = path.join(dir, f.file);
      if (f.format === 'sqlite') {
        if (f.kind === 'queue' && url) throw E.BACKUP_MISMATCH.error({ what: 'sqlite_backup_pg_queue', file: f.file });
        const target = f.kind === 'app' ? config.paths.database : config.paths.queueDatabase;
        fs.mkdirSync(path.dirname(path.resolve(target)), { recursive: true });
        const tmp = `${target}.restore-${randomBytes(4).toString('hex')}`;
        staged.push({ f, tmp, target, staging: tmp });
        await gunzipFile(file, tmp);
        integrityCheck(tmp);
        sameRows(f.rows, sqliteCounts(tmp, f.kind === 'app' ? APP_TABLES : QUEUE_TABLES), f.file);
        const fd = fs.openSync(tmp, 'r+');
        fs.fsyncSync(fd);
        fs.closeSync(fd);
      } else if (f.format === 'postgres') {
        if (!url) throw E.BACKUP_MISMATCH.error({ what: 'pg_backup_no_url', file: f.file });
        await runTool('psql', ['--version'], {});
        staged.push({ f, tmp: null, target: redactUrl(url) });
      } else if (f.kind === 'index') {
        // The file name comes from the backup's manifest: only the index's own names are accepted.
        const name = path.basename(f.source);
        if (!isIndexFileName(name)) throw E.BACKUP_MISMATCH.error({ what: 'index_file_name', file: f.file });
        const target = path.join(config.paths.indexDir, name);
        fs.mkdirSync(config.paths.indexDir, { recursive: true });
        const tmp = `${target}.restore-${randomBytes(4).toString('hex')}`;
        staged.push({ f, tmp, target });
        await gunzipFile(file, tmp);
      } else if (f.kind === 'config' && options.configFile) {
        staged.push({ f, tmp: null, target: options.configFile });
      }
    }
    const safety = await createBackup(config, {
      dir: backupDir,
      tag: `restore ${manifest.stamp} 직전`,
      now: options.now,
      configFile: options.configFile,
      keepDays: 0,
      skipMissing: true,
    });
    const restored: RestoreReport['restored'] = [];
    try {
      for (const s of staged.filter((x) => x.f.format === 'postgres')) {
        const rows = await restorePg(path.join(dir, s.f.file), url);
        sameRows(s.f.rows, rows, `복원한 ${s.target}`);
        restored.push({ kind: s.f.kind, target: s.target, rows });
      }
      for (const s of staged.filter((x) => x.f.format !== 'postgres')) {
        if (s.tmp) {
          // The old file's -wal/-shm (and a -journal, which SQLite would replay into the new file) go with it.
          removeSqliteSidecars(s.target);
          fs.renameSync(s.tmp, s.target);
          s.tmp = null;
        } else {
          fs.copyFileSync(path.join(dir, s.f.file), s.target);
        }
        const rows = s.f.format === 'sqlite' ? sqliteCounts(s.target, s.f.kind === 'app' ? APP_TABLES : QUEUE_TABLES) : null;
        restored.push({ kind: s.f.kind, target: path.resolve(s.target), rows });
      }
    } catch (err) {
      throw E.BACKUP_RESTORE.error(
        {
          reason: (err as Error).message,
          cause: isAlawError(err) ? err.code : null,
          safetyFile: safety.manifestFile,
          safetyStamp: safety.manifest.stamp,
        },
        { cause: isAlawError(err) ? err.code : null },
      ).because(err);
    }
    return { stamp: manifest.stamp, safety_backup: safety.manifestFile, restored };
  } finally {
    for (const s of staged) {
      if (s.tmp) fs.rmSync(s.tmp, { force: true });
      if (s.staging) removeSqliteSidecars(s.staging);
    }
  }
}
