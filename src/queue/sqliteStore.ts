import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { systemClock, type Clock } from '../clock.js';
import { E } from '../errors/index.js';
import { parseInstanceStateText } from './clusterProfile.js';
import { sqliteQueueMigrations } from './migrations.js';
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
  type StatusCounts,
  type TaskRecord,
  type RecordedTask,
  type TaskFailure,
  type TaskStatus,
  type TaskType,
} from './types.js';

const iso = (ms: number): string => new Date(ms).toISOString();
const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));
const parse = (s: unknown): unknown => (typeof s === 'string' ? JSON.parse(s) : null);

/** A `tasks` row as SQLite returns it: JSON columns still text. */
type Row = Omit<TaskRecord, 'payload' | 'result'> & { seq: number; payload: string | null; result: string | null };

/**
 * Every method is `async` although better-sqlite3 is synchronous: a SQLite
 * error (SQLITE_BUSY from another process, disk full) must reach the caller as
 * a rejected promise, never as a synchronous throw that a `.catch()` misses.
 *
 * The queue in one SQLite file (`data/queue.db`), WAL mode. Several processes
 * on one machine may share the file: every state change runs in a
 * `BEGIN IMMEDIATE` transaction, which SQLite serializes across processes.
 * Commits are `synchronous=NORMAL` (safe against a killed process); a commit
 * that tells a client its task was accepted is `FULL` (safe against power loss).
 * Statements are prepared once: a search admitted through the queue costs two
 * short write transactions.
 */
export class SqliteQueueStore implements QueueStore {
  readonly kind = 'sqlite' as const;
  private readonly st: ReturnType<SqliteQueueStore['prepare']>;

  private constructor(
    readonly location: string,
    private readonly db: Database.Database,
    readonly shared: Kysely<unknown>,
    /** The time of leases, deadlines and records (PostgreSQL uses the database's clock instead). */
    private readonly clock: Clock,
  ) {
    this.st = this.prepare();
    this.tx = db.transaction((fn: () => unknown) => fn());
  }

  static async open(file: string, options: { clock?: Clock } = {}): Promise<SqliteQueueStore> {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 3000'); // another process's write transaction is ~0.1 ms; this bounds a stall of the event loop
    const k = new Kysely<unknown>({ dialect: new SqliteDialect({ database: db }) });
    const { error } = await new Migrator({ db: k, provider: sqliteQueueMigrations }).migrateToLatest();
    if (error) {
      db.close();
      throw E.QUEUE_MIGRATION.error({ location: file, reason: (error as Error).message }).because(error);
    }
    // Kysely's destroy() would close the shared connection; the store owns it (and keeps Kysely for the key table).
    return new SqliteQueueStore(file, db, k, options.clock ?? systemClock);
  }

