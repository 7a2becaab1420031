/**
 * Asynchronous tasks (analyses): admitted into the store, claimed and run by any instance with a worker.
 *
 * `submit()` admits a task into the store (admission.ts) and wakes this instance's dispatcher. The
 * dispatcher of a type (`kick`: now, or once more after the pass under way) claims as many tasks as this
 * instance has free slots under the type's `max_concurrent`, on local events (an admission, a finish, a
 * recovery, a change of limits) and every `pollMs` (`poll`, for work admitted by other instances). Each
 * claimed attempt runs under its timeout and AbortSignal (executor.ts) and holds a lease that liveness.ts
 * renews; its end is written with `finish` (refused by the store when another instance took it over),
 * or, for a retryable failure with attempts left, the task goes back to pending.
 */
import { randomUUID } from 'node:crypto';
import { E } from '../errors/index.js';
import type { Admission } from './admission.js';
import { errorFields, execute } from './executor.js';
import { RetryableTaskError, TaskAbort, type QueueState, type TaskHandler } from './state.js';
import { TASK_TYPES, type ClaimedTask, type FinishStatus, type TaskFailure, type TaskType } from './types.js';

export class Dispatcher {
  private readonly dispatching: Record<TaskType, boolean> = { search: false, analysis: false };
  private readonly dispatchAgain: Record<TaskType, boolean> = { search: false, analysis: false };

  constructor(
    private readonly state: QueueState,
    private readonly admission: Admission,
  ) {}

  /** Admits an asynchronous task for any instance's worker; returns its id and place in the queue. */
  async submit(type: TaskType, payload: unknown, options: { maxAttempts?: number } = {}): Promise<{ id: string; position: number; estimated_wait_s: number }> {
    const s = this.state;
    this.admission.assertAccepting(type);
    const l = s.limits(type);
    const id = randomUUID();
    const admitted = await this.admission.admit({
      id,
      type,
      payload,
      maxQueueSize: l.max_queue_size,
      maxAttempts: options.maxAttempts ?? s.options.maxAttempts,
      origin: s.id,
      affinity: null,
      waitLimitMs: null,
      durable: true,
    });
    this.kick(type);
    return { id, position: admitted.pending, estimated_wait_s: this.admission.estimateWaitSeconds(type, admitted.pending - 1) };
  }

  /** Runs the dispatcher of a type now, or once more after the current pass. */
  kick(type: TaskType): void {
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
        this.state.reportStoreError(err);
      } finally {
        this.dispatching[type] = false;
      }
    })();
  }

  /** Every type with a worker here looks for work (tasks admitted by other instances). */
  poll(): void {
    for (const t of TASK_TYPES) if (this.state.handlers[t]) this.kick(t);
  }

  private async dispatch(type: TaskType): Promise<void> {
    const s = this.state;
    if (!s.started || s.stopped || s.halted) return;
    const l = s.limits(type);
    const handler = s.handlers[type];
    if (!handler || s.draining) return;
    let mine = 0;
    for (const r of s.running.values()) if (r.type === type && !r.bound) mine += 1;
    const free = l.max_concurrent - mine;
    if (free <= 0) return;
    const claimed = await s.store.claim({
      type,
      owner: s.id,
      affinity: null,
      limit: free,
      maxConcurrent: l.max_concurrent,
      leaseMs: s.options.leaseMs,
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
    const old = this.state.running.get(task.id);
    if (old) old.controller.abort(new TaskAbort('lease_lost', E.TASK_LEASE_LOST.error({ why: 'new_attempt' })));
    this.state.running.set(task.id, { type: task.type, attempt: task.attempt, controller: new AbortController(), bound });
  }

  private async runAsync(task: ClaimedTask, handler: TaskHandler): Promise<void> {
    try {
      await this.runAsyncOnce(task, handler);
    } finally {
      this.kick(task.type);
    }
  }

  private async runAsyncOnce(task: ClaimedTask, handler: TaskHandler): Promise<void> {
    const s = this.state;
    const outcome = await execute(s, task, (ctx) => handler(task.payload, ctx), false);
    if (outcome.ok) {
      await this.finish(task, 'completed', { result: outcome.value ?? null }, outcome.runMs, true);
      this.admission.served(task.type);
    } else if (outcome.error instanceof TaskAbort && outcome.error.reason === 'cancelled') {
      await this.finish(task, 'cancelled', { failure: outcome.error }, outcome.runMs, true);
    } else if (outcome.error instanceof TaskAbort && outcome.error.reason !== 'timeout') {
      // Lease lost (another instance took it over) or shutdown (released by stop()): nothing to record here.
    } else if (outcome.error instanceof RetryableTaskError && task.attempt < task.maxAttempts) {
      const ok = await s.store.retry(task.id, s.id, task.attempt, outcome.error).catch((err: unknown) => {
        s.reportStoreError(err);
        return false;
      });
      s.logger.warn({ task_id: task.id, type: task.type, attempt: task.attempt, err: outcome.error, requeued: ok }, '작업이 실패해 다시 시도합니다');
    } else {
      await this.finish(task, outcome.status, errorFields(outcome.error), outcome.runMs, true);
      s.logger.warn({ task_id: task.id, type: task.type, attempt: task.attempt, status: outcome.status, err: outcome.error }, '작업이 실패했습니다');
    }
  }

  private async finish(
    task: ClaimedTask,
    status: FinishStatus,
    fields: { result?: unknown; failure?: TaskFailure },
    runMs: number,
    durable: boolean,
  ): Promise<void> {
    const s = this.state;
    const waitMs = Math.max(0, s.clock.now() - runMs - task.createdAtMs);
    for (const o of s.observers) o.finished(task.type, status, waitMs, runMs, task);
    try {
      const ok = await s.store.finish({ id: task.id, owner: s.id, attempt: task.attempt, status, runMs, durable, ...fields });
      if (!ok)
        s.logger.warn({ task_id: task.id, type: task.type, attempt: task.attempt, status }, '작업을 다른 인스턴스가 넘겨받아 이 결과는 기록하지 않았습니다');
    } catch (err) {
      this.state.reportStoreError(err);
    }
  }
}
