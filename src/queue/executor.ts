/**
 * Runs one attempt of a task, synchronous (syncRunner.ts) or claimed from the store (dispatcher.ts),
 * under its type's timeout and its AbortSignal, inside the log context of the task.
 *
 * The attempt stays in the shared `running` map until it settles; the outcome (value, or the status and
 * error it ended with) goes back to the caller, which records it. Run-time timeouts are counted and
 * reported to the observers here, and every run time feeds the type's median (the wait estimates).
 */
import { logContext } from '../context.js';
import { AlawError, E } from '../errors/index.js';
import { RECENT, TaskAbort, type QueueState, type TaskContext } from './state.js';
import type { ClaimedTask, FinishStatus, TaskFailure } from './types.js';

export type Outcome = { ok: true; value: unknown; runMs: number } | { ok: false; status: FinishStatus; error: Error; runMs: number };

/**
 * Runs a claimed task's function under its timeout; the task stays in `running` until it settles.
 * Callers record the outcome and then `kick()` the dispatcher — not before, or the next claim
 * would still count this task as processing and leave the slot idle until the next poll.
 */
export async function execute(state: QueueState, task: ClaimedTask, fn: (ctx: TaskContext) => unknown, bound: boolean): Promise<Outcome> {
  const { clock, running } = state;
  let entry = running.get(task.id);
  if (!entry || entry.attempt !== task.attempt) {
    entry = { type: task.type, attempt: task.attempt, controller: new AbortController(), bound };
    running.set(task.id, entry);
  }
  const mine = entry;
  const { controller } = entry;
  // Yield to I/O before each task: the rest of a burst is admitted (or turned away) and health checks are
  // answered between tasks, instead of a chain of promise-resolved tasks starving the event loop.
  await new Promise<void>((resolve) => setImmediate(resolve));
  const timeoutS = state.limits(task.type).timeout;
  const started = performance.now();
  const aborted = new Promise<never>((_, reject) => {
    const onAbort = (): void =>
      reject(controller.signal.reason instanceof Error ? controller.signal.reason : new TaskAbort('shutdown', E.TASK_SHUTDOWN.error()));
    if (controller.signal.aborted) onAbort();
    else controller.signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  const timer = clock.setTimeout(() => controller.abort(new TaskAbort('timeout', E.TASK_TIMEOUT.error({ timeoutS }))), timeoutS * 1000);
  try {
    // Cancelled (or lost) while waiting for its turn on the event loop: do not start it at all.
    const progress = (stage: string, partial?: string): Promise<void> =>
      state.store.setProgress(task.id, state.id, task.attempt, stage, partial).then(
        () => undefined,
        (err: unknown) => state.reportStoreError(err),
      );
    // The task's log lines carry its id and the id of the request that created it.
    const requestId = (task.payload as { request_id?: unknown } | null)?.request_id;
    const context = { ...logContext.getStore(), task_id: task.id, ...(typeof requestId === 'string' ? { request_id: requestId } : {}) };
    const run = controller.signal.aborted
      ? aborted
      : logContext.run(context, () =>
          Promise.resolve().then(() =>
            fn({ taskId: task.id, attempt: task.attempt, signal: controller.signal, deadlineMs: clock.now() + timeoutS * 1000, progress }),
          ),
        );
    const value = await Promise.race([run, aborted]);
    return { ok: true, value, runMs: performance.now() - started };
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    const status: FinishStatus = error instanceof TaskAbort ? (error.reason === 'timeout' ? 'timeout' : 'cancelled') : 'failed';
    if (status === 'timeout') {
      state.timedOut[task.type] += 1;
      for (const o of state.observers) o.timedOut(task.type, 'run');
    }
    return { ok: false, status, error, runMs: performance.now() - started };
  } finally {
    clock.clearTimeout(timer);
    // Only this attempt's entry: a newer attempt of the same task may have replaced it.
    if (running.get(task.id) === mine) running.delete(task.id);
    const ring = state.recentRun[task.type];
    ring.push(performance.now() - started);
    if (ring.length > RECENT) ring.shift();
  }
}

/**
 * What a task that did not complete records: a catalog error as it is (a TaskAbort is one); anything
 * else a handler threw is TASK_FAILED with its message (the stack goes to the log, not the task).
 */
export function errorFields(error: Error): { failure: TaskFailure } {
  return { failure: error instanceof AlawError ? error : E.TASK_FAILED.error({ reason: error.message }) };
}
