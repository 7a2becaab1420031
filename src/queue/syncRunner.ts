/**
 * Synchronous tasks (searches) on this instance, in memory.
 *
 * `run()` admits a task into its type's line (localLine.ts: this instance's share of the cluster's
 * limits), turns it away with 429 when the line is full (admission.ts), lets it wait for a slot up to the
 * type's timeout (503 after), runs it here (executor.ts; 504 past its run timeout) and hands its caller
 * the value. No database write happens before the task ends: its row is written afterwards, with others,
 * by the recorder (recorder.ts), whether it ran (`ended`) or left the line without running (`endedWaiting`:
 * deadline, cancel, clear, shutdown). `memoryTask` shows such a task — waiting, running, or ended and not
 * yet written — to task lookups, and `lineCounts` gives the lines' sizes to health, status and the heartbeat.
 */
import { randomUUID } from 'node:crypto';
import { sleep } from '../clock.js';
import { AlawError, E } from '../errors/index.js';
import type { Admission } from './admission.js';
import { errorFields, execute, type Outcome } from './executor.js';
import type { LineLimits } from './localLine.js';
import { recordOf } from './recorder.js';
import { TaskAbort, type QueueState, type TaskContext, type Waiter } from './state.js';
import {
  TASK_TYPE_NAMES as TYPE_KO,
  TASK_TYPES,
  type ClaimedTask,
  type FinishStatus,
  type RecordedTask,
  type TaskFailure,
  type TaskRecord,
  type TaskStatus,
  type TaskType,
} from './types.js';

/** A task as lookups show it: its record, its place in the queue and an estimate of the wait. */
export type TaskView = TaskRecord & { position: number | null; estimated_wait_s: number | null };

