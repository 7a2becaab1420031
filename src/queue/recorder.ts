import { unrefTimer, type Clock, type Timer } from '../clock.js';
import { emptyCounts, type QueueStore, type RecordedTask, type StatusCounts, type TaskRecord } from './types.js';

export interface RecorderOptions {
  /** A batch is written at most this long after its first row. */
  flushMs: number;
  /** A batch this large is written at once. */
  batchRows: number;
  /** Rows kept while the database cannot take them; beyond this the oldest are dropped (and counted). */
  maxRows: number;
}

export const RECORDER_DEFAULTS: RecorderOptions = { flushMs: 200, batchRows: 500, maxRows: 20_000 };

/**
 * Write-behind of the tasks that lived only in memory (searches): each ended one is kept here and
 * written with the others in one transaction every `flushMs` (or once `batchRows` are waiting), so a
 * search costs no database write of its own. Rows not yet written are still seen: health counts them
 * and `find` answers for them. What a `kill -9` loses is the last fraction of a second of search
 * history, never a task anyone was promised.
 */
export class Recorder {
  private buffer: RecordedTask[] = [];
  /** Taken by the write under way (seen by counts and find until it commits). */
  private inflight: RecordedTask[] = [];
  private timer: Timer | null = null;
  private writing: Promise<void> | null = null;
  private droppedRows = 0;
  private closed = false;

  constructor(
    private readonly store: QueueStore,
    private readonly clock: Clock,
    private readonly onError: (err: unknown) => void,
    private readonly options: RecorderOptions = RECORDER_DEFAULTS,
  ) {}

  /** Rows dropped because the database could not take them before `maxRows` piled up. */
  get dropped(): number {
    return this.droppedRows;
  }

  /** Rows not yet committed. */
  get backlog(): number {
    return this.buffer.length + this.inflight.length;
  }

  add(row: RecordedTask): void {
    this.buffer.push(row);
    if (this.buffer.length > this.options.maxRows) {
      const over = this.buffer.length - this.options.maxRows;
      this.buffer.splice(0, over);
      this.droppedRows += over;
    }
    if (this.closed) return;
    if (this.buffer.length >= this.options.batchRows) void this.flush();
    else if (!this.timer) {
      this.timer = this.clock.setTimeout(() => {
        this.timer = null;
        void this.flush();
      }, this.options.flushMs);
      unrefTimer(this.timer);
    }
  }

  /** Writes everything added so far; resolves when it is committed (or failed and kept for the next try). */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.timer) {
      this.clock.clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.buffer.length === 0) return;
    this.inflight = this.buffer;
    this.buffer = [];
    this.writing = this.store
      .record(this.inflight)
      .then(
        () => undefined,
        (err: unknown) => {
          // Kept (ahead of what came since) for the next flush; the cap still applies.
          this.buffer = [...this.inflight, ...this.buffer];
          if (this.buffer.length > this.options.maxRows) {
            const over = this.buffer.length - this.options.maxRows;
            this.buffer.splice(0, over);
            this.droppedRows += over;
          }
          this.onError(err);
        },
      )
      .finally(() => {
        this.inflight = [];
        this.writing = null;
        if (this.buffer.length > 0 && !this.closed && !this.timer) {
          this.timer = this.clock.setTimeout(() => {
            this.timer = null;
            void this.flush();
          }, this.options.flushMs);
          unrefTimer(this.timer);
        }
      });
    await this.writing;
  }

  /** Final flush; later rows are kept but no timer is armed any more. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  /** Counts of the rows not yet committed, by type and status. */
  counts(): StatusCounts {
    const c = emptyCounts();
    for (const r of this.inflight) c[r.type][r.status] += 1;
    for (const r of this.buffer) c[r.type][r.status] += 1;
    return c;
  }

  /** A row not yet committed. */
  find(id: string): RecordedTask | undefined {
    return this.buffer.find((r) => r.id === id) ?? this.inflight.find((r) => r.id === id);
  }
}

/** An ended in-memory task as the `tasks` table will show it once written. */
export function recordOf(r: RecordedTask): TaskRecord {
  const at = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: r.id,
    type: r.type,
    status: r.status,
    payload: r.payload,
    result: r.result,
    error: r.failure?.message ?? null,
    error_code: r.failure?.code ?? null,
    attempts: r.attempts,
    max_attempts: r.attempts,
    created_at: at(r.createdAt)!,
    started_at: at(r.startedAt),
    finished_at: at(r.finishedAt),
    owner: r.owner,
    lease_expires_at: null,
    affinity: r.affinity,
    deadline_at: null,
    origin: r.origin,
    wait_ms: r.waitMs === null ? null : Math.round(r.waitMs),
    run_ms: r.runMs === null ? null : Math.round(r.runMs),
    progress: null,
    partial: null,
  };
}
