/**
 * The line of one synchronous task type (searches) on one instance, in memory.
 *
 * A search is answered by the instance its HTTP request reached, and its caller is gone when that
 * process is, so nothing about a waiting or running search needs to outlive the process: admitting,
 * waiting for a slot and turning away cost no database write. The durable record of each search is
 * written after it ends, in batches (`recorder.ts`). The instance's limits are its share of the
 * cluster's limits (`shareOf` over the live instances), so the cluster as a whole still holds them.
 */
export interface LineLimits {
  maxConcurrent: number;
  maxQueueSize: number;
}

export interface LineEntry<T> {
  id: string;
  /** Epoch ms at which it entered the line. */
  enteredAt: number;
  value: T;
}

export type Entered = 'run' | 'wait' | 'full';

export class LocalLine<T> {
  private runningCount = 0;
  /** Waiting entries in arrival order (a Map keeps insertion order and removes in O(1)). */
  private readonly queue = new Map<string, LineEntry<T>>();

  constructor(private limitsNow: LineLimits) {}

  get limits(): LineLimits {
    return this.limitsNow;
  }

  /** New limits (the cluster's decision changed, an instance came or went); returns entries that may start now. */
  setLimits(limits: LineLimits): LineEntry<T>[] {
    this.limitsNow = limits;
    return this.startable();
  }

  get running(): number {
    return this.runningCount;
  }

  get waiting(): number {
    return this.queue.size;
  }

  /**
   * Admits `id`: `run` takes a slot at once (nothing waits and a slot is free; the places to wait do not
   * apply to a task that never waits), `wait` queues it, `full` turns it away.
   */
  enter(id: string, now: number, value: T): Entered {
    if (this.queue.size === 0 && this.runningCount < this.limitsNow.maxConcurrent) {
      this.runningCount += 1;
      return 'run';
    }
    if (this.queue.size >= this.limitsNow.maxQueueSize) return 'full';
    this.queue.set(id, { id, enteredAt: now, value });
    return 'wait';
  }

  /** A running task ended: its slot goes to the oldest waiting entries, which are returned (already running). */
  leave(): LineEntry<T>[] {
    this.runningCount = Math.max(0, this.runningCount - 1);
    return this.startable();
  }

  /** Removes a waiting entry (its deadline passed, it was cancelled); false when it is not waiting. */
  remove(id: string): LineEntry<T> | undefined {
    const e = this.queue.get(id);
    if (e) this.queue.delete(id);
    return e;
  }

  get(id: string): LineEntry<T> | undefined {
    return this.queue.get(id);
  }

  /** 1-based place of a waiting entry, or null. */
  position(id: string): number | null {
    let i = 0;
    for (const k of this.queue.keys()) {
      i += 1;
      if (k === id) return i;
    }
    return null;
  }

  /** Removes and returns every waiting entry (clear, shutdown). */
  takeAll(): LineEntry<T>[] {
    const all = [...this.queue.values()];
    this.queue.clear();
    return all;
  }

  /** Entered-at of the oldest waiting entry. */
  oldest(): number | null {
    for (const e of this.queue.values()) return e.enteredAt;
    return null;
  }

  private startable(): LineEntry<T>[] {
    const out: LineEntry<T>[] = [];
    for (const e of this.queue.values()) {
      if (this.runningCount >= this.limitsNow.maxConcurrent) break;
      this.queue.delete(e.id);
      this.runningCount += 1;
      out.push(e);
    }
    return out;
  }
}
