/**
 * What the parts of one instance's task queue share (see taskQueue.ts, the facade that wires them).
 *
 * `QueueState` is passed to each part in its constructor: the store, the settings, the clock and the
 * logger; the lifecycle flags (started, draining, stopped, halted) and this instance's id; the cluster's
 * profile decision and the limits it puts in force; the attempts running here (`running`, synchronous and
 * leased ones); the in-memory lines of the synchronous types and the recorder of their ended rows; the
 * registered workers and observers; and the counters the status page and the wait estimates read. It holds
 * no behaviour beyond reading those (`limits`, `isRunning`) and reporting a store failure. The task-facing
 * types every part uses (`TaskContext`, `TaskHandler`, `QueueObserver`, the abort and retry errors) are
 * defined here too, so no part imports another for them.
 */
import type { Logger } from 'pino';
import type { Clock, Timer } from '../clock.js';
import { RepeatedErrorLog } from '../logRepeats.js';
import { AlawError } from '../errors/index.js';
import type { ClusterDecision } from './clusterProfile.js';
import type { InstanceIdSource } from './instanceId.js';
import { LocalLine, type LineLimits } from './localLine.js';
import type { ProfileController, ProfileSettings } from './profile.js';
import { Recorder, RECORDER_DEFAULTS, type RecorderOptions } from './recorder.js';
import type { FinishStatus, QueueStore, ReclaimCounts, TaskType, TypeLimits } from './types.js';

export interface TaskContext {
  taskId: string;
  attempt: number;
  /** Aborted when the task exceeds its timeout, loses its lease, is cancelled, or the server stops. */
  signal: AbortSignal;
  /** Epoch ms at which the task's timeout aborts it (work with its own timeout can finish before). */
  deadlineMs: number;
  /**
   * Reports the stage the task has reached and, optionally, the output produced so far (a model's text
   * as it is written), shown by status views and event streams; best effort.
   */
  progress(stage: string, partial?: string): Promise<void>;
}

/** Hears what the queue does, for metrics (src/ops/metrics.ts). Each call must be cheap and must not throw. */
export interface QueueObserver {
  /** A task this instance ran ended; `waitMs` from creation to start of this attempt. */
  finished(type: TaskType, status: FinishStatus, waitMs: number, runMs: number, task: { id: string; payload: unknown }): void;
  /** Admission refused: the type's queue was full. */
  rejected(type: TaskType): void;
  /** A task waited past its deadline (stage `wait`) or ran past its timeout (stage `run`). */
  timedOut(type: TaskType, stage: 'wait' | 'run'): void;
  /** Tasks of dead instances recovered by this instance. */
  reclaimed(counts: ReclaimCounts): void;
}

/** Runs one asynchronous task; the resolved value is stored as the task's result. */
export type TaskHandler = (payload: unknown, ctx: TaskContext) => Promise<unknown>;

/**
 * Thrown by a handler for a failure worth another attempt (e.g. a model
 * server's 503): the catalog error it wraps is recorded while attempts remain.
 */
export class RetryableTaskError extends AlawError {
  constructor(failure: AlawError) {
    super(failure.spec, failure.message, failure.details, { cause: failure });
  }
}

/** Why a task's AbortSignal fired, as the catalog error its task records. */
export class TaskAbort extends AlawError {
  constructor(
    readonly reason: 'timeout' | 'lease_lost' | 'shutdown' | 'cancelled',
    failure: AlawError,
  ) {
    super(failure.spec, failure.message, failure.details);
  }
}

export interface QueueOptions {
  instanceId: string;
  /** Where the id came from (default: configured): a kept id another live process uses is replaced, a configured one refused. */
  idSource?: InstanceIdSource;
  version: string;
  profile: ProfileSettings;
  leaseMs: number;
  /** Instance heartbeat interval, and the silence after which an instance is declared dead (ms). */
  heartbeatMs: number;
  deadMs: number;
  maxAttempts: number;
  pollMs: number;
  retentionMs: Record<TaskType, number>;
  pruneIntervalMs: number;
  sampleMs: number;
  shutdownGraceMs: number;
  /** Time for leases, timeouts, polling, pruning and the profile (tests give a manual clock). */
  clock?: Clock;
  /** Write-behind of ended searches (defaults: RECORDER_DEFAULTS). */
  recorder?: RecorderOptions;
}

