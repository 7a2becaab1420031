import { E } from '../errors/index.js';
import type { Kysely } from 'kysely';

/** The two kinds of work of the operations guide. */
export const TASK_TYPES = ['search', 'analysis'] as const;
export type TaskType = (typeof TASK_TYPES)[number];
/** What users and operators call each type. */
export const TASK_TYPE_NAMES: Record<TaskType, string> = { search: '검색', analysis: '사건 분석' };

export const TASK_STATUSES = ['pending', 'processing', 'completed', 'failed', 'timeout', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export const TERMINAL_STATUSES: readonly TaskStatus[] = ['completed', 'failed', 'timeout', 'cancelled'];

/** The guide's per-type limits (seconds for timeout), as in its `OPTIMIZED_LIMITS`. */
export interface TypeLimits {
  max_concurrent: number;
  max_queue_size: number;
  timeout: number;
}
export type QueueLimits = Record<TaskType, TypeLimits>;

/** `case_analysis` (the guide's tuning section) is another name for `analysis`. */
export function taskTypeOf(name: string): TaskType | undefined {
  if (name === 'case_analysis') return 'analysis';
  return (TASK_TYPES as readonly string[]).includes(name) ? (name as TaskType) : undefined;
}

/** One row of the `tasks` table, as the API shows it. Times are ISO 8601 UTC. */
export interface TaskRecord {
  id: string;
  type: TaskType;
  status: TaskStatus;
  payload: unknown;
  result: unknown;
  error: string | null;
  error_code: string | null;
  attempts: number;
  max_attempts: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** Instance holding (or that last held) the task. */
  owner: string | null;
  lease_expires_at: string | null;
  /** Instance that must run it (a search is answered by the instance its HTTP request reached); null: any. */
  affinity: string | null;
  /** A pending task still pending at this time is timed out (synchronous tasks). */
  deadline_at: string | null;
  origin: string;
  wait_ms: number | null;
  run_ms: number | null;
  /** The stage the running task last reported, if any. */
  progress: string | null;
  /** Output the task reported so far (an analysis's model text while it is written). */
  partial: string | null;
}

/** A task handed to a worker by `claim`. */
export interface ClaimedTask {
  id: string;
  type: TaskType;
  payload: unknown;
  /** Attempt number of this claim (1 = first); `finish` must present it. */
  attempt: number;
  maxAttempts: number;
  createdAtMs: number;
}

export interface AdmitRequest {
  id: string;
  type: TaskType;
  payload: unknown;
  maxQueueSize: number;
  maxAttempts: number;
  origin: string;
  affinity: string | null;
  /**
   * How long the task may wait, ms: a task still pending after that is timed out; null: no limit. Relative,
   * so each store adds it to its own clock (SQLite: the injected one; PostgreSQL: the database's).
   */
  waitLimitMs: number | null;
  /** Claim the task at once for `owner` when a slot is free and nothing is waiting. */
  claim?: { owner: string; maxConcurrent: number; leaseMs: number };
  /** Commit with fsync (tasks whose submitter was told "accepted"). */
  durable: boolean;
}

export type AdmitResult = { admitted: false; pending: number } | { admitted: true; claimed: boolean; pending: number };

export interface ClaimRequest {
  type: TaskType;
  owner: string;
  /** Global limit of processing tasks of this type. */
  maxConcurrent: number;
  /** At most this many for this caller. */
  limit: number;
  leaseMs: number;
  /** Only tasks bound to this instance (string) or only unbound tasks (null). */
  affinity: string | null;
}

export type FinishStatus = 'completed' | 'failed' | 'timeout' | 'cancelled';

export interface FinishRequest {
  id: string;
  owner: string;
  attempt: number;
  status: FinishStatus;
  result?: unknown;
  /** Why the task did not complete (a catalog error: its code and message are stored). */
  failure?: TaskFailure;
  runMs: number;
  durable: boolean;
}

/**
 * A task that lived only in memory (a search: admitted, run and ended on one instance), written once,
 * whole, after it ended (`QueueStore.record`). Times are epoch ms.
 */
export interface RecordedTask {
  id: string;
  type: TaskType;
  status: FinishStatus;
  payload: unknown;
  result: unknown;
  failure: TaskFailure | null;
  attempts: number;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number;
  owner: string;
  affinity: string | null;
  origin: string;
  waitMs: number | null;
  runMs: number | null;
}

/** What a task's `error_code` and `error` record: a catalog error (an `AlawError` is one). */
export interface TaskFailure {
  readonly code: string;
  readonly message: string;
}

/** A task whose lease expired, as the lease sweep reads it. */
export interface ExpiredLease {
  id: string;
  owner: string | null;
  attempts: number;
  max_attempts: number;
  affinity: string | null;
}

/**
 * What the lease sweep does with a task whose lease expired (both stores): a
 * bound task (a search) failed with its instance, since nobody waits for the
 * answer any more; an unbound one goes back to pending while attempts remain.
 */
export function expiredLeaseOutcome(t: ExpiredLease): { requeue: boolean; failure: TaskFailure } {
  const owner = t.owner ?? '?';
  if (t.affinity !== null) return { requeue: false, failure: E.QUEUE_INSTANCE_LOST.error({ owner }) };
  if (t.attempts >= t.max_attempts) return { requeue: false, failure: E.QUEUE_ATTEMPTS_EXHAUSTED.error({ attempts: t.attempts, owner }) };
  return { requeue: true, failure: E.QUEUE_LEASE_EXPIRED.error({ attempt: t.attempts, owner }) };
}

/**
 * What recovery does with a task held by an instance declared dead (silent, or this instance's own
 * earlier life found at start): like an expired lease, but at once and saying why.
 */
export function deadOwnerOutcome(t: ExpiredLease, silentMs: number): { requeue: boolean; failure: TaskFailure } {
  const owner = t.owner ?? '?';
  if (t.affinity !== null) return { requeue: false, failure: E.QUEUE_INSTANCE_LOST.error({ owner }) };
  if (t.attempts >= t.max_attempts) return { requeue: false, failure: E.QUEUE_ATTEMPTS_EXHAUSTED.error({ attempts: t.attempts, owner }) };
  return { requeue: true, failure: E.QUEUE_INSTANCE_DEAD.error({ owner, silentS: Math.round(silentMs / 100) / 10, attempt: t.attempts }) };
}

/** Instances declared dead and what became of their tasks. */
export interface ReapResult {
  /** Instances whose tasks were recovered (the caller's own id when its earlier life was). */
  instances: string[];
  /** Held tasks with attempts left: pending again. */
  requeued: number;
  /** Held tasks with none left, and tasks bound to a dead instance (their callers are gone). */
  failed: number;
}

export interface ReclaimCounts {
  /** Lease expired, attempts left: pending again. */
  requeued: number;
  /** Lease expired with no attempts left, or bound to a lost instance. */
  failed: number;
  /** Pending past their deadline. */
  timedOut: number;
}

export type StatusCounts = Record<TaskType, Record<TaskStatus, number>>;

/**
 * What an instance publishes with each heartbeat (`queue_instances.state`, migration 0006), so every
 * instance can take the same cluster-wide profile decision (src/queue/clusterProfile.ts, issue 14).
 * It lives here rather than in clusterProfile.ts because the stores read it and that module builds
 * on this one (a type import back would be an import cycle).
 */
export interface InstanceState {
  /** The configured mode (`queue.profile`). */
  mode: 'auto' | 'conservative' | 'optimized';
  /** What this instance's own ProfileController says now (a fixed mode: that mode). */
  vote: 'conservative' | 'optimized';
  /** Its last resource sample. */
  usage: { memory_percent: number; cpu_percent: number };
  /** Its thresholds of the optimized profile (for the decision's reason). */
  optimized_when: { memory_percent_below: number; cpu_percent_below: number };
  /** Its configured limit sets. */
  limits: { conservative: QueueLimits; optimized: QueueLimits };
  /** The synchronous tasks (searches) waiting and running in its memory, which the table does not show until they end. */
  lines?: Partial<Record<TaskType, { waiting: number; running: number }>>;
}

export interface InstanceInfo {
  instance_id: string;
  host: string;
  pid: number;
  version: string;
  started_at: string;
  heartbeat_at: string;
  profile: string;
  draining: boolean;
  /**
   * What it published for the cluster's profile decision. Always present (a state or null) in what
   * `instances()` returns: null for a row written without one, by an older version, or unreadable.
   * Optional on a heartbeat, which then writes null.
   */
  state?: InstanceState | null;
}

/**
 * Storage of the queue: the `tasks` table in SQLite (`data/queue.db`) or
 * PostgreSQL (`DATABASE_URL`). Every state change is one transaction that
 * checks the state it changes from, so a task is claimed by one worker at a
 * time and completes at most once, whichever process holds it.
 */
export interface QueueStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Where the queue lives, for logs and status (no password). */
  readonly location: string;
  /**
   * Kysely over this database's own connection, for the capabilities that keep tables in the one
   * database every instance shares (API keys: src/auth). Closing the store closes it.
   */
  readonly shared: Kysely<unknown>;
  admit(req: AdmitRequest): Promise<AdmitResult>;
  /** Writes ended in-memory tasks in one transaction (not synced); an id already stored is left as it is. Returns how many were new. */
  record(rows: readonly RecordedTask[]): Promise<number>;
  claim(req: ClaimRequest): Promise<ClaimedTask[]>;
  /** Sets a task's final status if `owner` still holds this attempt; false when it lost the task. */
  finish(req: FinishRequest): Promise<boolean>;
  /** Puts a held task back to pending for another attempt (a retryable failure). */
  retry(id: string, owner: string, attempt: number, failure: TaskFailure): Promise<boolean>;
  /** Extends the leases of the listed task attempts still held by `owner`; returns the ids still held (at that attempt). */
  renew(owner: string, held: { id: string; attempt: number }[], leaseMs: number): Promise<string[]>;
  /** Gives held tasks back (shutdown), without counting the attempt. */
  release(owner: string, ids: string[]): Promise<number>;
  /**
   * Declares instances dead and recovers their tasks, in one transaction: every other instance whose
   * last heartbeat is older than `silentMs` (its row is removed, so exactly one survivor recovers it),
   * and, with `previousLife`, what `self` itself held before a restart (call it before claiming anything).
   */
  reapInstances(self: string, silentMs: number, previousLife: boolean): Promise<ReapResult>;
  /** Times out pending tasks past their deadline and recovers tasks whose lease expired. */
  reclaim(): Promise<ReclaimCounts>;
  /** Marks a pending task timed out, if it is still pending. */
  expirePending(id: string, failure: TaskFailure): Promise<boolean>;
  /** Records the stage a held task reports (and its partial output, when given); false when `owner` no longer holds this attempt. */
  setProgress(id: string, owner: string, attempt: number, stage: string, partial?: string): Promise<boolean>;
  /** Cancels one task if it is still pending. */
  cancelOne(id: string, failure: TaskFailure): Promise<boolean>;
  /** Cancels pending tasks (of one type or all); returns the ids. */
  cancelPending(type: TaskType | null, failure: TaskFailure): Promise<{ id: string; type: TaskType }[]>;
  /** Tasks by type and status; `activeOnly`: pending and processing only (cheap, index range). */
  counts(activeOnly?: boolean): Promise<StatusCounts>;
  /** Created-at (epoch ms) of the oldest pending task per type. */
  oldestPending(): Promise<Record<TaskType, number | null>>;
  /** Wait and run times (ms) of tasks of a type finished in the last `windowMs`, newest first. */
  durations(type: TaskType, windowMs: number, limit: number): Promise<{ wait: number[]; run: number[] }>;
  get(id: string): Promise<TaskRecord | null>;
  /** Tasks in one status, oldest first (what the guide's `SELECT * … WHERE status='processing' ORDER BY created_at` shows). */
  list(status: TaskStatus, limit: number): Promise<TaskRecord[]>;
  /** 1-based place among pending tasks of its type, or null when not pending. */
  position(id: string): Promise<number | null>;
  /** Status of each listed task that still exists. */
  statuses(ids: string[]): Promise<Map<string, TaskStatus>>;
  /** Deletes finished tasks of a type finished before `beforeMs`; returns how many. */
  prune(type: TaskType, beforeMs: number, batch: number): Promise<number>;
  ping(): Promise<void>;
  heartbeatInstance(info: Omit<InstanceInfo, 'heartbeat_at'>): Promise<void>;
  instances(aliveWithinMs: number): Promise<InstanceInfo[]>;
  removeInstance(id: string): Promise<void>;
  /** Forgets instances whose last heartbeat is older than `beforeMs` (they died without a clean stop). */
  pruneInstances(beforeMs: number): Promise<number>;
  close(): Promise<void>;
}

export function emptyCounts(): StatusCounts {
  const row = (): Record<TaskStatus, number> => ({ pending: 0, processing: 0, completed: 0, failed: 0, timeout: 0, cancelled: 0 });
  return { search: row(), analysis: row() };
}
