import { Kysely, Migrator, PostgresDialect } from 'kysely';
import pg from 'pg';
import { E } from '../errors/index.js';
import { parseInstanceState } from './clusterProfile.js';
import { postgresQueueMigrations } from './migrations.js';
import {
  deadOwnerOutcome,
  emptyCounts,
  expiredLeaseOutcome,
  type AdmitRequest,
  type AdmitResult,
  type ClaimedTask,
  type ClaimRequest,
  type ExpiredLease,
  type FinishRequest,
  type InstanceInfo,
  type QueueStore,
  type ReapResult,
  type ReclaimCounts,
  type RecordedTask,
  type StatusCounts,
  type TaskRecord,
  type TaskFailure,
  type TaskStatus,
  type TaskType,
} from './types.js';

const isoOf = (v: unknown): string | null =>
  v instanceof Date ? v.toISOString() : v === null || v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(v);
const MS = `* interval '1 millisecond'`;

/** `postgres://user:secret@host/db` → `postgres://user@host/db` for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    if (u.searchParams.has('password')) u.searchParams.set('password', '***');
    return u.toString();
  } catch {
    return 'postgres://(잘못된 URL)';
  }
}

/**
 * The queue in PostgreSQL, shared by several service instances.
 * Admission and claiming of one task type are serialized across instances
 * with a transaction-level advisory lock, so `max_queue_size` and the global
 * `max_concurrent` hold exactly; the rows themselves are taken with
 * `FOR UPDATE SKIP LOCKED`. Both run as server-side functions (migration
 * 0002), one round trip each. Times come from the database clock, so instances
 * with skewed clocks agree on lease expiry.
 */
export class PgQueueStore implements QueueStore {
  readonly kind = 'postgres' as const;

  private constructor(
    readonly location: string,
    private readonly pool: pg.Pool,
    readonly shared: Kysely<unknown>,
  ) {}