  private prepare() {
    const d = this.db;
    return {
      countStatus: d.prepare<[TaskStatus, TaskType]>(`SELECT count(*) AS n FROM tasks WHERE status = ? AND type = ?`).pluck(),
      insert: d.prepare(
        `INSERT INTO tasks (id, type, status, payload, attempts, max_attempts, created_at, started_at, owner, lease_expires_at, affinity, deadline_at, origin, wait_ms)
         VALUES (@id, @type, @status, @payload, @attempts, @max_attempts, @created_at, @started_at, @owner, @lease_expires_at, @affinity, @deadline_at, @origin, @wait_ms)`,
      ),
      record: d.prepare(
        `INSERT OR IGNORE INTO tasks (id, type, status, payload, result, error, error_code, attempts, max_attempts, created_at, started_at, finished_at,
           owner, affinity, origin, wait_ms, run_ms)
         VALUES (@id, @type, @status, @payload, @result, @error, @error_code, @attempts, @attempts, @created_at, @started_at, @finished_at,
           @owner, @affinity, @origin, @wait_ms, @run_ms)`,
      ),
      pendingFor: d.prepare<[TaskType, string | null, number]>(
        `SELECT seq, id, payload, attempts, max_attempts, created_at FROM tasks
         WHERE status = 'pending' AND type = ? AND affinity IS ? ORDER BY seq LIMIT ?`,
      ),
      markClaimed: d.prepare(
        `UPDATE tasks SET status = 'processing', owner = @owner, attempts = attempts + 1, started_at = @started, lease_expires_at = @lease,
           wait_ms = CAST(round((julianday(@started) - julianday(created_at)) * 86400000) AS INTEGER)
         WHERE seq = @seq AND status = 'pending'`,
      ),
      finish: d.prepare(
        `UPDATE tasks SET status = @status, result = @result, error = @error, error_code = @error_code, finished_at = @now,
           lease_expires_at = NULL, run_ms = @run_ms
         WHERE id = @id AND owner = @owner AND attempts = @attempt AND status = 'processing'`,
      ),
      retry: d.prepare(
        `UPDATE tasks SET status = 'pending', partial = NULL, owner = NULL, lease_expires_at = NULL, started_at = NULL, error = @error, error_code = @error_code
         WHERE id = @id AND owner = @owner AND attempts = @attempt AND status = 'processing'`,
      ),
      renew: d.prepare<[string, string, string, number]>(
        `UPDATE tasks SET lease_expires_at = ? WHERE id = ? AND owner = ? AND attempts = ? AND status = 'processing'`,
      ),
      release: d.prepare<[string, string]>(
        `UPDATE tasks SET status = 'pending', partial = NULL, owner = NULL, lease_expires_at = NULL, started_at = NULL, wait_ms = NULL, attempts = max(attempts - 1, 0)
         WHERE id = ? AND owner = ? AND status = 'processing'`,
      ),
      expireDeadlines: d.prepare<[string, string, string, string]>(
        `UPDATE tasks SET status = 'timeout', finished_at = ?, error = ?, error_code = ?
         WHERE status = 'pending' AND deadline_at IS NOT NULL AND deadline_at < ?`,
      ),
      expiredLeases: d.prepare<[string]>(
        `SELECT id, owner, attempts, max_attempts, affinity FROM tasks WHERE status = 'processing' AND lease_expires_at < ? ORDER BY seq`,
      ),
      failExpired: d.prepare<[string, string, string, string, number]>(
        `UPDATE tasks SET status = 'failed', finished_at = ?, lease_expires_at = NULL, error = ?, error_code = ?
         WHERE id = ? AND attempts = ? AND status = 'processing'`,
      ),
      requeueExpired: d.prepare<[string, string, string, number]>(
        `UPDATE tasks SET status = 'pending', partial = NULL, lease_expires_at = NULL, started_at = NULL, owner = NULL, error = ?, error_code = ?
         WHERE id = ? AND attempts = ? AND status = 'processing'`,
      ),
      staleInstances: d
        .prepare<[string, string]>(`SELECT instance_id FROM queue_instances WHERE heartbeat_at < ? AND instance_id <> ? ORDER BY instance_id`)
        .pluck(),
      heldBy: d.prepare<[string]>(`SELECT id, owner, attempts, max_attempts, affinity FROM tasks WHERE status = 'processing' AND owner = ? ORDER BY seq`),
      failBoundPending: d.prepare<[string, string, string, string]>(
        `UPDATE tasks SET status = 'failed', finished_at = ?, error = ?, error_code = ? WHERE status = 'pending' AND affinity = ?`,
      ),
      expireOne: d.prepare<[string, string, string, string]>(
        `UPDATE tasks SET status = 'timeout', finished_at = ?, error = ?, error_code = ? WHERE id = ? AND status = 'pending'`,
      ),
      progress: d.prepare<[string, string | null, string, string, number]>(
        `UPDATE tasks SET progress = ?, partial = coalesce(?, partial) WHERE id = ? AND owner = ? AND attempts = ? AND status = 'processing'`,
      ),
      cancelOne: d.prepare<[string, string, string, string]>(
        `UPDATE tasks SET status = 'cancelled', finished_at = ?, error = ?, error_code = ? WHERE id = ? AND status = 'pending'`,
      ),
      pendingOf: d.prepare<[TaskType]>(`SELECT id, type FROM tasks WHERE status = 'pending' AND type = ?`),
      pendingAll: d.prepare(`SELECT id, type FROM tasks WHERE status = 'pending'`),
      cancel: d.prepare<[string, string, string, string]>(
        `UPDATE tasks SET status = 'cancelled', finished_at = ?, error = ?, error_code = ? WHERE id = ? AND status = 'pending'`,
      ),
      // Kept by triggers (migration 0002): twelve rows, however many tasks are stored.
      counts: d.prepare(`SELECT type, status, n FROM task_counts`),
      oldest: d.prepare(`SELECT type, min(created_at) AS created_at FROM tasks WHERE status = 'pending' GROUP BY type`),
      durations: d.prepare<[TaskType, string, number]>(
        `SELECT wait_ms, run_ms FROM tasks WHERE type = ? AND finished_at >= ? AND run_ms IS NOT NULL ORDER BY finished_at DESC LIMIT ?`,
      ),
      get: d.prepare<[string]>(`SELECT * FROM tasks WHERE id = ?`),
      list: d.prepare<[TaskStatus, number]>(`SELECT * FROM tasks WHERE status = ? ORDER BY created_at, seq LIMIT ?`),
      position: d.prepare<[TaskType, number]>(`SELECT count(*) FROM tasks WHERE status = 'pending' AND type = ? AND seq <= ?`).pluck(),
      status: d.prepare<[string]>(`SELECT status FROM tasks WHERE id = ?`).pluck(),
      prune: d.prepare<[TaskType, string, number]>(
        `DELETE FROM tasks WHERE seq IN (SELECT seq FROM tasks WHERE type = ? AND finished_at < ? AND status IN ('completed','failed','timeout','cancelled') LIMIT ?)`,
      ),
      ping: d.prepare(`SELECT 1`).pluck(),
      upsertInstance: d.prepare(
        `INSERT INTO queue_instances (instance_id, host, pid, version, started_at, heartbeat_at, profile, draining, state)
         VALUES (@instance_id, @host, @pid, @version, @started_at, @heartbeat_at, @profile, @draining, @state)
         ON CONFLICT (instance_id) DO UPDATE SET host = excluded.host, pid = excluded.pid, version = excluded.version, started_at = excluded.started_at,
           heartbeat_at = excluded.heartbeat_at, profile = excluded.profile, draining = excluded.draining, state = excluded.state`,
      ),
      instances: d.prepare<[string]>(`SELECT * FROM queue_instances WHERE heartbeat_at >= ? ORDER BY instance_id`),
      removeInstance: d.prepare<[string]>(`DELETE FROM queue_instances WHERE instance_id = ?`),
      pruneInstances: d.prepare<[string]>(`DELETE FROM queue_instances WHERE heartbeat_at < ?`),
    };
  }