export class SyncRunner {
  constructor(
    private readonly state: QueueState,
    private readonly admission: Admission,
  ) {}

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
    const { clock } = this.state;
    const summarize = options.summarize ?? (() => null);
    this.admission.assertAccepting(type);
    const l = this.state.limits(type);
    const line = this.state.lines[type];
    const id = randomUUID();
    const createdAt = clock.now();
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
      const refusal = this.admission.refuse(type, line.waiting, line.limits.maxQueueSize);
      if (refusal.holdMs > 0) await sleep(clock, refusal.holdMs);
      throw refusal.error;
    }
    options.onAdmitted?.(id);
    if (entered === 'wait') {
      waiter.timer = clock.setTimeout(() => this.waitExpired(id, type), l.timeout * 1000);
      await turn;
    }
    const startedAt = clock.now();
    const task: ClaimedTask = { id, type, payload, attempt: 1, maxAttempts: 1, createdAtMs: createdAt };
    this.state.running.set(id, { type, attempt: 1, controller: new AbortController(), bound: true, sync: { payload, createdAt, startedAt } });
    let outcome: Outcome;
    try {
      outcome = await execute(this.state, task, (ctx) => fn(ctx), true);
    } finally {
      for (const e of line.leave()) this.startWaiter(e.id, e.value);
    }
    this.admission.served(type);
    if (outcome.ok) {
      let result: unknown = null;
      try {
        result = summarize(outcome.value as R);
      } catch (err) {
        this.state.logger.warn({ err, task_id: id }, '작업 결과 요약 실패 (결과 없이 완료로 기록)');
      }
      this.ended(task, 'completed', { result }, startedAt, outcome.runMs);
      return outcome.value as R;
    }
    this.ended(task, outcome.status, errorFields(outcome.error), startedAt, outcome.runMs);
    if (outcome.status === 'timeout') {
      throw E.TASK_TIMEOUT.error({ typeName: TYPE_KO[type], timeoutS: l.timeout }, { type, timeout_s: l.timeout });
    }
    if (outcome.error instanceof TaskAbort) throw this.stoppingError(type);
    throw outcome.error;
  }

  /** New limits for a type's line (this instance's share of the cluster's); waiting tasks that may start now go on. */
  share(type: TaskType, limits: LineLimits): void {
    for (const e of this.state.lines[type].setLimits(limits)) this.startWaiter(e.id, e.value);
  }

  /** A waiting task's slot came: it leaves the line (already counted as running) and its caller goes on. */
  private startWaiter(_id: string, w: Waiter): void {
    this.state.clock.clearTimeout(w.timer);
    w.resolve();
  }

  /** A waiting task's deadline passed: its caller gets 503 and its row records the timeout. */
  private waitExpired(id: string, type: TaskType): void {
    const s = this.state;
    const e = s.lines[type].remove(id);
    if (!e) return;
    s.timedOut[type] += 1;
    for (const o of s.observers) o.timedOut(type, 'wait');
    const l = s.limits(type);
    const err = E.QUEUE_WAIT_TIMEOUT.error({ typeName: TYPE_KO[type], timeoutS: l.timeout }, { type, timeout_s: l.timeout });
    this.endedWaiting(id, e.value, 'timeout', E.QUEUE_WAIT_TIMEOUT.error({}));
    e.value.reject(err.withHeaders({ 'Retry-After': String(this.admission.estimateWaitSeconds(type, s.lines[type].waiting)) }));
  }

  /** Records a synchronous task that ended: observers now, its row with the next batch. */
  private ended(task: ClaimedTask, status: FinishStatus, fields: { result?: unknown; failure?: TaskFailure }, startedAt: number, runMs: number): void {
    const s = this.state;
    const waitMs = Math.max(0, startedAt - task.createdAtMs);
    for (const o of s.observers) o.finished(task.type, status, waitMs, runMs, task);
    s.recorder.add({
      id: task.id,
      type: task.type,
      status,
      payload: task.payload,
      result: fields.result ?? null,
      failure: fields.failure ?? null,
      attempts: 1,
      createdAt: task.createdAtMs,
      startedAt,
      finishedAt: s.clock.now(),
      owner: s.id,
      affinity: s.id,
      origin: s.id,
      waitMs,
      runMs,
    });
  }

  /** Records a synchronous task that left the line without running (deadline, cancel, shutdown). */
  private endedWaiting(id: string, w: Waiter, status: FinishStatus, failure: TaskFailure): void {
    const s = this.state;
    s.clock.clearTimeout(w.timer);
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
      finishedAt: s.clock.now(),
      owner: s.id,
      affinity: s.id,
      origin: s.id,
      waitMs: null,
      runMs: null,
    };
    s.recorder.add(row);
  }

  private stoppingError(type: TaskType): AlawError {
    return E.QUEUE_STOPPING.error({ phase: 'running' }, { type }).withHeaders({ 'Retry-After': '5' });
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

  /** Cancels a task waiting in one of this instance's lines; false when none waits with that id. */
  cancelWaiting(id: string, reason: TaskFailure): boolean {
    for (const t of TASK_TYPES) {
      const e = this.state.lines[t].remove(id);
      if (!e) continue;
      this.dropWaiter(id, e.value, reason, this.endedWhileWaiting('cancelled', t));
      return true;
    }
    return false;
  }

  /** Cancels every task waiting in this instance's lines (of one type, or all); their callers get 503. */
  clearWaiting(type: TaskType | null, failure: TaskFailure): { id: string; type: TaskType }[] {
    const rows: { id: string; type: TaskType }[] = [];
    for (const t of TASK_TYPES) {
      if (type !== null && t !== type) continue;
      for (const e of this.state.lines[t].takeAll()) {
        this.dropWaiter(e.id, e.value, failure, this.endedWhileWaiting('cancelled', t));
        rows.push({ id: e.id, type: t });
      }
    }
    return rows;
  }

  /** At shutdown, after the grace period: the tasks still waiting end, their callers get 503. */
  stopWaiting(): void {
    for (const t of TASK_TYPES)
      for (const e of this.state.lines[t].takeAll()) {
        this.endedWaiting(e.id, e.value, 'timeout', E.QUEUE_STOPPING.error({ phase: 'pending' }));
        e.value.reject(this.stoppingError(t));
      }
  }

  /** Synchronous tasks waiting in this instance's lines, all types. */
  waiting(): number {
    return TASK_TYPES.reduce((n, t) => n + this.state.lines[t].waiting, 0);
  }

  /** Synchronous tasks in this instance's memory, by type. */
  lineCounts(): Record<TaskType, { waiting: number; running: number }> {
    const out = { search: { waiting: 0, running: 0 }, analysis: { waiting: 0, running: 0 } };
    for (const t of TASK_TYPES) out[t] = { waiting: this.state.lines[t].waiting, running: this.state.lines[t].running };
    return out;
  }

  /** A synchronous task this instance holds in memory (waiting, running, or ended and not yet written). */
  memoryTask(id: string): TaskView | null {
    const s = this.state;
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
      affinity: s.id,
      deadline_at: at(createdAt + s.limits(type).timeout * 1000),
      origin: s.id,
      wait_ms: null,
      run_ms: null,
      progress: null,
      partial: null,
    });
    for (const t of TASK_TYPES) {
      const e = s.lines[t].get(id);
      if (!e) continue;
      const position = s.lines[t].position(id);
      return { ...base(t, e.value.payload, e.value.createdAt), position, estimated_wait_s: this.admission.estimateWaitSeconds(t, (position ?? 1) - 1) };
    }
    const r = s.running.get(id);
    if (r?.sync) {
      return {
        ...base(r.type, r.sync.payload, r.sync.createdAt),
        status: 'processing',
        attempts: 1,
        started_at: at(r.sync.startedAt),
        owner: s.id,
        wait_ms: Math.round(r.sync.startedAt - r.sync.createdAt),
        position: null,
        estimated_wait_s: null,
      };
    }
    const rec = s.recorder.find(id);
    return rec ? { ...recordOf(rec), position: null, estimated_wait_s: null } : null;
  }
}
