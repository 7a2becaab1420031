/**
 * Who gets into this instance's queue, who is turned away, and when they should come back.
 *
 * - `assertAccepting` refuses new tasks (503) before start and once the instance drains or has stopped.
 * - `admit` puts an asynchronous task into the store (one transaction that counts the type's pending
 *   tasks), or throws 429 when the store says the queue is full — a verdict trusted for a second, so
 *   refusals meanwhile cost no query — or 503 when the store cannot be reached. Synchronous tasks are
 *   admitted in memory by syncRunner.ts, which turns them away here too.
 * - `turnAway` counts and logs (sampled, turnedAway.ts) a refusal and sets its `Retry-After`: a search's
 *   from its line's schedule (retrySchedule.ts, spread by the measured service rate), another type's from
 *   `estimateWaitSeconds` (tasks ahead, `max_concurrent` at a time, at the type's median run time).
 * - `refresh` (each resource sample) writes the refusal log's summary and, until this instance has run a
 *   task of a type, learns the type's median run time from the store's recent history.
 */
import { AlawError, E } from '../errors/index.js';
import { RetrySchedule } from './retrySchedule.js';
import { summary, type QueueState } from './state.js';
import { TurnedAwayLog } from './turnedAway.js';
import { TASK_TYPE_NAMES as TYPE_KO, TASK_TYPES, type AdmitRequest, type AdmitResult, type TaskType } from './types.js';

/** Run time assumed before any task of a type was seen (its `Retry-After` and wait estimates). */
const DEFAULT_RUN_MS: Record<TaskType, number> = { search: 20, analysis: 30_000 };
/** A store's verdict "the analysis queue is full" is trusted this long: refusals meanwhile cost no query. */
const KNOWN_FULL_MS = 1000;

export class Admission {
  private readonly schedules: Record<TaskType, RetrySchedule> = { search: new RetrySchedule(), analysis: new RetrySchedule() };
  private readonly turnedAway: TurnedAwayLog;
  /** The last time the store said a type's queue was full, and how many waited then. */
  private readonly knownFull: Record<TaskType, { at: number; pending: number } | null> = { search: null, analysis: null };

  constructor(private readonly state: QueueState) {
    this.turnedAway = new TurnedAwayLog(state.logger, state.clock);
  }

  /** Throws 503 unless the queue has started and is neither draining nor stopped. */
  assertAccepting(type: TaskType): void {
    const s = this.state;
    if (s.draining || s.stopped || !s.started) {
      throw E.QUEUE_STOPPING.error({ phase: 'admission' }, { type }).withHeaders({ 'Retry-After': '5' });
    }
  }

  /** Median run time of a type: this instance's recent runs, else the store's recent history, else a default. */
  runP50Ms(type: TaskType): number {
    return summary(this.state.recentRun[type]).p50 ?? this.state.storeRunP50[type] ?? DEFAULT_RUN_MS[type];
  }

  /** Seconds until a slot is likely free: the tasks ahead, run `max_concurrent` at a time, at the type's median run time. */
  estimateWaitSeconds(type: TaskType, ahead: number): number {
    const l = this.state.limits(type);
    return Math.max(1, Math.min(l.timeout, Math.ceil(((ahead + 1) / l.max_concurrent) * (this.runP50Ms(type) / 1000))));
  }

  /**
   * A request turned away because its line is full: counted in memory, logged by sample, and told when
   * to come back. A search's `Retry-After` comes from its line's schedule (spread so that returning
   * clients are not more than the line serves per second); an analysis's from the analysis queue.
   */
  turnAway(type: TaskType, pending: number, max: number): AlawError {
    return this.refuse(type, pending, max).error;
  }

  /**
   * `turnAway` with the hold of a search's refusal: it is answered after `holdMs` (retrySchedule.ts), so that
   * an obeying client returns in a slot of its own and one that does not cannot loop on refusals.
   */
  refuse(type: TaskType, pending: number, max: number): { error: AlawError; holdMs: number } {
    const s = this.state;
    s.rejected[type] += 1;
    for (const o of s.observers) o.rejected(type);
    this.turnedAway.note(type, pending, max);
    let retry = this.estimateWaitSeconds(type, pending);
    let holdMs = 0;
    if (type === 'search') {
      const l = s.lines[type].limits;
      const back = this.schedules[type].book(
        s.clock.now(),
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

  /** A task of the type was served (its line's schedule measures the rate). */
  served(type: TaskType): void {
    this.schedules[type].served(this.state.clock.now());
  }

  private unavailable(err: unknown): AlawError {
    this.state.reportStoreError(err);
    return E.QUEUE_UNAVAILABLE.error({}).withHeaders({
      'Retry-After': '5',
    });
  }

  /** Admits a task into the store, or throws 429 (queue full) or 503 (store unreachable). */
  async admit(req: AdmitRequest): Promise<Extract<AdmitResult, { admitted: true }>> {
    const { clock, store } = this.state;
    // The store said a moment ago that this queue is full: turned away without asking again.
    const known = this.knownFull[req.type];
    if (known && clock.now() - known.at < KNOWN_FULL_MS) throw this.turnAway(req.type, known.pending, req.maxQueueSize);
    let admitted: AdmitResult;
    try {
      admitted = await store.admit(req);
    } catch (err) {
      throw this.unavailable(err);
    }
    if (!admitted.admitted) {
      this.knownFull[req.type] = { at: clock.now(), pending: admitted.pending };
      throw this.turnAway(req.type, admitted.pending, req.maxQueueSize);
    }
    this.knownFull[req.type] = null;
    return admitted;
  }

  /** Writes the refusal log's summary; learns run times from the store for types this instance has not run yet. */
  refresh(): void {
    const s = this.state;
    this.turnedAway.flush();
    // Until this instance has run a task of a type, its wait estimates use the type's recent history in the store.
    for (const t of TASK_TYPES) {
      if (s.recentRun[t].length > 0 || s.storeRunP50[t] !== null) continue;
      s.store
        .durations(t, 3_600_000, 200)
        .then((d) => {
          const p50 = summary(d.run).p50;
          if (p50 !== null) s.storeRunP50[t] = p50;
        })
        .catch((err: unknown) => s.reportStoreError(err));
    }
  }
}