  /** One compiled transaction wrapper that runs the closure it is given (compiling one per call costs ~30 µs). */
  private readonly tx: Database.Transaction<(fn: () => unknown) => unknown>;

  /** Runs `fn` in a BEGIN IMMEDIATE transaction, with fsync at commit when `durable`. */
  private write<T>(durable: boolean, fn: () => T): T {
    if (!durable) return this.tx.immediate(fn) as T;
    this.db.pragma('synchronous = FULL');
    try {
      return this.tx.immediate(fn) as T;
    } finally {
      this.db.pragma('synchronous = NORMAL');
    }
  }

  async admit(req: AdmitRequest): Promise<AdmitResult> {
    return this.write(req.durable, (): AdmitResult => {
      const pending = this.st.countStatus.get('pending', req.type) as number;
      // A task that can start at once never waits, so max_queue_size (places to wait) does not apply to it.
      const claimed = !!req.claim && pending === 0 && (this.st.countStatus.get('processing', req.type) as number) < req.claim.maxConcurrent;
      if (!claimed && pending >= req.maxQueueSize) return { admitted: false, pending };
      const now = this.clock.now();
      this.st.insert.run({
        id: req.id,
        type: req.type,
        status: claimed ? 'processing' : 'pending',
        payload: json(req.payload),
        attempts: claimed ? 1 : 0,
        max_attempts: req.maxAttempts,
        created_at: iso(now),
        started_at: claimed ? iso(now) : null,
        owner: claimed ? req.claim!.owner : null,
        lease_expires_at: claimed ? iso(now + req.claim!.leaseMs) : null,
        affinity: req.affinity,
        deadline_at: req.waitLimitMs === null ? null : iso(now + req.waitLimitMs),
        origin: req.origin,
        wait_ms: claimed ? 0 : null,
      });
      return { admitted: true, claimed, pending: claimed ? pending : pending + 1 };
    });
  }

  async record(rows: readonly RecordedTask[]): Promise<number> {
    if (rows.length === 0) return 0;
    return this.write(false, () => {
      let n = 0;
      for (const r of rows) {
        n += this.st.record.run({
          id: r.id,
          type: r.type,
          status: r.status,
          payload: json(r.payload),
          result: json(r.result),
          error: r.failure?.message ?? null,
          error_code: r.failure?.code ?? null,
          attempts: r.attempts,
          created_at: iso(r.createdAt),
          started_at: r.startedAt === null ? null : iso(r.startedAt),
          finished_at: iso(r.finishedAt),
          owner: r.owner,
          affinity: r.affinity,
          origin: r.origin,
          wait_ms: r.waitMs === null ? null : Math.round(r.waitMs),
          run_ms: r.runMs === null ? null : Math.round(r.runMs),
        }).changes;
      }
      return n;
    });
  }

