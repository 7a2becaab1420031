import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Logger } from 'pino';
import { RepeatedErrorLog } from '../logRepeats.js';
import { isoNow, sleep, systemClock, unrefTimer, type Clock, type Timer } from '../clock.js';
import { logContext } from '../context.js';
import { AlawError, E } from '../errors/index.js';
import type { InstanceIdSource } from './instanceId.js';
import { Liveness } from './liveness.js';
import { decideClusterProfile, instanceStateOf, shareOf, type ClusterDecision } from './clusterProfile.js';
import { LocalLine, type LineLimits } from './localLine.js';
import { Recorder, RECORDER_DEFAULTS, recordOf, type RecorderOptions } from './recorder.js';
import { RetrySchedule } from './retrySchedule.js';
import { TurnedAwayLog } from './turnedAway.js';
import { ProfileController, ResourceMonitor, type ProfileSettings, type ResourceUsage } from './profile.js';
import {
  emptyCounts,
  TASK_TYPE_NAMES as TYPE_KO,
  TASK_TYPES,
  type AdmitRequest,
  type AdmitResult,
  type ClaimedTask,
  type FinishStatus,
  type ReclaimCounts,
  type RecordedTask,
  type InstanceInfo,
  type QueueStore,
  type StatusCounts,
  type TaskFailure,
  type TaskRecord,
  type TaskStatus,
  type TaskType,
  type TypeLimits,
} from './types.js';

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

const RECENT = 200;
/** SQLite keeps counts in a trigger-maintained table (cheap); PostgreSQL counts the table, so health reuses that for a while. */
const FINISHED_COUNTS_TTL_MS: Record<QueueStore['kind'], number> = { sqlite: 0, postgres: 30_000 };

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function summary(values: number[]): { p50: number | null; p95: number | null; samples: number } {
  const s = [...values].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p95: percentile(s, 95), samples: s.length };
}

/** A synchronous task waiting in its instance's line. */
interface Waiter {
  type: TaskType;
  payload: unknown;
  createdAt: number;
  resolve: () => void;
  reject: (err: AlawError) => void;
  /** Its deadline: at the type's timeout a still-waiting task is turned away with 503. */
  timer?: Timer;
}

interface Running {
  type: TaskType;
  attempt: number;
  controller: AbortController;
  /** A synchronous task (in this instance's memory, no row until it ends) rather than a leased row. */
  bound: boolean;
  /** Of a synchronous task: what `task()` shows while it runs. */
  sync?: { payload: unknown; createdAt: number; startedAt: number };
}

/** Run time assumed before any task of a type was seen (its `Retry-After` and wait estimates). */
const DEFAULT_RUN_MS: Record<TaskType, number> = { search: 20, analysis: 30_000 };
/** A store's verdict "the analysis queue is full" is trusted this long: refusals meanwhile cost no query. */
const KNOWN_FULL_MS = 1000;

type Outcome = { ok: true; value: unknown; runMs: number } | { ok: false; status: FinishStatus; error: Error; runMs: number };

export interface HealthReport {
  status: 'healthy' | 'degraded' | 'unhealthy';
  is_running: boolean;
  queue_stats: Record<TaskType, { pending: number; processing: number; completed: number }>;
  resource_usage: ResourceUsage;
  timestamp: string;
}

/**
 * The task queue of one service instance, over a {@link QueueStore} shared
 * with other instances.
 *
 * - `run()` admits a synchronous task (a search): it is bound to this
 *   instance, waits for a slot up to the type's timeout, runs here, and its
 *   caller gets the value.
 * - `submit()` admits an asynchronous task (an analysis) that any instance's
 *   worker may claim; its result is stored.
 *
 * Every running task holds a lease renewed by a heartbeat; tasks of a
 * process that died are reclaimed by whichever instance notices first.
 */
export class TaskQueue {
  readonly monitor = new ResourceMonitor();
  readonly profile: ProfileController;
  private readonly handlers: Partial<Record<TaskType, TaskHandler>> = {};
  private readonly running = new Map<string, Running>();
  /** The in-memory line of each synchronous type on this instance (searches; see localLine.ts). */
  private readonly lines: Record<TaskType, LocalLine<Waiter>>;
  private readonly recorder: Recorder;
  private readonly schedules: Record<TaskType, RetrySchedule> = { search: new RetrySchedule(), analysis: new RetrySchedule() };
  private readonly turnedAway: TurnedAwayLog;
  /** Median run time of a type from the store's recent history, when this instance has not run one yet. */
  private readonly storeRunP50: Record<TaskType, number | null> = { search: null, analysis: null };
  /** The last time the store said a type's queue was full, and how many waited then. */
  private readonly knownFull: Record<TaskType, { at: number; pending: number } | null> = { search: null, analysis: null };
  private readonly recentRun: Record<TaskType, number[]> = { search: [], analysis: [] };
  private readonly rejected: Record<TaskType, number> = { search: 0, analysis: 0 };
  private readonly timedOut: Record<TaskType, number> = { search: 0, analysis: 0 };
  private readonly dispatching: Record<TaskType, boolean> = { search: false, analysis: false };
  private readonly dispatchAgain: Record<TaskType, boolean> = { search: false, analysis: false };
  private timers: Timer[] = [];
  private started = false;
  private draining = false;
  private stopped = false;
  private halted = false;
  private stopping?: Promise<{ finished: boolean; released: number }>;
  private readonly storeErrors: RepeatedErrorLog;
  private finishedCounts: { at: number; counts: StatusCounts } | null = null;
  private observers: QueueObserver[] = [];
  readonly startedAt: Date;
  private readonly clock: Clock;
  private id: string;
  private readonly liveness: Liveness;
  /** The profile in force for the cluster, from the instances' published states (null until the first heartbeat). */
  private decision: ClusterDecision | null = null;