  static async open(url: string, onPoolError: (err: Error) => void = () => undefined): Promise<PgQueueStore> {
    const pool = new pg.Pool({ connectionString: url, max: 6, connectionTimeoutMillis: 5000, idleTimeoutMillis: 30_000, application_name: 'alaw-queue' });
    pool.on('error', onPoolError);
    try {
      await pool.query('SELECT 1');
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw E.QUEUE_UNAVAILABLE.error({ location: `PostgreSQL(${redactUrl(url)})`, reason: (err as Error).message }).because(err);
    }
    const k = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
    const { error } = await new Migrator({ db: k, provider: postgresQueueMigrations }).migrateToLatest();
    if (error) {
      await pool.end().catch(() => undefined);
      throw E.QUEUE_MIGRATION.error({ location: `PostgreSQL(${redactUrl(url)})`, reason: (error as Error).message }).because(error);
    }
    return new PgQueueStore(redactUrl(url), pool, k);
  }

  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }

  async admit(req: AdmitRequest): Promise<AdmitResult> {
    const r = await this.pool.query<{ o_admitted: boolean; o_claimed: boolean; o_pending: string }>(
      `SELECT * FROM alaw_queue_admit($1, $2, $3::jsonb, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        req.id,
        req.type,
        JSON.stringify(req.payload ?? null),
        req.maxQueueSize,
        req.maxAttempts,
        req.origin,
        req.affinity,
        req.waitLimitMs === null ? null : Math.max(0, Math.round(req.waitLimitMs)),
        req.claim?.owner ?? null,
        req.claim?.maxConcurrent ?? 0,
        req.claim?.leaseMs ?? 0,
        req.durable,
      ],
    );
    const row = r.rows[0]!;
    const pending = Number(row.o_pending);
    return row.o_admitted ? { admitted: true, claimed: row.o_claimed, pending } : { admitted: false, pending };
  }

  async record(rows: readonly RecordedTask[]): Promise<number> {
    if (rows.length === 0) return 0;
    const at = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
    const data = rows.map((r) => ({
      id: r.id,
      type: r.type,
      status: r.status,
      payload: r.payload ?? null,
      result: r.result ?? null,
      error: r.failure?.message ?? null,
      error_code: r.failure?.code ?? null,
      attempts: r.attempts,
      created_at: at(r.createdAt),
      started_at: at(r.startedAt),
      finished_at: at(r.finishedAt),
      owner: r.owner,
      affinity: r.affinity,
      origin: r.origin,
      wait_ms: r.waitMs === null ? null : Math.round(r.waitMs),
      run_ms: r.runMs === null ? null : Math.round(r.runMs),
    }));
    // One statement for the batch, committed without waiting for the WAL flush (a lost batch loses history, not work).
    return this.tx(async (c) => {
      await c.query('SET LOCAL synchronous_commit TO OFF');
      const r = await c.query(
        `INSERT INTO tasks (id, type, status, payload, result, error, error_code, attempts, max_attempts, created_at, started_at, finished_at,
           owner, affinity, origin, wait_ms, run_ms)
         SELECT id, type, status, payload, result, error, error_code, attempts, attempts, created_at, started_at, finished_at,
           owner, affinity, origin, wait_ms, run_ms
         FROM jsonb_to_recordset($1::jsonb) AS r(id text, type text, status text, payload jsonb, result jsonb, error text, error_code text,
           attempts integer, created_at timestamptz, started_at timestamptz, finished_at timestamptz, owner text, affinity text, origin text,
           wait_ms integer, run_ms integer)
         ON CONFLICT (id) DO NOTHING`,
        [JSON.stringify(data)],
      );
      return r.rowCount ?? 0;
    });
  }

  async claim(req: ClaimRequest): Promise<ClaimedTask[]> {
    const r = await this.pool.query<{ o_id: string; o_payload: unknown; o_attempts: number; o_max_attempts: number; o_created_at: Date }>(
      `SELECT * FROM alaw_queue_claim($1, $2, $3, $4, $5, $6)`,
      [req.type, req.owner, req.maxConcurrent, req.limit, req.leaseMs, req.affinity],
    );
    return r.rows.map((row) => ({
      id: row.o_id,
      type: req.type,
      payload: row.o_payload,
      attempt: row.o_attempts,
      maxAttempts: row.o_max_attempts,
      createdAtMs: row.o_created_at.getTime(),
    }));
  }

  async finish(req: FinishRequest): Promise<boolean> {
    const r = await this.pool.query<{ ok: boolean }>(`SELECT alaw_queue_finish($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9) AS ok`, [
      req.id,
      req.owner,
      req.attempt,
      req.status,
      req.result === undefined ? null : JSON.stringify(req.result),
      req.failure?.message ?? null,
      req.failure?.code ?? null,
      Math.round(req.runMs),
      req.durable,
    ]);
    return r.rows[0]!.ok;
  }

  async retry(id: string, owner: string, attempt: number, failure: TaskFailure): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE tasks SET status = 'pending', partial = NULL, owner = NULL, lease_expires_at = NULL, started_at = NULL, error = $1, error_code = $2
       WHERE id = $3 AND owner = $4 AND attempts = $5 AND status = 'processing'`,
      [failure.message, failure.code, id, owner, attempt],
    );
    return r.rowCount === 1;
  }

  async renew(owner: string, held: { id: string; attempt: number }[], leaseMs: number): Promise<string[]> {
    if (held.length === 0) return [];
    const r = await this.pool.query<{ id: string }>(
      `UPDATE tasks t SET lease_expires_at = clock_timestamp() + $1::int ${MS}
       FROM unnest($2::text[], $3::int[]) AS h(id, attempt)
       WHERE t.id = h.id AND t.attempts = h.attempt AND t.owner = $4 AND t.status = 'processing' RETURNING t.id`,
      [leaseMs, held.map((h) => h.id), held.map((h) => h.attempt), owner],
    );
    return r.rows.map((x) => x.id);
  }

  async release(owner: string, ids: string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const r = await this.pool.query(
      `UPDATE tasks SET status = 'pending', partial = NULL, owner = NULL, lease_expires_at = NULL, started_at = NULL, wait_ms = NULL, attempts = greatest(attempts - 1, 0)
       WHERE id = ANY($1::text[]) AND owner = $2 AND status = 'processing'`,
      [ids, owner],
    );
    return r.rowCount ?? 0;
  }

  reclaim(): Promise<ReclaimCounts> {
    return this.tx(async (c) => {
      const late = E.QUEUE_WAIT_TIMEOUT.error({});
      const timedOut = await c.query(
        `UPDATE tasks SET status = 'timeout', finished_at = clock_timestamp(), error = $1, error_code = $2
         WHERE status = 'pending' AND deadline_at < clock_timestamp()`,
        [late.message, late.code],
      );
      // Each message names the task's own owner and attempt: read the expired rows, then update them in one statement.
      const expired = await c.query<ExpiredLease>(
        `SELECT id, owner, attempts, max_attempts, affinity FROM tasks
         WHERE status = 'processing' AND lease_expires_at < clock_timestamp() ORDER BY seq FOR UPDATE SKIP LOCKED`,
      );
      const fail: { id: string[]; attempt: number[]; error: string[]; code: string[] } = { id: [], attempt: [], error: [], code: [] };
      const requeue: typeof fail = { id: [], attempt: [], error: [], code: [] };
      for (const t of expired.rows) {
        const outcome = expiredLeaseOutcome(t);
        const to = outcome.requeue ? requeue : fail;
        to.id.push(t.id);
        to.attempt.push(t.attempts);
        to.error.push(outcome.failure.message);
        to.code.push(outcome.failure.code);
      }
      let failed = 0;
      let requeued = 0;
      if (fail.id.length > 0) {
        const r = await c.query(
          `UPDATE tasks t SET status = 'failed', finished_at = clock_timestamp(), lease_expires_at = NULL, error = v.error, error_code = v.code
           FROM unnest($1::text[], $2::int[], $3::text[], $4::text[]) AS v(id, attempt, error, code)
           WHERE t.id = v.id AND t.attempts = v.attempt AND t.status = 'processing'`,
          [fail.id, fail.attempt, fail.error, fail.code],
        );
        failed = r.rowCount ?? 0;
      }
      if (requeue.id.length > 0) {
        const r = await c.query(
          `UPDATE tasks t SET status = 'pending', partial = NULL, lease_expires_at = NULL, started_at = NULL, owner = NULL, error = v.error, error_code = v.code
           FROM unnest($1::text[], $2::int[], $3::text[], $4::text[]) AS v(id, attempt, error, code)
           WHERE t.id = v.id AND t.attempts = v.attempt AND t.status = 'processing'`,
          [requeue.id, requeue.attempt, requeue.error, requeue.code],
        );
        requeued = r.rowCount ?? 0;
      }
      return { timedOut: timedOut.rowCount ?? 0, failed, requeued };
    });
  }

  reapInstances(self: string, silentMs: number, previousLife: boolean): Promise<ReapResult> {
    return this.tx(async (c) => {
      // DELETE … RETURNING: when several survivors reap at once, each silent instance goes to exactly one.
      const dead = await c.query<{ instance_id: string }>(
        `DELETE FROM queue_instances WHERE heartbeat_at < clock_timestamp() - $1::bigint ${MS} AND instance_id <> $2 RETURNING instance_id`,
        [silentMs, self],
      );
      const owners = [...(previousLife ? [self] : []), ...dead.rows.map((r) => r.instance_id).sort()];
      const out: ReapResult = { instances: [], requeued: 0, failed: 0 };
      if (owners.length === 0) return out;
      const held = await c.query<ExpiredLease>(
        `SELECT id, owner, attempts, max_attempts, affinity FROM tasks WHERE status = 'processing' AND owner = ANY($1::text[]) ORDER BY seq FOR UPDATE`,
        [owners],
      );
      const fail: { id: string[]; attempt: number[]; error: string[]; code: string[] } = { id: [], attempt: [], error: [], code: [] };
      const requeue: typeof fail = { id: [], attempt: [], error: [], code: [] };
      const touched = new Set<string>();
      for (const t of held.rows) {
        const outcome = deadOwnerOutcome(t, silentMs);
        const to = outcome.requeue ? requeue : fail;
        to.id.push(t.id);
        to.attempt.push(t.attempts);
        to.error.push(outcome.failure.message);
        to.code.push(outcome.failure.code);
        touched.add(t.owner ?? '');
      }
      if (fail.id.length > 0) {
        const r = await c.query(
          `UPDATE tasks t SET status = 'failed', finished_at = clock_timestamp(), lease_expires_at = NULL, error = v.error, error_code = v.code
           FROM unnest($1::text[], $2::int[], $3::text[], $4::text[]) AS v(id, attempt, error, code)
           WHERE t.id = v.id AND t.attempts = v.attempt AND t.status = 'processing'`,
          [fail.id, fail.attempt, fail.error, fail.code],
        );
        out.failed += r.rowCount ?? 0;
      }
      if (requeue.id.length > 0) {
        const r = await c.query(
          `UPDATE tasks t SET status = 'pending', partial = NULL, lease_expires_at = NULL, started_at = NULL, owner = NULL, error = v.error, error_code = v.code
           FROM unnest($1::text[], $2::int[], $3::text[], $4::text[]) AS v(id, attempt, error, code)
           WHERE t.id = v.id AND t.attempts = v.attempt AND t.status = 'processing'`,
          [requeue.id, requeue.attempt, requeue.error, requeue.code],
        );
        out.requeued += r.rowCount ?? 0;
      }
      for (const owner of owners) {
        const lost = E.QUEUE_INSTANCE_LOST.error({ owner });
        const r = await c.query(
          `UPDATE tasks SET status = 'failed', finished_at = clock_timestamp(), error = $1, error_code = $2 WHERE status = 'pending' AND affinity = $3`,
          [lost.message, lost.code, owner],
        );
        if ((r.rowCount ?? 0) > 0) touched.add(owner);
        out.failed += r.rowCount ?? 0;
        if (owner !== self || touched.has(owner)) out.instances.push(owner);
      }
      return out;
    });
  }

  async expirePending(id: string, failure: TaskFailure): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE tasks SET status = 'timeout', finished_at = clock_timestamp(), error = $1, error_code = $2 WHERE id = $3 AND status = 'pending'`,
      [failure.message, failure.code, id],
    );
    return r.rowCount === 1;
  }

  async setProgress(id: string, owner: string, attempt: number, stage: string, partial?: string): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE tasks SET progress = $1, partial = coalesce($5, partial) WHERE id = $2 AND owner = $3 AND attempts = $4 AND status = 'processing'`,
      [stage, id, owner, attempt, partial ?? null],
    );
    return r.rowCount === 1;
  }

  async cancelOne(id: string, failure: TaskFailure): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE tasks SET status = 'cancelled', finished_at = clock_timestamp(), error = $1, error_code = $3 WHERE id = $2 AND status = 'pending'`,
      [failure.message, id, failure.code],
    );
    return r.rowCount === 1;
  }

  async cancelPending(type: TaskType | null, failure: TaskFailure): Promise<{ id: string; type: TaskType }[]> {
    const r = await this.pool.query<{ id: string; type: TaskType }>(
      `UPDATE tasks SET status = 'cancelled', finished_at = clock_timestamp(), error = $1, error_code = $3
       WHERE status = 'pending' AND ($2::text IS NULL OR type = $2) RETURNING id, type`,
      [failure.message, type, failure.code],
    );
    return r.rows;
  }

  async counts(activeOnly = false): Promise<StatusCounts> {
    const out = emptyCounts();
    const r = await this.pool.query<{ type: TaskType; status: TaskStatus; n: string }>(
      `SELECT type, status, count(*) AS n FROM tasks ${activeOnly ? `WHERE status IN ('pending', 'processing')` : ''} GROUP BY type, status`,
    );
    for (const row of r.rows) if (out[row.type]) out[row.type][row.status] = Number(row.n);
    return out;
  }

  async oldestPending(): Promise<Record<TaskType, number | null>> {
    const out: Record<TaskType, number | null> = { search: null, analysis: null };
    const r = await this.pool.query<{ type: TaskType; created_at: Date }>(
      `SELECT type, min(created_at) AS created_at FROM tasks WHERE status = 'pending' GROUP BY type`,
    );
    for (const row of r.rows) if (row.type in out) out[row.type] = row.created_at.getTime();
    return out;
  }

  async durations(type: TaskType, windowMs: number, limit: number): Promise<{ wait: number[]; run: number[] }> {
    const r = await this.pool.query<{ wait_ms: number | null; run_ms: number }>(
      `SELECT wait_ms, run_ms FROM tasks WHERE type = $1 AND finished_at >= clock_timestamp() - $2::bigint ${MS} AND run_ms IS NOT NULL
       ORDER BY finished_at DESC LIMIT $3`,
      [type, windowMs, limit],
    );
    return { wait: r.rows.map((x) => x.wait_ms ?? 0), run: r.rows.map((x) => x.run_ms) };
  }

  private static record(row: Record<string, unknown>): TaskRecord {
    return {
      id: row.id as string,
      type: row.type as TaskType,
      status: row.status as TaskStatus,
      payload: row.payload,
      result: row.result,
      error: row.error as string | null,
      error_code: row.error_code as string | null,
      attempts: row.attempts as number,
      max_attempts: row.max_attempts as number,
      created_at: isoOf(row.created_at)!,
      started_at: isoOf(row.started_at),
      finished_at: isoOf(row.finished_at),
      owner: row.owner as string | null,
      lease_expires_at: isoOf(row.lease_expires_at),
      affinity: row.affinity as string | null,
      deadline_at: isoOf(row.deadline_at),
      origin: row.origin as string,
      wait_ms: row.wait_ms as number | null,
      run_ms: row.run_ms as number | null,
      progress: (row.progress as string | null) ?? null,
      partial: (row.partial as string | null) ?? null,
    };
  }

  async get(id: string): Promise<TaskRecord | null> {
    const r = await this.pool.query<Record<string, unknown>>(`SELECT * FROM tasks WHERE id = $1`, [id]);
    return r.rows[0] ? PgQueueStore.record(r.rows[0]) : null;
  }

  async list(status: TaskStatus, limit: number): Promise<TaskRecord[]> {
    const r = await this.pool.query<Record<string, unknown>>(`SELECT * FROM tasks WHERE status = $1 ORDER BY created_at, seq LIMIT $2`, [status, limit]);
    return r.rows.map((row) => PgQueueStore.record(row));
  }

  async position(id: string): Promise<number | null> {
    const r = await this.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM tasks p, tasks t WHERE t.id = $1 AND t.status = 'pending' AND p.status = 'pending' AND p.type = t.type AND p.seq <= t.seq`,
      [id],
    );
    const n = Number(r.rows[0]!.n);
    return n === 0 ? null : n;
  }

  async statuses(ids: string[]): Promise<Map<string, TaskStatus>> {
    if (ids.length === 0) return new Map();
    const r = await this.pool.query<{ id: string; status: TaskStatus }>(`SELECT id, status FROM tasks WHERE id = ANY($1::text[])`, [ids]);
    return new Map(r.rows.map((x) => [x.id, x.status]));
  }

  async prune(type: TaskType, beforeMs: number, batch: number): Promise<number> {
    const r = await this.pool.query(
      `DELETE FROM tasks WHERE seq IN (SELECT seq FROM tasks WHERE type = $1 AND finished_at < to_timestamp($2::double precision / 1000)
         AND status IN ('completed','failed','timeout','cancelled') LIMIT $3)`,
      [type, beforeMs, batch],
    );
    return r.rowCount ?? 0;
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async heartbeatInstance(info: Omit<InstanceInfo, 'heartbeat_at'>): Promise<void> {
    await this.pool.query(
      `INSERT INTO queue_instances (instance_id, host, pid, version, started_at, heartbeat_at, profile, draining, state)
       VALUES ($1, $2, $3, $4, $5, clock_timestamp(), $6, $7, $8::jsonb)
       ON CONFLICT (instance_id) DO UPDATE SET host = excluded.host, pid = excluded.pid, version = excluded.version,
         started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at, profile = excluded.profile, draining = excluded.draining,
         state = excluded.state`,
      [info.instance_id, info.host, info.pid, info.version, info.started_at, info.profile, info.draining, info.state ? JSON.stringify(info.state) : null],
    );
  }

  async instances(aliveWithinMs: number): Promise<InstanceInfo[]> {
    const r = await this.pool.query<Record<string, unknown>>(
      `SELECT * FROM queue_instances WHERE heartbeat_at >= clock_timestamp() - $1::bigint ${MS} ORDER BY instance_id`,
      [aliveWithinMs],
    );
    return r.rows.map((x) => ({
      instance_id: x.instance_id as string,
      host: x.host as string,
      pid: x.pid as number,
      version: x.version as string,
      started_at: isoOf(x.started_at)!,
      heartbeat_at: isoOf(x.heartbeat_at)!,
      profile: x.profile as string,
      draining: x.draining as boolean,
      state: parseInstanceState(x.state),
    }));
  }

  async removeInstance(id: string): Promise<void> {
    await this.pool.query(`DELETE FROM queue_instances WHERE instance_id = $1`, [id]);
  }

  async pruneInstances(beforeMs: number): Promise<number> {
    const r = await this.pool.query(`DELETE FROM queue_instances WHERE heartbeat_at < to_timestamp($1::double precision / 1000)`, [beforeMs]);
    return r.rowCount ?? 0;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