  async claim(req: ClaimRequest): Promise<ClaimedTask[]> {
    return this.write(false, () => {
      const processing = this.st.countStatus.get('processing', req.type) as number;
      const free = Math.min(req.limit, req.maxConcurrent - processing);
      if (free <= 0) return [];
      const rows = this.st.pendingFor.all(req.type, req.affinity, free) as Pick<Row, 'seq' | 'id' | 'payload' | 'attempts' | 'max_attempts' | 'created_at'>[];
      const now = this.clock.now();
      const started = iso(now);
      const lease = iso(now + req.leaseMs);
      return rows.map((r) => {
        this.st.markClaimed.run({ owner: req.owner, started, lease, seq: r.seq });
        return {
          id: r.id,
          type: req.type,
          payload: parse(r.payload),
          attempt: r.attempts + 1,
          maxAttempts: r.max_attempts,
          createdAtMs: Date.parse(r.created_at),
        };
      });
    });
  }

  async finish(req: FinishRequest): Promise<boolean> {
    return this.write(req.durable, () => {
      const info = this.st.finish.run({
        status: req.status,
        result: json(req.result),
        error: req.failure?.message ?? null,
        error_code: req.failure?.code ?? null,
        now: iso(this.clock.now()),
        run_ms: Math.round(req.runMs),
        id: req.id,
        owner: req.owner,
        attempt: req.attempt,
      });
      return info.changes === 1;
    });
  }

  async retry(id: string, owner: string, attempt: number, failure: TaskFailure): Promise<boolean> {
    return this.write(true, () => this.st.retry.run({ id, owner, attempt, error: failure.message, error_code: failure.code }).changes === 1);
  }

  async renew(owner: string, held: { id: string; attempt: number }[], leaseMs: number): Promise<string[]> {
    if (held.length === 0) return [];
    return this.write(false, () => {
      const lease = iso(this.clock.now() + leaseMs);
      return held.filter((h) => this.st.renew.run(lease, h.id, owner, h.attempt).changes === 1).map((h) => h.id);
    });
  }

  async release(owner: string, ids: string[]): Promise<number> {
    if (ids.length === 0) return 0;
    return this.write(true, () => ids.reduce((n, id) => n + this.st.release.run(id, owner).changes, 0));
  }

  async reclaim(): Promise<ReclaimCounts> {
    return this.write(true, () => {
      const now = iso(this.clock.now());
      const late = E.QUEUE_WAIT_TIMEOUT.error({});
      const timedOut = this.st.expireDeadlines.run(now, late.message, late.code, now).changes;
      let failed = 0;
      let requeued = 0;
      // Row by row: each message names the task's own owner and attempt (a handful of rows after a crash, none usually).
      for (const t of this.st.expiredLeases.all(now) as ExpiredLease[]) {
        const outcome = expiredLeaseOutcome(t);
        if (outcome.requeue) requeued += this.st.requeueExpired.run(outcome.failure.message, outcome.failure.code, t.id, t.attempts).changes;
        else failed += this.st.failExpired.run(now, outcome.failure.message, outcome.failure.code, t.id, t.attempts).changes;
      }
      return { requeued, failed, timedOut };
    });
  }

  async reapInstances(self: string, silentMs: number, previousLife: boolean): Promise<ReapResult> {
    return this.write(true, () => {
      const nowMs = this.clock.now();
      const now = iso(nowMs);
      const dead = this.st.staleInstances.all(iso(nowMs - silentMs), self) as string[];
      for (const id of dead) this.st.removeInstance.run(id);
      const owners = previousLife ? [self, ...dead] : dead;
      const out: ReapResult = { instances: [], requeued: 0, failed: 0 };
      for (const owner of owners) {
        let touched = 0;
        for (const t of this.st.heldBy.all(owner) as ExpiredLease[]) {
          const outcome = deadOwnerOutcome(t, silentMs);
          touched += 1;
          if (outcome.requeue) out.requeued += this.st.requeueExpired.run(outcome.failure.message, outcome.failure.code, t.id, t.attempts).changes;
          else out.failed += this.st.failExpired.run(now, outcome.failure.message, outcome.failure.code, t.id, t.attempts).changes;
        }
        const lost = E.QUEUE_INSTANCE_LOST.error({ owner });
        const bound = this.st.failBoundPending.run(now, lost.message, lost.code, owner).changes;
        out.failed += bound;
        if (owner !== self || touched + bound > 0) out.instances.push(owner);
      }
      return out;
    });
  }