  constructor(
    readonly store: QueueStore,
    private readonly options: QueueOptions,
    private readonly logger: Logger,
  ) {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the lease keeper reads the id live (it may change at start)
    const self = this;
    this.clock = options.clock ?? systemClock;
    this.storeErrors = new RepeatedErrorLog(logger, this.clock);
    this.startedAt = new Date(this.clock.now());
    this.profile = new ProfileController(options.profile, this.clock);
    this.id = options.instanceId;
    const own = (t: TaskType): LineLimits => ({ maxConcurrent: this.profile.limits[t].max_concurrent, maxQueueSize: this.profile.limits[t].max_queue_size });
    this.lines = { search: new LocalLine<Waiter>(own('search')), analysis: new LocalLine<Waiter>(own('analysis')) };
    this.recorder = new Recorder(store, this.clock, (err) => this.reportStoreError(err), options.recorder ?? RECORDER_DEFAULTS);
    this.turnedAway = new TurnedAwayLog(logger, this.clock);
    this.liveness = new Liveness(
      store,
      {
        get instanceId() {
          return self.id;
        },
        info: () => this.info(),
        // Leased rows only: a synchronous task has no row to renew until it has ended.
        held: () => new Map([...this.running].filter(([, r]) => !r.bound)),
        lost: (id, attempt) => {
          const r = attempt as Running;
          this.logger.warn({ task_id: id, type: r.type }, '작업의 임대를 잃었습니다 (다른 인스턴스가 넘겨받음). 이 인스턴스의 실행을 중단합니다');
          r.controller.abort(new TaskAbort('lease_lost', E.TASK_LEASE_LOST.error({ why: 'expired' })));
        },
        recovered: (counts) => {
          for (const o of this.observers) o.reclaimed(counts);
          for (const t of TASK_TYPES) this.kick(t);
        },
        observed: (members) => this.decide(members),
      },
      { heartbeatMs: options.heartbeatMs, deadMs: options.deadMs, leaseMs: options.leaseMs },
      this.clock,
      logger,
    );
  }

  /** This instance's id (stable across restarts unless another live process already used the kept one). */
  get instanceId(): string {
    return this.id;
  }

