import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

/**
 * Schema of the queue database. The two dialects differ in column types only
 * (ISO 8601 text vs timestamptz, rowid vs bigserial); the columns and their
 * meaning are the same, so the operations guide's
 * `SELECT * FROM tasks WHERE status='processing' ORDER BY created_at;`
 * works on both. Kysely's migrator takes a lock, so several instances
 * starting at once on one PostgreSQL database migrate it once.
 */

/** Column types of the one schema in each dialect. */
interface Dialect {
  seq: string;
  json: string;
  time: string;
  requiredTime: string;
  createdAt: string;
  flag: string;
}
const SQLITE_TYPES: Dialect = {
  seq: 'INTEGER PRIMARY KEY',
  json: 'TEXT',
  time: 'TEXT',
  requiredTime: 'TEXT NOT NULL',
  createdAt: 'TEXT NOT NULL',
  flag: 'INTEGER NOT NULL DEFAULT 0',
};
const POSTGRES_TYPES: Dialect = {
  seq: 'BIGSERIAL PRIMARY KEY',
  json: 'JSONB',
  time: 'TIMESTAMPTZ',
  requiredTime: 'TIMESTAMPTZ NOT NULL',
  createdAt: 'TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()',
  flag: 'BOOLEAN NOT NULL DEFAULT false',
};

function createTasks(d: Dialect): Migration {
  const t = (type: string) => sql.raw(type);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await sql`CREATE TABLE tasks (
        seq ${t(d.seq)},
        id TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending','processing','completed','failed','timeout','cancelled')),
        payload ${t(d.json)},
        result ${t(d.json)},
        error TEXT,
        error_code TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        max_attempts INTEGER NOT NULL,
        created_at ${t(d.createdAt)},
        started_at ${t(d.time)},
        finished_at ${t(d.time)},
        owner TEXT,
        lease_expires_at ${t(d.time)},
        affinity TEXT,
        deadline_at ${t(d.time)},
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
        started_at ${t(d.requiredTime)},
        heartbeat_at ${t(d.requiredTime)},
        profile TEXT NOT NULL,
        draining ${t(d.flag)}
      )`.execute(db);
    },
  };
}

const SQLITE: Record<string, Migration> = { '0001_tasks': createTasks(SQLITE_TYPES) };

/**
 * Counts by type and status kept by triggers, so health and status read 12 rows
 * instead of counting a table that holds a day of searches (a full count of
 * 2 M rows took ~0.3 s, blocking the event loop: better-sqlite3 is synchronous).
 */
SQLITE['0002_task_counts'] = {
  async up(db: Kysely<unknown>): Promise<void> {
    await sql`CREATE TABLE task_counts (type TEXT NOT NULL, status TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (type, status)) WITHOUT ROWID`.execute(db);
    await sql`INSERT INTO task_counts (type, status, n)
      SELECT t.type, s.status, (SELECT count(*) FROM tasks x WHERE x.type = t.type AND x.status = s.status)
      FROM (SELECT 'search' AS type UNION ALL SELECT 'analysis') t,
           (SELECT 'pending' AS status UNION ALL SELECT 'processing' UNION ALL SELECT 'completed' UNION ALL SELECT 'failed' UNION ALL SELECT 'timeout' UNION ALL SELECT 'cancelled') s`.execute(
      db,
    );
    await sql`CREATE TRIGGER tasks_count_insert AFTER INSERT ON tasks BEGIN
      UPDATE task_counts SET n = n + 1 WHERE type = NEW.type AND status = NEW.status; END`.execute(db);
    await sql`CREATE TRIGGER tasks_count_update AFTER UPDATE OF status ON tasks WHEN OLD.status <> NEW.status BEGIN
      UPDATE task_counts SET n = n - 1 WHERE type = OLD.type AND status = OLD.status;
      UPDATE task_counts SET n = n + 1 WHERE type = NEW.type AND status = NEW.status; END`.execute(db);
    await sql`CREATE TRIGGER tasks_count_delete AFTER DELETE ON tasks BEGIN
      UPDATE task_counts SET n = n - 1 WHERE type = OLD.type AND status = OLD.status; END`.execute(db);
  },
};