  async expirePending(id: string, failure: TaskFailure): Promise<boolean> {
    return this.write(false, () => this.st.expireOne.run(iso(this.clock.now()), failure.message, failure.code, id).changes === 1);
  }

  async setProgress(id: string, owner: string, attempt: number, stage: string, partial?: string): Promise<boolean> {
    return this.write(false, () => this.st.progress.run(stage, partial ?? null, id, owner, attempt).changes === 1);
  }

  async cancelOne(id: string, failure: TaskFailure): Promise<boolean> {
    return this.write(true, () => this.st.cancelOne.run(iso(this.clock.now()), failure.message, failure.code, id).changes === 1);
  }

  async cancelPending(type: TaskType | null, failure: TaskFailure): Promise<{ id: string; type: TaskType }[]> {
    return this.write(true, () => {
      const rows = (type ? this.st.pendingOf.all(type) : this.st.pendingAll.all()) as { id: string; type: TaskType }[];
      const now = iso(this.clock.now());
      return rows.filter((r) => this.st.cancel.run(now, failure.message, failure.code, r.id).changes === 1);
    });
  }

  async counts(activeOnly = false): Promise<StatusCounts> {
    const out = emptyCounts();
    for (const r of this.st.counts.all() as { type: TaskType; status: TaskStatus; n: number }[]) {
      if (activeOnly && r.status !== 'pending' && r.status !== 'processing') continue;
      if (out[r.type]) out[r.type][r.status] = r.n;
    }
    return out;
  }

  async oldestPending(): Promise<Record<TaskType, number | null>> {
    const out: Record<TaskType, number | null> = { search: null, analysis: null };
    for (const r of this.st.oldest.all() as { type: TaskType; created_at: string }[]) if (r.type in out) out[r.type] = Date.parse(r.created_at);
    return out;
  }

  async durations(type: TaskType, windowMs: number, limit: number): Promise<{ wait: number[]; run: number[] }> {
    const rows = this.st.durations.all(type, iso(this.clock.now() - windowMs), limit) as { wait_ms: number | null; run_ms: number }[];
    return { wait: rows.map((r) => r.wait_ms ?? 0), run: rows.map((r) => r.run_ms) };
  }

  private static record(r: Row): TaskRecord {
    const { seq: _seq, ...rest } = r;
    return { ...rest, payload: parse(r.payload), result: parse(r.result) };
  }

  async get(id: string): Promise<TaskRecord | null> {
    const r = this.st.get.get(id) as Row | undefined;
    return r ? SqliteQueueStore.record(r) : null;
  }

  async list(status: TaskStatus, limit: number): Promise<TaskRecord[]> {
    return (this.st.list.all(status, limit) as Row[]).map((r) => SqliteQueueStore.record(r));
  }

  async position(id: string): Promise<number | null> {
    const r = this.st.get.get(id) as Row | undefined;
    if (!r || r.status !== 'pending') return null;
    return this.st.position.get(r.type, r.seq) as number;
  }

  async statuses(ids: string[]): Promise<Map<string, TaskStatus>> {
    const out = new Map<string, TaskStatus>();
    for (const id of ids) {
      const s = this.st.status.get(id) as TaskStatus | undefined;
      if (s) out.set(id, s);
    }
    return out;
  }

  async prune(type: TaskType, beforeMs: number, batch: number): Promise<number> {
    return this.write(false, () => this.st.prune.run(type, iso(beforeMs), batch).changes);
  }

  async ping(): Promise<void> {
    this.st.ping.get();
  }

  async heartbeatInstance(info: Omit<InstanceInfo, 'heartbeat_at'>): Promise<void> {
    const state = info.state ? JSON.stringify(info.state) : null;
    this.write(false, () => this.st.upsertInstance.run({ ...info, draining: info.draining ? 1 : 0, heartbeat_at: iso(this.clock.now()), state }));
  }

  async instances(aliveWithinMs: number): Promise<InstanceInfo[]> {
    const rows = this.st.instances.all(iso(this.clock.now() - aliveWithinMs)) as (Omit<InstanceInfo, 'draining' | 'state'> & {
      draining: number;
      state: unknown;
    })[];
    return rows.map((r) => ({ ...r, draining: r.draining === 1, state: parseInstanceStateText(r.state) }));
  }

  async removeInstance(id: string): Promise<void> {
    this.write(false, () => this.st.removeInstance.run(id));
  }

  async pruneInstances(beforeMs: number): Promise<number> {
    return this.write(false, () => this.st.pruneInstances.run(iso(beforeMs)).changes);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