  get isRunning(): boolean {
    return this.started && !this.draining && !this.stopped;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** The limits in force for the cluster (the cluster's profile decision; this instance's own until it has one). */
  limits(type: TaskType): TypeLimits {
    return this.decision?.limits[type] ?? this.profile.limits[type];
  }

  /** The profile in force for the cluster. */
  get activeProfile(): ClusterDecision['profile'] {
    return this.decision?.profile ?? this.profile.name;
  }

  /** Applies the cluster's decision from the instances' rows; logs when the profile in force changes. */
  private decide(members: readonly InstanceInfo[]): void {
    const me = this.info();
    const before = this.decision;
    this.decision = decideClusterProfile(members, { instance_id: me.instance_id, draining: me.draining, state: me.state! }, this.clock);
    const d = this.decision;
    if (before && before.profile !== d.profile) {
      this.logger.info(
        { from: before.profile, to: d.profile, reason: d.reason, limits: d.limits },
        `클러스터 작업 큐 프로필을 ${d.profile === 'optimized' ? '최적화(optimized)' : '기본(conservative)'}로 바꿨습니다: ${d.reason}`,
      );
    }
    if (!before || JSON.stringify(before.limits) !== JSON.stringify(d.limits)) for (const t of TASK_TYPES) this.kick(t);
    // This instance's share of the cluster's limits for what it runs in memory (searches), over the live instances.
    const live = members.filter((m) => !m.draining).map((m) => m.instance_id);
    for (const t of TASK_TYPES) {
      const l = d.limits[t];
      // No places to wait (max_queue_size 0) stays none: shareOf gives every instance at least one.
      const share = {
        maxConcurrent: shareOf(l.max_concurrent, live, me.instance_id),
        maxQueueSize: l.max_queue_size <= 0 ? 0 : shareOf(l.max_queue_size, live, me.instance_id),
      };
      for (const e of this.lines[t].setLimits(share)) this.startWaiter(e.id, e.value);
    }
  }

  /** This instance's share of the cluster's limits of a type (its line's limits). */
  lineLimits(type: TaskType): LineLimits {
    return this.lines[type].limits;
  }

  /** Requests of a type this instance turned away because the queue was full, since it started. */
  rejectedTotal(type: TaskType): number {
    return this.rejected[type];
  }

  /** Adds an observer (metrics). */
  observe(observer: QueueObserver): void {
    this.observers.push(observer);
  }

  /** Registers the worker of an asynchronous task type; only then does this instance claim tasks of that type. */
  handle(type: TaskType, handler: TaskHandler): void {
    this.handlers[type] = handler;
    if (this.started) this.kick(type);
  }

  /** Starts heartbeats, lease recovery, pruning, resource sampling and polling. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.monitor.sample();
    if (!(await this.liveness.startUp(this.options.idSource ?? 'configured'))) {
      const kept = this.id;
      this.id = `${kept}-${process.pid}`;
      this.logger.warn(
        { kept, instance_id: this.id },
        `보관된 인스턴스 ID ${kept}를 다른 실행 중인 프로세스가 쓰고 있어 이번에는 ${this.id}로 시작합니다 (같은 data 디렉터리를 쓰는 인스턴스마다 INSTANCE_ID를 지정하세요)`,
      );
      await this.liveness.startUp('configured');
    }
    await this.liveness.sweep();
    const every = (ms: number, fn: () => unknown): void => {
      const t = this.clock.setInterval(() => {
        void Promise.resolve()
          .then(fn)
          .catch((err: unknown) => this.reportStoreError(err));
      }, ms);
      unrefTimer(t);
      this.timers.push(t);
    };
    every(this.options.heartbeatMs, () => this.liveness.beat());
    every(Math.max(200, Math.floor(this.options.leaseMs / 3)), () => this.liveness.renew());
    every(Math.max(500, Math.floor(this.options.leaseMs / 2)), () => this.liveness.sweep());
    every(this.options.pruneIntervalMs, () => this.prune());
    every(this.options.sampleMs, () => this.sample());
    every(this.options.pollMs, () => this.poll());
    setImmediate(() => void this.prune().catch((err: unknown) => this.reportStoreError(err)));
    for (const t of TASK_TYPES) this.kick(t);
  }

  // ---------------------------------------------------------------- admission

  private assertAccepting(type: TaskType): void {
    if (this.draining || this.stopped || !this.started) {
      throw E.QUEUE_STOPPING.error({ phase: 'admission' }, { type }).withHeaders({ 'Retry-After': '5' });
    }
  }

  /** Median run time of a type: this instance's recent runs, else the store's recent history, else a default. */
  private runP50Ms(type: TaskType): number {
    return summary(this.recentRun[type]).p50 ?? this.storeRunP50[type] ?? DEFAULT_RUN_MS[type];
  }

  /** Seconds until a slot is likely free: the tasks ahead, run `max_concurrent` at a time, at the type's median run time. */
  estimateWaitSeconds(type: TaskType, ahead: number): number {
    const l = this.limits(type);
    return Math.max(1, Math.min(l.timeout, Math.ceil(((ahead + 1) / l.max_concurrent) * (this.runP50Ms(type) / 1000))));
  }

  /**
   * A request turned away because its line is full: counted in memory, logged by sample, and told when
   * to come back. A search's `Retry-After` comes from its line's schedule (spread so that returning
   * clients are not more than the line serves per second); an analysis's from the analysis queue.
   */
  private turnAway(type: TaskType, pending: number, max: number): { error: AlawError; holdMs: number } {
    this.rejected[type] += 1;
    for (const o of this.observers) o.rejected(type);
    this.turnedAway.note(type, pending, max);
    let retry = this.estimateWaitSeconds(type, pending);
    let holdMs = 0;
    if (type === 'search') {
      const l = this.lines[type].limits;
      const back = this.schedules[type].book(
        this.clock.now(),
        pending,
        (l.maxConcurrent * 1000) / Math.max(1, this.runP50Ms(type)),
        l.maxConcurrent + l.maxQueueSize,
      );
      retry = back.retryAfterS;
      holdMs = back.holdMs;
    }
    const error = E.QUEUE_FULL.error(
      { typeName: TYPE_KO[type], pending, max, retryS: retry },
      { type, pending, max_queue_size: max, retry_after_s: retry },
    ).withHeaders({ 'Retry-After': String(retry) });
    return { error, holdMs };
  }

  private unavailable(err: unknown): AlawError {
    this.reportStoreError(err);
    return E.QUEUE_UNAVAILABLE.error({}).withHeaders({
      'Retry-After': '5',
    });
  }

  /** A store failure: logged once with its error, then counted (an outage fails every call the same way). */
  reportStoreError(err: unknown): void {
    this.storeErrors.error('queue-store', err, '작업 큐 데이터베이스 오류', { queue: this.store.location });
  }

  /** Admits a task into the store, or throws 429 (queue full) or 503 (store unreachable). */
  private async admit(req: AdmitRequest): Promise<Extract<AdmitResult, { admitted: true }>> {
    // The store said a moment ago that this queue is full: turned away without asking again.
    const known = this.knownFull[req.type];
    if (known && this.clock.now() - known.at < KNOWN_FULL_MS) throw this.turnAway(req.type, known.pending, req.maxQueueSize).error;
    let admitted: AdmitResult;
    try {
      admitted = await this.store.admit(req);
    } catch (err) {
      throw this.unavailable(err);
    }
    if (!admitted.admitted) {
      this.knownFull[req.type] = { at: this.clock.now(), pending: admitted.pending };
      throw this.turnAway(req.type, admitted.pending, req.maxQueueSize).error;
    }
    this.knownFull[req.type] = null;
    return admitted;
  }

  /**
   * Runs `fn` as a task of `type` on this instance once a slot is free, and returns its value. Rejects
   * with 429 when the type's line is full, 503 when the wait exceeds the type's timeout, 504 when the
   * run does. Admission, the wait and the refusal happen in this instance's memory (its share of the
   * cluster's limits); the task's row is written after it ends, with others, by the recorder.
   * `summarize` gives what is stored as the task's result.
   */
  async run<R>(
    type: TaskType,
    payload: unknown,
    fn: (ctx: TaskContext) => R | Promise<R>,
    options: { summarize?: (value: R) => unknown; onAdmitted?: (taskId: string) => void } = {},
  ): Promise<R> {
    const summarize = options.summarize ?? (() => null);
    this.assertAccepting(type);
    const l = this.limits(type);
    const line = this.lines[type];
    const id = randomUUID();
    const createdAt = this.clock.now();
    let resolve!: () => void;
    let reject!: (err: AlawError) => void;
    const turn = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    turn.catch(() => undefined);
    const waiter: Waiter = { type, payload, createdAt, resolve, reject };
    const entered = line.enter(id, createdAt, waiter);
    if (entered === 'full') {
      // Answered when the schedule says (retrySchedule.ts): an obeying client returns in a slot of its own.
      const refusal = this.turnAway(type, line.waiting, line.limits.maxQueueSize);
      if (refusal.holdMs > 0) await sleep(this.clock, refusal.holdMs);
      throw refusal.error;
    }
    options.onAdmitted?.(id);
    if (entered === 'wait') {
      waiter.timer = this.clock.setTimeout(() => this.waitExpired(id, type), l.timeout * 1000);
      await turn;
    }
    const startedAt = this.clock.now();
    const task: ClaimedTask = { id, type, payload, attempt: 1, maxAttempts: 1, createdAtMs: createdAt };
    this.running.set(id, { type, attempt: 1, controller: new AbortController(), bound: true, sync: { payload, createdAt, startedAt } });
    let outcome: Outcome;
    try {
      outcome = await this.execute(task, (ctx) => fn(ctx), true);
    } finally {
      for (const e of line.leave()) this.startWaiter(e.id, e.value);
    }
    this.schedules[type].served(this.clock.now());
    if (outcome.ok) {
      let result: unknown = null;
      try {
        result = summarize(outcome.value as R);
      } catch (err) {
        this.logger.warn({ err, task_id: id }, '작업 결과 요약 실패 (결과 없이 완료로 기록)');
      }
      this.ended(task, 'completed', { result }, startedAt, outcome.runMs);
      return outcome.value as R;
    }
    this.ended(task, outcome.status, this.errorFields(outcome.error), startedAt, outcome.runMs);
    if (outcome.status === 'timeout') {
      throw E.TASK_TIMEOUT.error({ typeName: TYPE_KO[type], timeoutS: l.timeout }, { type, timeout_s: l.timeout });
    }
    if (outcome.error instanceof TaskAbort) throw this.stoppingError(type);
    throw outcome.error;
  }

  /** A waiting task's slot came: it leaves the line (already counted as running) and its caller goes on. */
  private startWaiter(_id: string, w: Waiter): void {
    this.clock.clearTimeout(w.timer);
    w.resolve();
  }

  /** A waiting task's deadline passed: its caller gets 503 and its row records the timeout. */
  private waitExpired(id: string, type: TaskType): void {
    const e = this.lines[type].remove(id);
    if (!e) return;
    this.timedOut[type] += 1;
    for (const o of this.observers) o.timedOut(type, 'wait');
    const l = this.limits(type);
    const err = E.QUEUE_WAIT_TIMEOUT.error({ typeName: TYPE_KO[type], timeoutS: l.timeout }, { type, timeout_s: l.timeout });
    this.endedWaiting(id, e.value, 'timeout', E.QUEUE_WAIT_TIMEOUT.error({}));
    e.value.reject(err.withHeaders({ 'Retry-After': String(this.estimateWaitSeconds(type, this.lines[type].waiting)) }));
  }

  /** Records a synchronous task that ended: observers now, its row with the next batch. */
  private ended(task: ClaimedTask, status: FinishStatus, fields: { result?: unknown; failure?: TaskFailure }, startedAt: number, runMs: number): void {
    const waitMs = Math.max(0, startedAt - task.createdAtMs);
    for (const o of this.observers) o.finished(task.type, status, waitMs, runMs, task);
    this.recorder.add({
      id: task.id,
      type: task.type,
      status,
      payload: task.payload,
      result: fields.result ?? null,
      failure: fields.failure ?? null,
      attempts: 1,
      createdAt: task.createdAtMs,
      startedAt,
      finishedAt: this.clock.now(),
      owner: this.instanceId,
      affinity: this.instanceId,
      origin: this.instanceId,
      waitMs,
      runMs,
    });
  }

  /** Records a synchronous task that left the line without running (deadline, cancel, shutdown). */
  private endedWaiting(id: string, w: Waiter, status: FinishStatus, failure: TaskFailure): void {
    this.clock.clearTimeout(w.timer);
    const row: RecordedTask = {
      id,
      type: w.type,
      status,
      payload: w.payload,
      result: null,
      failure,
      attempts: 0,
      createdAt: w.createdAt,
      startedAt: null,
      finishedAt: this.clock.now(),
      owner: this.instanceId,
      affinity: this.instanceId,
      origin: this.instanceId,
      waitMs: null,
      runMs: null,
    };
    this.recorder.add(row);
  }

  private stoppingError(type: TaskType): AlawError {
    return E.QUEUE_STOPPING.error({ phase: 'running' }, { type }).withHeaders({ 'Retry-After': '5' });
  }

  /** Admits an asynchronous task for any instance's worker; returns its id and place in the queue. */
  async submit(type: TaskType, payload: unknown, options: { maxAttempts?: number } = {}): Promise<{ id: string; position: number; estimated_wait_s: number }> {
    this.assertAccepting(type);
    const l = this.limits(type);
    const id = randomUUID();
    const admitted = await this.admit({
      id,
      type,
      payload,
      maxQueueSize: l.max_queue_size,
      maxAttempts: options.maxAttempts ?? this.options.maxAttempts,
      origin: this.instanceId,
      affinity: null,
      waitLimitMs: null,
      durable: true,
    });
    this.kick(type);
    return { id, position: admitted.pending, estimated_wait_s: this.estimateWaitSeconds(type, admitted.pending - 1) };
  }

  // ---------------------------------------------------------------- dispatch

  /** Runs the dispatcher of a type now, or once more after the current pass. */
  private kick(type: TaskType): void {
    if (this.dispatching[type]) {
      this.dispatchAgain[type] = true;
      return;
    }
    this.dispatching[type] = true;
    void (async () => {
      try {
        do {
          this.dispatchAgain[type] = false;
          await this.dispatch(type);
        } while (this.dispatchAgain[type]);
      } catch (err) {
        this.reportStoreError(err);
      } finally {
        this.dispatching[type] = false;
      }
    })();
  }

  private async dispatch(type: TaskType): Promise<void> {
    if (!this.started || this.stopped || this.halted) return;
    const l = this.limits(type);
    const handler = this.handlers[type];
    if (!handler || this.draining) return;
    let mine = 0;
    for (const r of this.running.values()) if (r.type === type && !r.bound) mine += 1;
    const free = l.max_concurrent - mine;
    if (free <= 0) return;
    const claimed = await this.store.claim({
      type,
      owner: this.instanceId,
      affinity: null,
      limit: free,
      maxConcurrent: l.max_concurrent,
      leaseMs: this.options.leaseMs,
    });
    for (const task of claimed) {
      this.hold(task, false);
      void this.runAsync(task, handler);
    }
  }

  /**
   * Records a claimed attempt as running here. If an older attempt of the same task still runs here
   * (its lease expired while this process was cut off, and this instance claimed the task again),
   * that attempt is aborted: its result would be refused anyway.
   */
  private hold(task: ClaimedTask, bound: boolean): void {
    const old = this.running.get(task.id);
    if (old) old.controller.abort(new TaskAbort('lease_lost', E.TASK_LEASE_LOST.error({ why: 'new_attempt' })));
    this.running.set(task.id, { type: task.type, attempt: task.attempt, controller: new AbortController(), bound });
  }

  private async runAsync(task: ClaimedTask, handler: TaskHandler): Promise<void> {
    try {
      await this.runAsyncOnce(task, handler);
    } finally {
      this.kick(task.type);
    }
  }

  private async runAsyncOnce(task: ClaimedTask, handler: TaskHandler): Promise<void> {
    const outcome = await this.execute(task, (ctx) => handler(task.payload, ctx), false);
    if (outcome.ok) {
      await this.finish(task, 'completed', { result: outcome.value ?? null }, outcome.runMs, true);
      this.schedules[task.type].served(this.clock.now());
    } else if (outcome.error instanceof TaskAbort && outcome.error.reason === 'cancelled') {
      await this.finish(task, 'cancelled', { failure: outcome.error }, outcome.runMs, true);
    } else if (outcome.error instanceof TaskAbort && outcome.error.reason !== 'timeout') {
      // Lease lost (another instance took it over) or shutdown (released by stop()): nothing to record here.
    } else if (outcome.error instanceof RetryableTaskError && task.attempt < task.maxAttempts) {
      const ok = await this.store.retry(task.id, this.instanceId, task.attempt, outcome.error).catch((err: unknown) => {
        this.reportStoreError(err);
        return false;
      });
      this.logger.warn({ task_id: task.id, type: task.type, attempt: task.attempt, err: outcome.error, requeued: ok }, '작업이 실패해 다시 시도합니다');
    } else {
      await this.finish(task, outcome.status, this.errorFields(outcome.error), outcome.runMs, true);
      this.logger.warn({ task_id: task.id, type: task.type, attempt: task.attempt, status: outcome.status, err: outcome.error }, '작업이 실패했습니다');
    }
  }

  /**
   * Runs a claimed task's function under its timeout; the task stays in `running` until it settles.
   * Callers record the outcome and then `kick()` the dispatcher — not before, or the next claim
   * would still count this task as processing and leave the slot idle until the next poll.
   */
  private async execute(task: ClaimedTask, fn: (ctx: TaskContext) => unknown, bound: boolean): Promise<Outcome> {
    let entry = this.running.get(task.id);
    if (!entry || entry.attempt !== task.attempt) {
      entry = { type: task.type, attempt: task.attempt, controller: new AbortController(), bound };
      this.running.set(task.id, entry);
    }
    const mine = entry;
    const { controller } = entry;
    // Yield to I/O before each task: the rest of a burst is admitted (or turned away) and health checks are
    // answered between tasks, instead of a chain of promise-resolved tasks starving the event loop.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const timeoutS = this.limits(task.type).timeout;
    const started = performance.now();
    const aborted = new Promise<never>((_, reject) => {
      const onAbort = (): void =>
        reject(controller.signal.reason instanceof Error ? controller.signal.reason : new TaskAbort('shutdown', E.TASK_SHUTDOWN.error()));
      if (controller.signal.aborted) onAbort();
      else controller.signal.addEventListener('abort', onAbort, { once: true });
    });
    aborted.catch(() => undefined);
    const timer = this.clock.setTimeout(() => controller.abort(new TaskAbort('timeout', E.TASK_TIMEOUT.error({ timeoutS }))), timeoutS * 1000);
    try {
      // Cancelled (or lost) while waiting for its turn on the event loop: do not start it at all.
      const progress = (stage: string, partial?: string): Promise<void> =>
        this.store.setProgress(task.id, this.instanceId, task.attempt, stage, partial).then(
          () => undefined,
          (err: unknown) => this.reportStoreError(err),
        );
      // The task's log lines carry its id and the id of the request that created it.
      const requestId = (task.payload as { request_id?: unknown } | null)?.request_id;
      const context = { ...logContext.getStore(), task_id: task.id, ...(typeof requestId === 'string' ? { request_id: requestId } : {}) };
      const run = controller.signal.aborted
        ? aborted
        : logContext.run(context, () =>
            Promise.resolve().then(() =>
              fn({ taskId: task.id, attempt: task.attempt, signal: controller.signal, deadlineMs: this.clock.now() + timeoutS * 1000, progress }),
            ),
          );
      const value = await Promise.race([run, aborted]);
      return { ok: true, value, runMs: performance.now() - started };
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      const status: FinishStatus = error instanceof TaskAbort ? (error.reason === 'timeout' ? 'timeout' : 'cancelled') : 'failed';
      if (status === 'timeout') {
        this.timedOut[task.type] += 1;
        for (const o of this.observers) o.timedOut(task.type, 'run');
      }
      return { ok: false, status, error, runMs: performance.now() - started };
    } finally {
      this.clock.clearTimeout(timer);
      // Only this attempt's entry: a newer attempt of the same task may have replaced it.
      if (this.running.get(task.id) === mine) this.running.delete(task.id);
      const ring = this.recentRun[task.type];
      ring.push(performance.now() - started);
      if (ring.length > RECENT) ring.shift();
    }
  }

  /**
   * What a task that did not complete records: a catalog error as it is (a TaskAbort is one); anything
   * else a handler threw is TASK_FAILED with its message (the stack goes to the log, not the task).
   */
  private errorFields(error: Error): { failure: TaskFailure } {
    return { failure: error instanceof AlawError ? error : E.TASK_FAILED.error({ reason: error.message }) };
  }

  private async finish(
    task: ClaimedTask,
    status: FinishStatus,
    fields: { result?: unknown; failure?: TaskFailure },
    runMs: number,
    durable: boolean,
  ): Promise<void> {
    const waitMs = Math.max(0, this.clock.now() - runMs - task.createdAtMs);
    for (const o of this.observers) o.finished(task.type, status, waitMs, runMs, task);
    try {
      const ok = await this.store.finish({ id: task.id, owner: this.instanceId, attempt: task.attempt, status, runMs, durable, ...fields });
      if (!ok)
        this.logger.warn({ task_id: task.id, type: task.type, attempt: task.attempt, status }, '작업을 다른 인스턴스가 넘겨받아 이 결과는 기록하지 않았습니다');
    } catch (err) {
      this.reportStoreError(err);
    }
  }

  // ---------------------------------------------------------------- timers

  private info(): Omit<InstanceInfo, 'heartbeat_at'> {
    return {
      instance_id: this.instanceId,
      host: os.hostname(),
      pid: process.pid,
      version: this.options.version,
      started_at: this.startedAt.toISOString(),
      profile: this.profile.name,
      draining: this.draining,
      state: { ...instanceStateOf(this.profile, this.monitor.current), lines: this.lineCounts() },
    };
  }

  /** Deletes finished tasks older than their type's retention, in batches. */
  async prune(): Promise<number> {
    let total = 0;
    for (const type of TASK_TYPES) {
      const before = this.clock.now() - this.options.retentionMs[type];
      for (;;) {
        const n = await this.store.prune(type, before, 1000);
        total += n;
        if (n < 1000) break;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    if (total > 0) this.logger.info({ pruned: total }, `보존 기간이 지난 작업 ${total}건을 삭제했습니다`);
    // Instances silent for a day died without a clean stop; their row only clutters the status page.
    await this.store.pruneInstances(this.clock.now() - 24 * 3_600_000);
    return total;
  }

  private sample(): void {
    this.turnedAway.flush();
    // Until this instance has run a task of a type, its wait estimates use the type's recent history in the store.
    for (const t of TASK_TYPES) {
      if (this.recentRun[t].length > 0 || this.storeRunP50[t] !== null) continue;
      this.store
        .durations(t, 3_600_000, 200)
        .then((d) => {
          const p50 = summary(d.run).p50;
          if (p50 !== null) this.storeRunP50[t] = p50;
        })
        .catch((err: unknown) => this.reportStoreError(err));
    }
    const usage = this.monitor.sample();
    const sw = this.profile.observe(usage);
    if (sw) {
      this.logger.info(
        { from: sw.from, to: sw.to, ...usage, limits: this.profile.limits },
        `이 인스턴스의 자원 판단이 ${sw.to === 'optimized' ? '최적화(optimized)' : '기본(conservative)'} 프로필로 바뀌었습니다 (메모리 ${usage.memory_percent}%, CPU ${usage.cpu_percent}%). 클러스터 전체의 프로필은 모든 인스턴스의 판단으로 정합니다`,
      );
      for (const t of TASK_TYPES) this.kick(t);
    }
  }

  private poll(): void {
    for (const t of TASK_TYPES) if (this.handlers[t]) this.kick(t);
  }

  /** The error for a caller whose waiting task was ended by someone else (a clear, a deadline sweep). */
  private endedWhileWaiting(status: TaskStatus, type: TaskType): AlawError {
    return status === 'cancelled'
      ? E.QUEUE_CANCELLED.error({}, { type }).withHeaders({ 'Retry-After': '1' })
      : E.QUEUE_WAIT_TIMEOUT.error({ retry: true }, { type }).withHeaders({ 'Retry-After': '1' });
  }

  /** Takes a waiting synchronous task out of its line (cancel, clear): its row records it, its caller gets `err`. */
  private dropWaiter(id: string, w: Waiter, failure: TaskFailure, err: AlawError): void {
    this.endedWaiting(id, w, 'cancelled', failure);
    w.reject(err);
  }

  // ---------------------------------------------------------------- operations

  /**
   * Cancels one task: a pending one at once, one running on this instance by aborting it.
   * Returns what happened; a task running on another instance or already finished is not touched.
   */
  async cancel(id: string, by: string): Promise<'cancelled' | 'running_elsewhere' | 'finished' | 'not_found'> {
    const reason = E.TASK_CANCELLED.error({ by });
    for (const t of TASK_TYPES) {
      const e = this.lines[t].remove(id);
      if (!e) continue;
      this.dropWaiter(id, e.value, reason, this.endedWhileWaiting('cancelled', t));
      this.logger.info({ task_id: id, by }, '작업을 취소했습니다');
      return 'cancelled';
    }
    if (await this.store.cancelOne(id, reason)) {
      this.logger.info({ task_id: id, by }, '작업을 취소했습니다');
      return 'cancelled';
    }
    const running = this.running.get(id);
    if (running) {
      running.controller.abort(new TaskAbort('cancelled', reason));
      this.logger.info({ task_id: id, by }, '실행 중인 작업을 중단했습니다');
      return 'cancelled';
    }
    if (this.recorder.find(id)) return 'finished';
    const t = await this.store.get(id);
    if (!t) return 'not_found';
    return t.status === 'processing' ? 'running_elsewhere' : 'finished';
  }

  /**
   * Cancels pending tasks (of one type, or all): the stored ones (analyses, whichever instance admitted
   * them) and the searches waiting in this instance's line, whose callers get 503. Searches waiting in
   * another instance's memory are not reached; they wait at most their timeout. `by` goes into the
   * cancelled tasks' error, `audit` (who asked, from the HTTP route) into the one log line of the clear.
   */
  async clear(
    type: TaskType | null,
    by: string,
    audit: Record<string, unknown> = {},
  ): Promise<{ removed: number; by_type: Record<TaskType, number>; ids: string[] }> {
    const failure = E.QUEUE_CANCELLED.error({ by });
    // The stored ones first: when the database fails, nothing is cancelled.
    const rows: { id: string; type: TaskType }[] = await this.store.cancelPending(type, failure);
    for (const t of TASK_TYPES) {
      if (type !== null && t !== type) continue;
      for (const e of this.lines[t].takeAll()) {
        this.dropWaiter(e.id, e.value, failure, this.endedWhileWaiting('cancelled', t));
        rows.push({ id: e.id, type: t });
      }
    }
    const byType: Record<TaskType, number> = { search: 0, analysis: 0 };
    for (const r of rows) byType[r.type] += 1;
    const ids = rows.map((r) => r.id);
    this.logger.warn(
      { audit: 'queue_clear', ...audit, type: type ?? 'all', removed: rows.length, by_type: byType, ids, by },
      `대기 중인 작업 ${rows.length}건을 취소했습니다 (queue clear, ${type ?? 'all'}, ${by})`,
    );
    return { removed: rows.length, by_type: byType, ids };
  }

  private assess(counts: StatusCounts, oldest: Record<TaskType, number | null>, dbOk: boolean): { status: HealthReport['status']; reasons: string[] } {
    const reasons: string[] = [];
    if (!dbOk) reasons.push(`작업 큐 데이터베이스(${this.store.kind})에 접근할 수 없습니다`);
    if (!this.isRunning) reasons.push(this.draining ? '서버가 종료 중입니다 (새 작업을 받지 않음)' : '작업 큐가 실행 중이 아닙니다');
    if (reasons.length) return { status: 'unhealthy', reasons };
    const now = this.clock.now();
    for (const t of TASK_TYPES) {
      const l = this.limits(t);
      if (counts[t].pending >= Math.ceil(l.max_queue_size * 0.8))
        reasons.push(`${TYPE_KO[t]} 대기열이 거의 찼습니다 (${counts[t].pending}/${l.max_queue_size})`);
      const o = oldest[t];
      if (o !== null && now - o > l.timeout * 1000)
        reasons.push(`${TYPE_KO[t]} 작업이 ${Math.round((now - o) / 1000)}초째 대기 중입니다 (제한 ${l.timeout}초)`);
    }
    const u = this.monitor.current;
    if (u.memory_percent >= 90) reasons.push(`메모리 사용률이 ${u.memory_percent}%입니다`);
    return { status: reasons.length ? 'degraded' : 'healthy', reasons };
  }

  /**
   * Counts for health and status: pending and processing live; for health on
   * PostgreSQL the finished ones (a full count over the retention window) may be
   * up to 30 s old, so a health check stays a few index lookups however many
   * tasks are kept (SQLite reads trigger-maintained counts). The status page
   * always counts afresh.
   */
  private async snapshot(fresh = false): Promise<{ counts: StatusCounts; oldest: Record<TaskType, number | null>; dbOk: boolean }> {
    try {
      const now = this.clock.now();
      const full = fresh || !this.finishedCounts || now - this.finishedCounts.at > FINISHED_COUNTS_TTL_MS[this.store.kind];
      // A full count is current for pending and processing too; otherwise only those are counted afresh.
      const [counted, oldest] = await Promise.all([this.store.counts(!full), this.store.oldestPending()]);
      if (full) this.finishedCounts = { at: now, counts: counted };
      const counts = emptyCounts();
      for (const t of TASK_TYPES) {
        counts[t] = full ? { ...counted[t] } : { ...this.finishedCounts!.counts[t], pending: counted[t].pending, processing: counted[t].processing };
      }
      return { counts: this.withMemory(counts), oldest: this.oldestWithMemory(oldest), dbOk: true };
    } catch (err) {
      this.reportStoreError(err);
      return { counts: this.withMemory(emptyCounts()), oldest: this.oldestWithMemory({ search: null, analysis: null }), dbOk: false };
    }
  }

  /**
   * Adds what the store does not hold yet: the ended tasks waiting for the recorder's next batch, the
   * synchronous tasks waiting and running in this instance's memory, and those of the other live
   * instances as they published them with their last heartbeat.
   */
  private withMemory(counts: StatusCounts): StatusCounts {
    const buffered = this.recorder.counts();
    const here = this.lineCounts();
    for (const t of TASK_TYPES) {
      for (const st of Object.keys(buffered[t]) as TaskStatus[]) counts[t][st] += buffered[t][st];
      counts[t].pending += here[t].waiting;
      counts[t].processing += here[t].running;
    }
    for (const m of this.liveness.members()) {
      if (m.instance_id === this.instanceId) continue;
      const lines = m.state?.lines;
      if (!lines) continue;
      for (const t of TASK_TYPES) {
        counts[t].pending += lines[t]?.waiting ?? 0;
        counts[t].processing += lines[t]?.running ?? 0;
      }
    }
    return counts;
  }

  private oldestWithMemory(oldest: Record<TaskType, number | null>): Record<TaskType, number | null> {
    const out = { ...oldest };
    for (const t of TASK_TYPES) {
      const mine = this.lines[t].oldest();
      if (mine !== null && (out[t] === null || mine < out[t])) out[t] = mine;
    }
    return out;
  }

  /** Synchronous tasks in this instance's memory, by type. */
  private lineCounts(): Record<TaskType, { waiting: number; running: number }> {
    const out = { search: { waiting: 0, running: 0 }, analysis: { waiting: 0, running: 0 } };
    for (const t of TASK_TYPES) out[t] = { waiting: this.lines[t].waiting, running: this.lines[t].running };
    return out;
  }

  /** The operations guide's `/api/queue/health` body. */
  async health(): Promise<HealthReport> {
    const { counts, oldest, dbOk } = await this.snapshot();
    const { status } = this.assess(counts, oldest, dbOk);
    const stats = (t: TaskType) => ({ pending: counts[t].pending, processing: counts[t].processing, completed: counts[t].completed });
    return {
      status,
      is_running: this.isRunning,
      queue_stats: { search: stats('search'), analysis: stats('analysis') },
      resource_usage: this.monitor.current,
      timestamp: isoNow(this.clock),
    };
  }

  /** Waiting and running tasks by type, the cluster's: the store's rows plus the searches in the instances' memory (metrics). */
  async activeCounts(): Promise<StatusCounts> {
    return this.withMemory(await this.store.counts(true));
  }

  /** Writes the ended searches still waiting for the recorder's next batch (the status page, stop, tests). */
  flushRecords(): Promise<void> {
    return this.recorder.flush();
  }

  /** Ended searches not yet written, and those dropped because the database could not take them. */
  get recordBacklog(): { rows: number; dropped: number } {
    return { rows: this.recorder.backlog, dropped: this.recorder.dropped };
  }

  /** Everything an operator needs to understand the queue. */
  async status(): Promise<Record<string, unknown>> {
    // The status page reads history (wait and run times) from the table: ended searches are written first.
    await this.flushRecords();
    const { counts, oldest, dbOk } = await this.snapshot(true);
    const health = this.assess(counts, oldest, dbOk);
    const window = 15 * 60 * 1000;
    const types: Record<string, unknown> = {};
    let instances: InstanceInfo[] = [];
    for (const t of TASK_TYPES) {
      let d = { wait: [] as number[], run: [] as number[] };
      if (dbOk) d = await this.store.durations(t, window, 1000).catch(() => d);
      const waitingHere = this.lines[t].waiting;
      let runningHere = 0;
      for (const r of this.running.values()) if (r.type === t) runningHere += 1;
      types[t] = {
        limits: this.limits(t),
        counts: counts[t],
        oldest_pending_age_s: oldest[t] === null ? null : Math.round((this.clock.now() - oldest[t]) / 100) / 10,
        wait_ms: summary(d.wait),
        run_ms: summary(d.run),
        this_instance: {
          rejected_total: this.rejected[t],
          timed_out_total: this.timedOut[t],
          running: runningHere,
          waiting: waitingHere,
          worker: t === 'search' || !!this.handlers[t],
          // Its share of the cluster's limits for the searches it admits in memory.
          ...(t === 'search' ? { share: { max_concurrent: this.lines[t].limits.maxConcurrent, max_queue_size: this.lines[t].limits.maxQueueSize } } : {}),
        },
        retention_hours: this.options.retentionMs[t] / 3_600_000,
      };
    }
    if (dbOk) instances = await this.store.instances(Math.max(3 * this.options.leaseMs, 15_000)).catch(() => []);
    const p = this.profile;
    return {
      status: health.status,
      reasons: health.reasons,
      is_running: this.isRunning,
      draining: this.draining,
      instance_id: this.instanceId,
      backend: { kind: this.store.kind, location: this.store.location },
      profile: {
        mode: p.mode,
        // The profile in force: one decision for every instance sharing the queue (`cluster`).
        active: this.activeProfile,
        vote: p.name,
        cluster: this.decision,
        optimized_when: {
          memory_percent_below: p.settings.memoryPercentBelow,
          cpu_percent_below: p.settings.cpuPercentBelow,
          hysteresis_percent: p.settings.hysteresisPercent,
        },
        last_switch: p.switched,
        conservative: p.settings.conservative,
        optimized: p.settings.optimized,
      },
      types,
      lease_seconds: this.options.leaseMs / 1000,
      max_attempts: this.options.maxAttempts,
      resource_usage: this.monitor.current,
      instances: instances.map((i) => ({ ...i, this: i.instance_id === this.instanceId })),
      window_minutes: window / 60000,
      timestamp: isoNow(this.clock),
    };
  }

  /** A task with its place in the queue and an estimate of the wait. */
  async task(id: string): Promise<(TaskRecord & { position: number | null; estimated_wait_s: number | null }) | null> {
    const inMemory = this.memoryTask(id);
    if (inMemory) return inMemory;
    const t = await this.store.get(id);
    if (!t) return null;
    const position = t.status === 'pending' ? await this.store.position(id) : null;
    return { ...t, position, estimated_wait_s: position === null ? null : this.estimateWaitSeconds(t.type, position - 1) };
  }

  /** A synchronous task this instance holds in memory (waiting, running, or ended and not yet written). */
  private memoryTask(id: string): (TaskRecord & { position: number | null; estimated_wait_s: number | null }) | null {
    const at = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
    const base = (type: TaskType, payload: unknown, createdAt: number): TaskRecord => ({
      id,
      type,
      status: 'pending',
      payload,
      result: null,
      error: null,
      error_code: null,
      attempts: 0,
      max_attempts: 1,
      created_at: at(createdAt)!,
      started_at: null,
      finished_at: null,
      owner: null,
      lease_expires_at: null,
      affinity: this.instanceId,
      deadline_at: at(createdAt + this.limits(type).timeout * 1000),
      origin: this.instanceId,
      wait_ms: null,
      run_ms: null,
      progress: null,
      partial: null,
    });
    for (const t of TASK_TYPES) {
      const e = this.lines[t].get(id);
      if (!e) continue;
      const position = this.lines[t].position(id);
      return { ...base(t, e.value.payload, e.value.createdAt), position, estimated_wait_s: this.estimateWaitSeconds(t, (position ?? 1) - 1) };
    }
    const r = this.running.get(id);
    if (r?.sync) {
      return {
        ...base(r.type, r.sync.payload, r.sync.createdAt),
        status: 'processing',
        attempts: 1,
        started_at: at(r.sync.startedAt),
        owner: this.instanceId,
        wait_ms: Math.round(r.sync.startedAt - r.sync.createdAt),
        position: null,
        estimated_wait_s: null,
      };
    }
    const rec = this.recorder.find(id);
    return rec ? { ...recordOf(rec), position: null, estimated_wait_s: null } : null;
  }

  // ---------------------------------------------------------------- shutdown

  /** Stops admitting new tasks; tasks already admitted here go on. */
  beginDrain(): void {
    if (this.draining) return;
    this.draining = true;
    void this.store.heartbeatInstance(this.info()).catch((err: unknown) => this.reportStoreError(err));
  }

  /**
   * Drains: no new tasks, running ones get `shutdownGraceMs` to finish; then
   * the rest are aborted and given back for other instances (asynchronous
   * tasks, without using up an attempt) or cancelled (synchronous ones,
   * whose callers are gone with this process).
   */
  stop(): Promise<{ finished: boolean; released: number }> {
    // Called by the signal handler and again by close(): one drain.
    this.stopping ??= this.drain();
    return this.stopping;
  }

  private async drain(): Promise<{ finished: boolean; released: number }> {
    this.beginDrain();
    const until = this.clock.now() + this.options.shutdownGraceMs;
    const waiting = (): number => TASK_TYPES.reduce((n, t) => n + this.lines[t].waiting, 0);
    while ((this.running.size > 0 || waiting() > 0) && this.clock.now() < until) await sleep(this.clock, 25);
    const finished = this.running.size === 0 && waiting() === 0;
    // From here on nothing is claimed any more (a dispatch started by a finishing task included).
    this.halted = true;
    for (const t of this.timers) this.clock.clearInterval(t);
    this.timers = [];
    let released = 0;
    const unbound = [...this.running.entries()].filter(([, r]) => !r.bound).map(([id]) => id);
    for (const [, r] of this.running) r.controller.abort(new TaskAbort('shutdown', E.TASK_SHUTDOWN.error()));
    try {
      for (const t of TASK_TYPES)
        for (const e of this.lines[t].takeAll()) {
          this.endedWaiting(e.id, e.value, 'timeout', E.QUEUE_STOPPING.error({ phase: 'pending' }));
          e.value.reject(this.stoppingError(t));
        }
      released = await this.store.release(this.instanceId, unbound);
      await this.recorder.close();
      await this.store.removeInstance(this.instanceId);
    } catch (err) {
      this.reportStoreError(err);
    }
    this.stopped = true;
    this.storeErrors.flush();
    if (released > 0) this.logger.warn({ released }, `종료 유예 시간 안에 끝나지 않은 작업 ${released}건을 다른 인스턴스가 처리하도록 돌려놓았습니다`);
    return { finished, released };
  }

  async close(): Promise<void> {
    await this.stop();
    await this.store.close();
  }
}