const POSTGRES: Record<string, Migration> = { '0001_tasks': createTasks(POSTGRES_TYPES) };

/**
 * Admission, claiming and finishing as server-side functions: one round trip
 * each instead of BEGIN, lock, counts, write, COMMIT. Each statement in a
 * volatile PL/pgSQL function takes a fresh snapshot, so the counts after the
 * advisory lock see every transaction that committed before the lock was
 * granted. A commit that no client was promised (a search: its caller is gone
 * with the process anyway) skips the WAL flush (`synchronous_commit = off`,
 * this transaction only), like SQLite's `synchronous=NORMAL` for the same case.
 */
POSTGRES['0002_admit_claim_functions'] = {
  async up(db: Kysely<unknown>): Promise<void> {
    await sql`CREATE FUNCTION alaw_queue_admit(
        p_id text, p_type text, p_payload jsonb, p_max_queue integer, p_max_attempts integer, p_origin text,
        p_affinity text, p_deadline_ms bigint, p_owner text, p_max_concurrent integer, p_lease_ms integer, p_durable boolean)
      RETURNS TABLE (o_admitted boolean, o_claimed boolean, o_pending bigint)
      LANGUAGE plpgsql AS $fn$
      DECLARE
        n_pending bigint;
        n_processing bigint;
        do_claim boolean := false;
      BEGIN
        IF NOT p_durable THEN
          PERFORM set_config('synchronous_commit', 'off', true);
        END IF;
        PERFORM pg_advisory_xact_lock(hashtext('alaw_queue:' || p_type));
        SELECT count(*) INTO n_pending FROM tasks WHERE status = 'pending' AND type = p_type;
        IF p_owner IS NOT NULL AND n_pending = 0 THEN
          SELECT count(*) INTO n_processing FROM tasks WHERE status = 'processing' AND type = p_type;
          do_claim := n_processing < p_max_concurrent;
        END IF;
        -- A task that can start at once never waits, so max_queue_size (places to wait) does not apply to it.
        IF NOT do_claim AND n_pending >= p_max_queue THEN
          RETURN QUERY SELECT false, false, n_pending;
          RETURN;
        END IF;
        INSERT INTO tasks (id, type, status, payload, attempts, max_attempts, started_at, owner, lease_expires_at, affinity, deadline_at, origin, wait_ms)
        VALUES (p_id, p_type, CASE WHEN do_claim THEN 'processing' ELSE 'pending' END, p_payload,
          CASE WHEN do_claim THEN 1 ELSE 0 END, p_max_attempts,
          CASE WHEN do_claim THEN clock_timestamp() END,
          CASE WHEN do_claim THEN p_owner END,
          CASE WHEN do_claim THEN clock_timestamp() + p_lease_ms * interval '1 millisecond' END,
          p_affinity,
          CASE WHEN p_deadline_ms IS NOT NULL THEN clock_timestamp() + p_deadline_ms * interval '1 millisecond' END,
          p_origin,
          CASE WHEN do_claim THEN 0 END);
        RETURN QUERY SELECT true, do_claim, CASE WHEN do_claim THEN n_pending ELSE n_pending + 1 END;
      END
      $fn$`.execute(db);
    await sql`CREATE FUNCTION alaw_queue_claim(
        p_type text, p_owner text, p_max_concurrent integer, p_limit integer, p_lease_ms integer, p_affinity text)
      RETURNS TABLE (o_id text, o_payload jsonb, o_attempts integer, o_max_attempts integer, o_created_at timestamptz)
      LANGUAGE plpgsql AS $fn$
      DECLARE
        n_processing bigint;
        n_free integer;
      BEGIN
        -- A claim lost in a database crash only puts the task back to pending: no WAL flush needed.
        PERFORM set_config('synchronous_commit', 'off', true);
        PERFORM pg_advisory_xact_lock(hashtext('alaw_queue:' || p_type));
        SELECT count(*) INTO n_processing FROM tasks WHERE status = 'processing' AND type = p_type;
        n_free := least(p_limit, p_max_concurrent - n_processing);
        IF n_free <= 0 THEN
          RETURN;
        END IF;
        -- Oldest first: UPDATE … RETURNING has no order of its own.
        RETURN QUERY
          WITH claimed AS (
            UPDATE tasks t SET status = 'processing', owner = p_owner, attempts = t.attempts + 1, started_at = clock_timestamp(),
              lease_expires_at = clock_timestamp() + p_lease_ms * interval '1 millisecond',
              wait_ms = round(extract(epoch FROM clock_timestamp() - t.created_at) * 1000)::int
            WHERE t.seq IN (
              SELECT q.seq FROM tasks q WHERE q.status = 'pending' AND q.type = p_type AND q.affinity IS NOT DISTINCT FROM p_affinity
              ORDER BY q.seq LIMIT n_free FOR UPDATE SKIP LOCKED)
            RETURNING t.seq, t.id, t.payload, t.attempts, t.max_attempts, t.created_at)
          SELECT c.id, c.payload, c.attempts, c.max_attempts, c.created_at FROM claimed c ORDER BY c.seq;
      END
      $fn$`.execute(db);
    await sql`CREATE FUNCTION alaw_queue_finish(
        p_id text, p_owner text, p_attempt integer, p_status text, p_result jsonb, p_error text, p_error_code text, p_run_ms integer, p_durable boolean)
      RETURNS boolean
      LANGUAGE plpgsql AS $fn$
      BEGIN
        IF NOT p_durable THEN
          PERFORM set_config('synchronous_commit', 'off', true);
        END IF;
        UPDATE tasks SET status = p_status, result = p_result, error = p_error, error_code = p_error_code,
          finished_at = clock_timestamp(), lease_expires_at = NULL, run_ms = p_run_ms
        WHERE id = p_id AND owner = p_owner AND attempts = p_attempt AND status = 'processing';
        RETURN FOUND;
      END
      $fn$`.execute(db);
  },
};

