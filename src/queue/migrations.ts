import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

/**
 * Schema of the queue database. The two dialects differ in column types only
 * (ISO 8601 text vs timestamptz, rowid vs bigserial); the columns and their
 * meaning are the same, so the operations guide's
 * `SELECT * FROM tasks WHERE status='processing' ORDER BY created_at;`
 * works on both. Kysely's migrator takes a lock, so several instances
 * starting at once on one PostgreSQL database migrate it once.
 */
const SQLITE: Record<string, Migration> = {
  '0001_tasks': {
    async up(db: Kysely<unknown>): Promise<void> {
      await sql`CREATE TABLE tasks (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending','processing','completed','failed','timeout','cancelled')),
        payload TEXT,
        result TEXT,
        error TEXT,
        error_code TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        max_attempts INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        owner TEXT,
        lease_expires_at TEXT,
        affinity TEXT,
        deadline_at TEXT,
        origin TEXT NOT NULL,
        wait_ms INTEGER,
        run_ms INTEGER
      )`.execute(db);
      await sql`CREATE INDEX tasks_queue ON tasks (status, type, seq)`.execute(db);
      await sql`CREATE INDEX tasks_lease ON tasks (lease_expires_at) WHERE status = 'processing'`.execute(db);
      await sql`CREATE INDEX tasks_deadline ON tasks (deadline_at) WHERE status = 'pending'`.execute(db);
      await sql`CREATE INDEX tasks_finished ON tasks (type, finished_at)`.execute(db);
      await sql`CREATE TABLE queue_instances (
        instance_id TEXT PRIMARY KEY,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        version TEXT NOT NULL,
        started_at TEXT NOT NULL,
        heartbeat_at TEXT NOT NULL,
        profile TEXT NOT NULL,
        draining INTEGER NOT NULL DEFAULT 0
      )`.execute(db);
    },
  },
};

const POSTGRES: Record<string, Migration> = {
  '0001_tasks': {
    async up(db: Kysely<unknown>): Promise<void> {
      await sql`CREATE TABLE tasks (
        seq BIGSERIAL PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending','processing','completed','failed','timeout','cancelled')),
        payload JSONB,
        result JSONB,
        error TEXT,
        error_code TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        max_attempts INTEGER NOT NULL,
        created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
        started_at TIMESTAMPTZ,
        finished_at TIMESTAMPTZ,
        owner TEXT,
        lease_expires_at TIMESTAMPTZ,
        affinity TEXT,
        deadline_at TIMESTAMPTZ,
        origin TEXT NOT NULL,
        wait_ms INTEGER,
        run_ms INTEGER
      )`.execute(db);
      await sql`CREATE INDEX tasks_queue ON tasks (status, type, seq)`.execute(db);
      await sql`CREATE INDEX tasks_lease ON tasks (lease_expires_at) WHERE status = 'processing'`.execute(db);
      await sql`CREATE INDEX tasks_deadline ON tasks (deadline_at) WHERE status = 'pending'`.execute(db);
      await sql`CREATE INDEX tasks_finished ON tasks (type, finished_at)`.execute(db);
      await sql`CREATE TABLE queue_instances (
        instance_id TEXT PRIMARY KEY,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        version TEXT NOT NULL,
        started_at TIMESTAMPTZ NOT NULL,
        heartbeat_at TIMESTAMPTZ NOT NULL,
        profile TEXT NOT NULL,
        draining BOOLEAN NOT NULL DEFAULT false
      )`.execute(db);
    },
  },
};

export const sqliteQueueMigrations: MigrationProvider = { getMigrations: () => Promise.resolve(SQLITE) };
export const postgresQueueMigrations: MigrationProvider = { getMigrations: () => Promise.resolve(POSTGRES) };