/** A synchronous task waiting in its instance's line. */
export interface Waiter {
  type: TaskType;
  payload: unknown;
  createdAt: number;
  resolve: () => void;
  reject: (err: AlawError) => void;
  /** Its deadline: at the type's timeout a still-waiting task is turned away with 503. */
  timer?: Timer;
}

/** An attempt running on this instance. */
export interface Running {
  type: TaskType;
  attempt: number;
  controller: AbortController;
  /** A synchronous task (in this instance's memory, no row until it ends) rather than a leased row. */
  bound: boolean;
  /** Of a synchronous task: what `task()` shows while it runs. */
  sync?: { payload: unknown; createdAt: number; startedAt: number };
}

/** How many recent run times of a type this instance keeps (its median run time). */
export const RECENT = 200;

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** The median and 95th percentile of some durations. */
export function summary(values: number[]): { p50: number | null; p95: number | null; samples: number } {
  const s = [...values].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p95: percentile(s, 95), samples: s.length };
}

export class QueueState {
  readonly storeErrors: RepeatedErrorLog;
  /** This instance's id (it may change at start, when another live process uses the kept one). */
  id: string;
  started = false;
  draining = false;
  stopped = false;
  /** Set by the drain once its grace period is over: nothing is claimed any more. */
  halted = false;
  /** The profile in force for the cluster, from the instances' published states (null until the first heartbeat). */
  decision: ClusterDecision | null = null;
  /** The attempts running here: synchronous tasks (bound) and claimed rows (leased). */
  readonly running = new Map<string, Running>();
  /** The in-memory line of each synchronous type on this instance (searches; see localLine.ts). */
  readonly lines: Record<TaskType, LocalLine<Waiter>>;
  /** Ended synchronous tasks, written in batches. */
  readonly recorder: Recorder;
  readonly handlers: Partial<Record<TaskType, TaskHandler>> = {};
  readonly observers: QueueObserver[] = [];
  /** Requests turned away because the type's queue was full, and tasks that timed out (waiting or running), since start. */
  readonly rejected: Record<TaskType, number> = { search: 0, analysis: 0 };
  readonly timedOut: Record<TaskType, number> = { search: 0, analysis: 0 };
  /** This instance's recent run times of a type (ms, the last {@link RECENT}). */
  readonly recentRun: Record<TaskType, number[]> = { search: [], analysis: [] };
  /** Median run time of a type from the store's recent history, when this instance has not run one yet. */
  readonly storeRunP50: Record<TaskType, number | null> = { search: null, analysis: null };

  constructor(
    readonly store: QueueStore,
    readonly options: QueueOptions,
    readonly logger: Logger,
    readonly clock: Clock,
    readonly profile: ProfileController,
  ) {
    this.storeErrors = new RepeatedErrorLog(logger, clock);
    this.id = options.instanceId;
    const own = (t: TaskType): LineLimits => ({ maxConcurrent: profile.limits[t].max_concurrent, maxQueueSize: profile.limits[t].max_queue_size });
    this.lines = { search: new LocalLine<Waiter>(own('search')), analysis: new LocalLine<Waiter>(own('analysis')) };
    this.recorder = new Recorder(store, clock, (err) => this.reportStoreError(err), options.recorder ?? RECORDER_DEFAULTS);
  }

  get isRunning(): boolean {
    return this.started && !this.draining && !this.stopped;
  }

  /** The limits in force for the cluster (the cluster's profile decision; this instance's own until it has one). */
  limits(type: TaskType): TypeLimits {
    return this.decision?.limits[type] ?? this.profile.limits[type];
  }

  /** The profile in force for the cluster. */
  get activeProfile(): ClusterDecision['profile'] {
    return this.decision?.profile ?? this.profile.name;
  }

  /** A store failure: logged once with its error, then counted (an outage fails every call the same way). */
  reportStoreError(err: unknown): void {
    this.storeErrors.error('queue-store', err, '작업 큐 데이터베이스 오류', { queue: this.store.location });
  }
}
