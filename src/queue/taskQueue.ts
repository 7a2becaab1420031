import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Logger } from 'pino';
import { RepeatedErrorLog } from '../logRepeats.js';
import { isoNow, sleep, systemClock, unrefTimer, type Clock, type Timer } from '../clock.js';
import { logContext } from '../context.js';
import { AlawError, E } from '../errors/index.js';
import type { InstanceIdSource } from './instanceId.js';
import { Liveness } from './liveness.js';
import { decideClusterProfile, instanceStateOf, type ClusterDecision } from './clusterProfile.js';
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

interface Waiter {
  type: TaskType;
  resolve: (task: ClaimedTask) => void;
  reject: (err: AlawError) => void;
  /** Armed once the task is admitted (the waiter exists from before admission). */
  timer?: Timer;
}

interface Running {
  type: TaskType;
  attempt: number;
  controller: AbortController;
  bound: boolean;
}

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
  private readonly waiters = new Map<string, Waiter>();
  private readonly running = new Map<string, Running>();
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
    this.liveness = new Liveness(
      store,
      {
        get instanceId() {
          return self.id;
        },
        info: () => this.info(),
        held: () => this.running,
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

  /** Seconds until a slot is likely free: the tasks ahead, run `max_concurrent` at a time, at the recent median run time. */
  estimateWaitSeconds(type: TaskType, ahead: number): number {
    const l = this.limits(type);
    const p50 = summary(this.recentRun[type]).p50 ?? 1000;
    return Math.max(1, Math.min(l.timeout, Math.ceil(((ahead + 1) / l.max_concurrent) * (p50 / 1000))));
  }

  private fullError(type: TaskType, pending: number): AlawError {
    const l = this.limits(type);
    const retry = this.estimateWaitSeconds(type, pending);
    return E.QUEUE_FULL.error(
      { typeName: TYPE_KO[type], pending, max: l.max_queue_size, retryS: retry },
      { type, pending, max_queue_size: l.max_queue_size, retry_after_s: retry },
    ).withHeaders({ 'Retry-After': String(retry) });
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

  /** Admits a task, or throws 429 (queue full) or 503 (store unreachable). */
  private async admit(req: AdmitRequest): Promise<Extract<AdmitResult, { admitted: true }>> {
    let admitted: AdmitResult;
    try {
      admitted = await this.store.admit(req);
    } catch (err) {
      throw this.unavailable(err);
    }
    if (!admitted.admitted) {
      this.rejected[req.type] += 1;
      for (const o of this.observers) o.rejected(req.type);
      throw this.fullError(req.type, admitted.pending);
    }
    return admitted;
  }

  /**
   * Runs `fn` as a task of `type` on this instance once a slot is free, and
   * returns its value. Rejects with 429 when the type's queue is full, 503
   * when the wait exceeds the type's timeout, 504 when the run does.
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
    const id = randomUUID();
    const deadline = this.clock.now() + l.timeout * 1000;
    // The waiter is registered before the row exists: once committed, the task may be claimed by this
    // instance's dispatcher before `admit` has even returned here, and must find its waiter.
    const turn = this.registerWaiter(id, type);
    let admitted: Extract<AdmitResult, { admitted: true }>;
    try {
      admitted = await this.admit({
        id,
        type,
        payload,
        maxQueueSize: l.max_queue_size,
        maxAttempts: 1,
        origin: this.instanceId,
        affinity: this.instanceId,
        waitLimitMs: l.timeout * 1000,
        claim: { owner: this.instanceId, maxConcurrent: l.max_concurrent, leaseMs: this.options.leaseMs },
        durable: false,
      });
    } catch (err) {
      this.waiters.delete(id);
      throw err;
    }
    options.onAdmitted?.(id);
    let task: ClaimedTask;
    if (admitted.claimed) {
      this.waiters.delete(id);
      task = { id, type, payload, attempt: 1, maxAttempts: 1, createdAtMs: this.clock.now() };
      this.running.set(id, { type, attempt: 1, controller: new AbortController(), bound: true });
    } else {
      this.armWaiter(id, type, deadline, admitted.pending);
      this.kick(type);
      task = await turn;
    }
    const outcome = await this.execute(task, (ctx) => fn(ctx), true);
    if (outcome.ok) {
      let result: unknown = null;
      try {
        result = summarize(outcome.value as R);
      } catch (err) {
        this.logger.warn({ err, task_id: id }, '작업 결과 요약 실패 (결과 없이 완료로 기록)');
      }
      await this.finish(task, 'completed', { result }, outcome.runMs, false);
      this.kick(type);
      return outcome.value as R;
    }
    await this.finish(task, outcome.status, this.errorFields(outcome.error), outcome.runMs, false);
    this.kick(type);
    if (outcome.status === 'timeout') {
      throw E.TASK_TIMEOUT.error({ typeName: TYPE_KO[type], timeoutS: l.timeout }, { type, timeout_s: l.timeout });
    }
    if (outcome.error instanceof TaskAbort) throw this.stoppingError(type);
    throw outcome.error;
  }

  private stoppingError(type: TaskType): AlawError {
    return E.QUEUE_STOPPING.error({ phase: 'running' }, { type }).withHeaders({ 'Retry-After': '5' });
  }

  private registerWaiter(id: string, type: TaskType): Promise<ClaimedTask> {
    const turn = new Promise<ClaimedTask>((resolve, reject) => {
      this.waiters.set(id, { type, resolve, reject });
    });
    // It may be rejected (shutdown, clear) while its caller still awaits admission; the caller awaits it afterwards.
    turn.catch(() => undefined);
    return turn;
  }

  /** Starts the waiter's clock: at the deadline a still-waiting task is timed out and its caller gets 503. */
  private armWaiter(id: string, type: TaskType, deadline: number, ahead: number): void {
    const w = this.waiters.get(id);
    if (!w) return; // already claimed (or dropped) while admission was answering
    w.timer = this.clock.setTimeout(
      () => {
        if (this.waiters.get(id) !== w) return;
        this.waiters.delete(id);
        this.timedOut[type] += 1;
        for (const o of this.observers) o.timedOut(type, 'wait');
        const l = this.limits(type);
        this.store.expirePending(id, E.QUEUE_WAIT_TIMEOUT.error({})).catch((err: unknown) => this.reportStoreError(err));
        w.reject(
          E.QUEUE_WAIT_TIMEOUT.error({ typeName: TYPE_KO[type], timeoutS: l.timeout }, { type, timeout_s: l.timeout }).withHeaders({
            'Retry-After': String(this.estimateWaitSeconds(type, ahead)),
          }),
        );
      },
      Math.max(0, deadline - this.clock.now()),
    );
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
    const waiting = this.waitingFor(type);
    if (waiting > 0) {
      const claimed = await this.store.claim({
        type,
        owner: this.instanceId,
        affinity: this.instanceId,
        limit: waiting,
        maxConcurrent: l.max_concurrent,
        leaseMs: this.options.leaseMs,
      });
      for (const task of claimed) {
        const w = this.waiters.get(task.id);
        if (!w) {
          // Its caller gave up between the claim query and now.
          await this.finish(task, 'timeout', { failure: E.QUEUE_WAIT_TIMEOUT.error({}) }, 0, false);
          continue;
        }
        this.waiters.delete(task.id);
        this.clock.clearTimeout(w.timer);
        this.hold(task, true);
        w.resolve(task);
      }
    }
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

  private waitingFor(type: TaskType): number {
    let waiting = 0;
    for (const w of this.waiters.values()) if (w.type === type) waiting += 1;
    return waiting;
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
      state: instanceStateOf(this.profile, this.monitor.current),
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

  private async poll(): Promise<void> {
    for (const t of TASK_TYPES) if (this.waitingFor(t) > 0 || this.handlers[t]) this.kick(t);
    // A waiter whose task was cancelled by another process (`POST /api/queue/clear` on another instance).
    if (this.waiters.size > 0) {
      const statuses = await this.store.statuses([...this.waiters.keys()]);
      for (const [id, status] of statuses)
        if (status !== 'pending' && status !== 'processing') this.dropWaiter(id, this.endedWhileWaiting(status, this.waiters.get(id)?.type ?? 'search'));
    }
  }

  /** The error for a caller whose waiting task was ended by someone else (a clear, a deadline sweep). */
  private endedWhileWaiting(status: TaskStatus, type: TaskType): AlawError {
    return status === 'cancelled'
      ? E.QUEUE_CANCELLED.error({}, { type }).withHeaders({ 'Retry-After': '1' })
      : E.QUEUE_WAIT_TIMEOUT.error({ retry: true }, { type }).withHeaders({ 'Retry-After': '1' });
  }

  private dropWaiter(id: string, err: AlawError): void {
    const w = this.waiters.get(id);
    if (!w) return;
    this.waiters.delete(id);
    this.clock.clearTimeout(w.timer);
    w.reject(err);
  }

  // ---------------------------------------------------------------- operations

  /**
   * Cancels one task: a pending one at once, one running on this instance by aborting it.
   * Returns what happened; a task running on another instance or already finished is not touched.
   */
  async cancel(id: string, by: string): Promise<'cancelled' | 'running_elsewhere' | 'finished' | 'not_found'> {
    const reason = E.TASK_CANCELLED.error({ by });
    if (await this.store.cancelOne(id, reason)) {
      this.dropWaiter(id, this.endedWhileWaiting('cancelled', this.waiters.get(id)?.type ?? 'search'));
      this.logger.info({ task_id: id, by }, '작업을 취소했습니다');
      return 'cancelled';
    }
    const running = this.running.get(id);
    if (running) {
      running.controller.abort(new TaskAbort('cancelled', reason));
      this.logger.info({ task_id: id, by }, '실행 중인 작업을 중단했습니다');
      return 'cancelled';
    }
    const t = await this.store.get(id);
    if (!t) return 'not_found';
    return t.status === 'processing' ? 'running_elsewhere' : 'finished';
  }

  /** Cancels pending tasks (of one type, or all); callers waiting on them get 503. */
  /**
   * Cancels pending tasks; `by` goes into the cancelled tasks' error, `audit` (who asked, from the HTTP route)
   * into the one log line that records the clear.
   */
  async clear(
    type: TaskType | null,
    by: string,
    audit: Record<string, unknown> = {},
  ): Promise<{ removed: number; by_type: Record<TaskType, number>; ids: string[] }> {
    const rows = await this.store.cancelPending(type, E.QUEUE_CANCELLED.error({ by }));
    const byType: Record<TaskType, number> = { search: 0, analysis: 0 };
    for (const r of rows) {
      byType[r.type] += 1;
      this.dropWaiter(r.id, this.endedWhileWaiting('cancelled', r.type));
    }
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
      if (full) {
        this.finishedCounts = { at: now, counts: counted };
        return { counts: counted, oldest, dbOk: true };
      }
      const counts = emptyCounts();
      for (const t of TASK_TYPES) {
        counts[t] = { ...this.finishedCounts!.counts[t], pending: counted[t].pending, processing: counted[t].processing };
      }
      return { counts, oldest, dbOk: true };
    } catch (err) {
      this.reportStoreError(err);
      return { counts: emptyCounts(), oldest: { search: null, analysis: null }, dbOk: false };
    }
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

  /** Everything an operator needs to understand the queue. */
  async status(): Promise<Record<string, unknown>> {
    const { counts, oldest, dbOk } = await this.snapshot(true);
    const health = this.assess(counts, oldest, dbOk);
    const window = 15 * 60 * 1000;
    const types: Record<string, unknown> = {};
    let instances: InstanceInfo[] = [];
    for (const t of TASK_TYPES) {
      let d = { wait: [] as number[], run: [] as number[] };
      if (dbOk) d = await this.store.durations(t, window, 1000).catch(() => d);
      const waitingHere = this.waitingFor(t);
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
    const t = await this.store.get(id);
    if (!t) return null;
    const position = t.status === 'pending' ? await this.store.position(id) : null;
    return { ...t, position, estimated_wait_s: position === null ? null : this.estimateWaitSeconds(t.type, position - 1) };
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
    while ((this.running.size > 0 || this.waiters.size > 0) && this.clock.now() < until) await sleep(this.clock, 25);
    const finished = this.running.size === 0 && this.waiters.size === 0;
    // From here on nothing is claimed any more (a dispatch started by a finishing task included).
    this.halted = true;
    for (const t of this.timers) this.clock.clearInterval(t);
    this.timers = [];
    let released = 0;
    const unbound = [...this.running.entries()].filter(([, r]) => !r.bound).map(([id]) => id);
    for (const [, r] of this.running) r.controller.abort(new TaskAbort('shutdown', E.TASK_SHUTDOWN.error()));
    try {
      released = await this.store.release(this.instanceId, unbound);
      for (const [id, w] of [...this.waiters]) {
        this.dropWaiter(id, this.stoppingError(w.type));
        await this.store.expirePending(id, E.QUEUE_STOPPING.error({ phase: 'pending' }));
      }
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
