import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import pg from 'pg';
import { E, isAlawError } from '../errors/index.js';
import { redactUrl } from '../queue/index.js';

/**
 * The backup capability's store module: every SQL statement and database
 * handle of backups, verification and restore (src/ops/backup.ts orchestrates
 * files, checksums and manifests, src/ops/pgTools.ts runs pg_dump and psql).
 */

/** The tables whose rows a backup counts, per database. */
export const APP_TABLES = ['precedents', 'precedent_case_keys', 'precedent_citations', 'precedent_statutes', 'app_meta'];
export const QUEUE_TABLES = ['tasks', 'api_keys', 'queue_instances'];

/** Rows of each listed table of a SQLite file (tables it lacks are left out). */
export function sqliteCounts(file: string, tables: string[]): Record<string, number> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const present = new Set(db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all() as string[]);
    return Object.fromEntries(tables.filter((t) => present.has(t)).map((t) => [t, Number(db.prepare(`SELECT count(*) FROM "${t}"`).pluck().get())]));
  } finally {
    db.close();
  }
}

/** SQLite's own integrity check; ALAW_ERR_BACKUP_CORRUPT when it finds anything. */
export function integrityCheck(file: string): void {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const r = db.pragma('integrity_check', { simple: true });
    if (r !== 'ok') throw E.BACKUP_CORRUPT.error({ what: 'integrity', file, result: String(r) });
  } finally {
    db.close();
  }
}

/** A consistent copy of a live SQLite file at `target`, through the online backup API (the service may be writing). */
export async function sqliteSnapshot(source: string, target: string): Promise<void> {
  const db = new Database(source, { readonly: true, fileMustExist: true });
  try {
    await db.backup(target);
  } finally {
    db.close();
  }
  // The copy keeps the source's WAL mode, and a WAL database grows -wal and -shm files beside it whenever it is
  // opened (counting rows, verifying): the copy is made a self-contained rollback-journal file instead. The
  // service switches a restored file back to WAL when it opens it.
  const copy = new Database(target, { fileMustExist: true });
  try {
    copy.pragma('journal_mode = DELETE');
  } finally {
    copy.close();
  }
  removeSqliteSidecars(target);
}

/** Removes what SQLite may leave beside a file it had open (`-wal`, `-shm`, `-journal`). */
export function removeSqliteSidecars(file: string): void {
  for (const suffix of ['-wal', '-shm', '-journal']) fs.rmSync(`${file}${suffix}`, { force: true });
}

async function countTables(client: pg.ClientBase, tables: string[]): Promise<Record<string, number>> {
  const present = new Set((await client.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = current_schema()`)).rows.map((r) => r.t));
  const out: Record<string, number> = {};
  for (const t of tables.filter((x) => present.has(x))) out[t] = Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM "${t}"`)).rows[0]!.n);
  return out;
}

/** Rows of each listed table of a PostgreSQL database. */
export async function pgCounts(url: string, tables: string[]): Promise<Record<string, number>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await countTables(c, tables);
  } finally {
    await c.end();
  }
}

/**
 * Holds a repeatable-read snapshot of the database open while `dump` runs
 * with its id (`pg_dump --snapshot`), and returns the row counts of that very
 * snapshot.
 */
export async function withPgSnapshot(url: string, tables: string[], dump: (snapshot: string) => Promise<void>): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect().catch((err: Error) => {
    throw E.BACKUP_SOURCE_MISSING.error({ what: 'postgres', url: redactUrl(url), reason: err.message });
  });
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const snapshot = (await client.query<{ s: string }>('SELECT pg_export_snapshot() AS s')).rows[0]!.s;
    const rows = await countTables(client, tables);
    await dump(snapshot);
    await client.query('COMMIT');
    return rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A scratch database on the server of `url` (needs CREATEDB), dropped afterwards. */
export async function withScratchPg<T>(url: string, run: (scratchUrl: string) => Promise<T>): Promise<T> {
  const name = `alaw_verify_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } catch (err) {
    await admin.end();
    throw isAlawError(err) ? err : E.BACKUP_VERIFY.error({ what: 'scratch', reason: (err as Error).message });
  }
  const u = new URL(url);
  u.pathname = `/${name}`;
  try {
    return await run(u.toString());
  } finally {
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [name]).catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS ${name}`).catch(() => undefined);
    await admin.end();
  }
}