/** The stage a running task reports (`extracting`, `retrieving` …), for progress views and event streams. */
const addProgress: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await sql`ALTER TABLE tasks ADD COLUMN progress TEXT`.execute(db);
  },
};
SQLITE['0003_progress'] = addProgress;
POSTGRES['0003_progress'] = addProgress;

/**
 * API keys (issue 4). They live in the queue database because that is the one
 * database every instance shares (PostgreSQL in a multi-instance setup), so a
 * key created or revoked on one machine holds on all of them. Only the SHA-256
 * of a key is stored; `prefix` (the first characters) lets a person tell keys apart.
 */
function createApiKeys(d: Dialect): Migration {
  const t = (type: string) => sql.raw(type);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await sql`CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('admin','user')),
        token_hash TEXT NOT NULL UNIQUE,
        prefix TEXT NOT NULL,
        created_at ${t(d.requiredTime)},
        last_used_at ${t(d.time)},
        revoked_at ${t(d.time)}
      )`.execute(db);
    },
  };
}
SQLITE['0004_api_keys'] = createApiKeys(SQLITE_TYPES);
POSTGRES['0004_api_keys'] = createApiKeys(POSTGRES_TYPES);

/** Output a running task reported so far: a model's text while it is written, for event streams on any instance. */
const addPartial: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await sql`ALTER TABLE tasks ADD COLUMN partial TEXT`.execute(db);
  },
};
SQLITE['0005_partial'] = addPartial;
POSTGRES['0005_partial'] = addPartial;

/**
 * What each instance publishes with its heartbeat (issue 14): its profile mode and vote, resource
 * readings, thresholds and configured limits, from which every instance takes the same cluster-wide
 * profile decision (src/queue/clusterProfile.ts). Null for rows of instances that publish none.
 */
function addInstanceState(d: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await sql`ALTER TABLE queue_instances ADD COLUMN state ${sql.raw(d.json)}`.execute(db);
    },
  };
}
SQLITE['0006_instance_state'] = addInstanceState(SQLITE_TYPES);
POSTGRES['0006_instance_state'] = addInstanceState(POSTGRES_TYPES);

export const sqliteQueueMigrations: MigrationProvider = { getMigrations: () => Promise.resolve(SQLITE) };
export const postgresQueueMigrations: MigrationProvider = { getMigrations: () => Promise.resolve(POSTGRES) };
