/**
 * The task queue of one service instance: the facade that wires its parts and keeps their lifecycle.
 *
 * - admission.ts: who gets in, who is turned away (429) and when to come back (`Retry-After`);
 * - syncRunner.ts: synchronous tasks (searches) in this instance's memory — `run()`;
 * - dispatcher.ts: asynchronous tasks (analyses) in the store — `submit()`, claiming, finishing;
 * - executor.ts: one attempt under its timeout and AbortSignal (both kinds);
 * - liveness.ts: heartbeats, leases and the recovery of dead instances' tasks;
 * - clusterProfile.ts: the one profile in force for the cluster (applied here, `decide`);
 * - reporting.ts: health, status, active counts and task lookups.
 *
 * They share one {@link QueueState} (state.ts). This class starts the timers (heartbeat, renewal, sweep,
 * pruning, resource sampling, polling, all on the injected clock), applies the cluster's profile
 * decision, prunes, cancels and clears, and drains at shutdown.
 */
import os from 'node:os';
import type { Logger } from 'pino';
import { sleep, systemClock, unrefTimer, type Timer } from '../clock.js';
import { E } from '../errors/index.js';
import { Admission } from './admission.js';
import { decideClusterProfile, instanceStateOf, shareOf, type ClusterDecision } from './clusterProfile.js';
import { Dispatcher } from './dispatcher.js';
import { Liveness } from './liveness.js';
import type { LineLimits } from './localLine.js';
import { ProfileController, ResourceMonitor } from './profile.js';
import { Reporting, type HealthReport } from './reporting.js';
import { QueueState, TaskAbort, type QueueObserver, type QueueOptions, type Running, type TaskContext, type TaskHandler } from './state.js';
import { SyncRunner, type TaskView } from './syncRunner.js';
import { TASK_TYPES, type InstanceInfo, type QueueStore, type StatusCounts, type TaskType, type TypeLimits } from './types.js';

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
  readonly startedAt: Date;
  private readonly state: QueueState;
  private readonly admission: Admission;
  private readonly sync: SyncRunner;
  private readonly dispatcher: Dispatcher;
  private readonly reporting: Reporting;
  private readonly liveness: Liveness;
  private timers: Timer[] = [];
  private stopping?: Promise<{ finished: boolean; released: number }>;

  constructor(
    readonly store: QueueStore,
    private readonly options: QueueOptions,
    private readonly logger: Logger,
  ) {
    const clock = options.clock ?? systemClock;
    this.startedAt = new Date(clock.now());
    this.profile = new ProfileController(options.profile, clock);
    const state = new QueueState(store, options, logger, clock, this.profile);
    this.state = state;
    this.admission = new Admission(state);
    this.sync = new SyncRunner(state, this.admission);
    this.dispatcher = new Dispatcher(state, this.admission);
    this.liveness = new Liveness(
      store,
      {
        // Read live: the id may change at start.
        get instanceId() {
          return state.id;
        },
        info: () => this.info(),
        // Leased rows only: a synchronous task has no row to renew until it has ended.
        held: () => new Map([...state.running].filter(([, r]) => !r.bound)),
        lost: (id, attempt) => {
          const r = attempt as Running;
          this.logger.warn({ task_id: id, type: r.type }, '작업의 임대를 잃었습니다 (다른 인스턴스가 넘겨받음). 이 인스턴스의 실행을 중단합니다');
          r.controller.abort(new TaskAbort('lease_lost', E.TASK_LEASE_LOST.error({ why: 'expired' })));
        },
        recovered: (counts) => {
          for (const o of state.observers) o.reclaimed(counts);
          for (const t of TASK_TYPES) this.dispatcher.kick(t);
        },
        observed: (members) => this.decide(members),
      },
      { heartbeatMs: options.heartbeatMs, deadMs: options.deadMs, leaseMs: options.leaseMs },
      clock,
      logger,
    );
    this.reporting = new Reporting(state, {
      monitor: this.monitor,
      lineCounts: () => this.sync.lineCounts(),
      memoryTask: (id) => this.sync.memoryTask(id),
      members: () => this.liveness.members(),
      estimateWaitSeconds: (type, ahead) => this.admission.estimateWaitSeconds(type, ahead),
    });
  }

  private get clock() {
    return this.state.clock;
  }

  /** This instance's id (stable across restarts unless another live process already used the kept one). */
  get instanceId(): string {
    return this.state.id;
  }

  get isRunning(): boolean {
    return this.state.isRunning;
  }

  get isDraining(): boolean {
    return this.state.draining;
  }

  /** The limits in force for the cluster (the cluster's profile decision; this instance's own until it has one). */
  limits(type: TaskType): TypeLimits {
    return this.state.limits(type);
  }

  /** The profile in force for the cluster. */
  get activeProfile(): ClusterDecision['profile'] {
    return this.state.activeProfile;
  }

  /** Applies the cluster's decision from the instances' rows; logs when the profile in force changes. */
  private decide(members: readonly InstanceInfo[]): void {
    const me = this.info();
    const before = this.state.decision;
    this.state.decision = decideClusterProfile(members, { instance_id: me.instance_id, draining: me.draining, state: me.state! }, this.clock);
    const d = this.state.decision;
    if (before && before.profile !== d.profile) {
      this.logger.info(
        { from: before.profile, to: d.profile, reason: d.reason, limits: d.limits },
        `클러스터 작업 큐 프로필을 ${d.profile === 'optimized' ? '최적화(optimized)' : '기본(conservative)'}로 바꿨습니다: ${d.reason}`,
      );
    }
    if (!before || JSON.stringify(before.limits) !== JSON.stringify(d.limits)) for (const t of TASK_TYPES) this.dispatcher.kick(t);
    // This instance's share of the cluster's limits for what it runs in memory (searches), over the live instances.
    const live = members.filter((m) => !m.draining).map((m) => m.instance_id);
    for (const t of TASK_TYPES) {
      const l = d.limits[t];
      // No places to wait (max_queue_size 0) stays none: shareOf gives every instance at least one.
      const share = {
        maxConcurrent: shareOf(l.max_concurrent, live, me.instance_id),
        maxQueueSize: l.max_queue_size <= 0 ? 0 : shareOf(l.max_queue_size, live, me.instance_id),
      };
      this.sync.share(t, share);
    }
  }

  /** This instance's share of the cluster's limits of a type (its line's limits). */
  lineLimits(type: TaskType): LineLimits {
    return this.state.lines[type].limits;
  }

  /** Requests of a type this instance turned away because the queue was full, since it started. */
  rejectedTotal(type: TaskType): number {
    return this.state.rejected[type];
  }

  /** Adds an observer (metrics). */
  observe(observer: QueueObserver): void {
    this.state.observers.push(observer);
  }

  /** Registers the worker of an asynchronous task type; only then does this instance claim tasks of that type. */
  handle(type: TaskType, handler: TaskHandler): void {
    this.state.handlers[type] = handler;
    if (this.state.started) this.dispatcher.kick(type);
  }

  /** Starts heartbeats, lease recovery, pruning, resource sampling and polling. */
  async start(): Promise<void> {
    const state = this.state;
    if (state.started) return;
    state.started = true;
    this.monitor.sample();
    if (!(await this.liveness.startUp(this.options.idSource ?? 'configured'))) {
      const kept = state.id;
      state.id = `${kept}-${process.pid}`;
      this.logger.warn(
        { kept, instance_id: state.id },
        `보관된 인스턴스 ID ${kept}를 다른 실행 중인 프로세스가 쓰고 있어 이번에는 ${state.id}로 시작합니다 (같은 data 디렉터리를 쓰는 인스턴스마다 INSTANCE_ID를 지정하세요)`,
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
    every(this.options.pollMs, () => this.dispatcher.poll());
    setImmediate(() => void this.prune().catch((err: unknown) => this.reportStoreError(err)));
    for (const t of TASK_TYPES) this.dispatcher.kick(t);
  }

  // ---------------------------------------------------------------- admission and running

  /** Seconds until a slot is likely free: the tasks ahead, run `max_concurrent` at a time, at the type's median run time. */
  estimateWaitSeconds(type: TaskType, ahead: number): number {
    return this.admission.estimateWaitSeconds(type, ahead);
  }

  /** A store failure: logged once with its error, then counted (an outage fails every call the same way). */
  reportStoreError(err: unknown): void {
    this.state.reportStoreError(err);
  }

  /**
   * Runs `fn` as a task of `type` on this instance once a slot is free, and returns its value. Rejects
   * with 429 when the type's line is full, 503 when the wait exceeds the type's timeout, 504 when the
   * run does (see syncRunner.ts). `summarize` gives what is stored as the task's result.
   */
  run<R>(
    type: TaskType,
    payload: unknown,
    fn: (ctx: TaskContext) => R | Promise<R>,
    options: { summarize?: (value: R) => unknown; onAdmitted?: (taskId: string) => void } = {},
  ): Promise<R> {
    return this.sync.run(type, payload, fn, options);
  }

  /** Admits an asynchronous task for any instance's worker; returns its id and place in the queue (see dispatcher.ts). */
  submit(type: TaskType, payload: unknown, options: { maxAttempts?: number } = {}): Promise<{ id: string; position: number; estimated_wait_s: number }> {
    return this.dispatcher.submit(type, payload, options);
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
      draining: this.state.draining,
      state: { ...instanceStateOf(this.profile, this.monitor.current), lines: this.sync.lineCounts() },
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
    this.admission.refresh();
    const usage = this.monitor.sample();
    const sw = this.profile.observe(usage);
    if (sw) {
      this.logger.info(
        { from: sw.from, to: sw.to, ...usage, limits: this.profile.limits },
        `이 인스턴스의 자원 판단이 ${sw.to === 'optimized' ? '최적화(optimized)' : '기본(conservative)'} 프로필로 바뀌었습니다 (메모리 ${usage.memory_percent}%, CPU ${usage.cpu_percent}%). 클러스터 전체의 프로필은 모든 인스턴스의 판단으로 정합니다`,
      );
      for (const t of TASK_TYPES) this.dispatcher.kick(t);
    }
  }

  // ---------------------------------------------------------------- operations

  /**
   * Cancels one task: a pending one at once, one running on this instance by aborting it.
   * Returns what happened; a task running on another instance or already finished is not touched.
   */
  async cancel(id: string, by: string): Promise<'cancelled' | 'running_elsewhere' | 'finished' | 'not_found'> {
    const reason = E.TASK_CANCELLED.error({ by });
    if (this.sync.cancelWaiting(id, reason)) {
      this.logger.info({ task_id: id, by }, '작업을 취소했습니다');
      return 'cancelled';
    }
    if (await this.store.cancelOne(id, reason)) {
      this.logger.info({ task_id: id, by }, '작업을 취소했습니다');
      return 'cancelled';
    }
    const running = this.state.running.get(id);
    if (running) {
      running.controller.abort(new TaskAbort('cancelled', reason));
      this.logger.info({ task_id: id, by }, '실행 중인 작업을 중단했습니다');
      return 'cancelled';
    }
    if (this.state.recorder.find(id)) return 'finished';
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
    rows.push(...this.sync.clearWaiting(type, failure));
    const byType: Record<TaskType, number> = { search: 0, analysis: 0 };
    for (const r of rows) byType[r.type] += 1;
    const ids = rows.map((r) => r.id);
    this.logger.warn(
      { audit: 'queue_clear', ...audit, type: type ?? 'all', removed: rows.length, by_type: byType, ids, by },
      `대기 중인 작업 ${rows.length}건을 취소했습니다 (queue clear, ${type ?? 'all'}, ${by})`,
    );
    return { removed: rows.length, by_type: byType, ids };
  }

  // ---------------------------------------------------------------- reporting

  /** The operations guide's `/api/queue/health` body. */
  health(): Promise<HealthReport> {
    return this.reporting.health();
  }

  /** Waiting and running tasks by type, the cluster's: the store's rows plus the searches in the instances' memory (metrics). */
  activeCounts(): Promise<StatusCounts> {
    return this.reporting.activeCounts();
  }

  /** Writes the ended searches still waiting for the recorder's next batch (the status page, stop, tests). */
  flushRecords(): Promise<void> {
    return this.state.recorder.flush();
  }

  /** Ended searches not yet written, and those dropped because the database could not take them. */
  get recordBacklog(): { rows: number; dropped: number } {
    return { rows: this.state.recorder.backlog, dropped: this.state.recorder.dropped };
  }

  /** Everything an operator needs to understand the queue. */
  status(): Promise<Record<string, unknown>> {
    return this.reporting.status();
  }

  /** A task with its place in the queue and an estimate of the wait. */
  task(id: string): Promise<TaskView | null> {
    return this.reporting.task(id);
  }

  // ---------------------------------------------------------------- shutdown

  /** Stops admitting new tasks; tasks already admitted here go on. */
  beginDrain(): void {
    if (this.state.draining) return;
    this.state.draining = true;
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
    const state = this.state;
    this.beginDrain();
    const until = this.clock.now() + this.options.shutdownGraceMs;
    while ((state.running.size > 0 || this.sync.waiting() > 0) && this.clock.now() < until) await sleep(this.clock, 25);
    const finished = state.running.size === 0 && this.sync.waiting() === 0;
    // From here on nothing is claimed any more (a dispatch started by a finishing task included).
    state.halted = true;
    for (const t of this.timers) this.clock.clearInterval(t);
    this.timers = [];
    let released = 0;
    const unbound = [...state.running.entries()].filter(([, r]) => !r.bound).map(([id]) => id);
    for (const [, r] of state.running) r.controller.abort(new TaskAbort('shutdown', E.TASK_SHUTDOWN.error()));
    try {
      this.sync.stopWaiting();
      released = await this.store.release(this.instanceId, unbound);
      await state.recorder.close();
      await this.store.removeInstance(this.instanceId);
    } catch (err) {
      this.reportStoreError(err);
    }
    state.stopped = true;
    state.storeErrors.flush();
    if (released > 0) this.logger.warn({ released }, `종료 유예 시간 안에 끝나지 않은 작업 ${released}건을 다른 인스턴스가 처리하도록 돌려놓았습니다`);
    return { finished, released };
  }

  async close(): Promise<void> {
    await this.stop();
    await this.store.close();
  }
}
