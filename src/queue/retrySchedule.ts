/**
 * When to tell a turned-away client to come back (`Retry-After`), so that clients who obey come back
 * no faster than the line serves them.
 *
 * A fixed `Retry-After` sends every client of a burst back in the same second, where they meet a line
 * that is as full as before, and the burst repeats. Instead each turned-away client is given the first
 * second, from when the line ahead of it should have drained, that has not already been promised to as
 * many clients as the line serves in a second (measured from the tasks that ended in the last seconds,
 * or estimated from the slots and the median run time before there are any).
 */
export class RetrySchedule {
  /** Epoch second → clients told to come back in it. */
  private readonly booked = new Map<number, number>();
  /** Epoch second → tasks that ended in it (the last few seconds). */
  private readonly ended = new Map<number, number>();

  constructor(
    /** Furthest second handed out; when every second up to it is promised, it is handed out again. */
    private readonly horizonS = 120,
    /** Seconds of ended tasks the service rate is measured over. */
    private readonly windowS = 3,
  ) {}

  /** A task of this line ended (its slot served someone). */
  served(nowMs: number): void {
    const s = Math.floor(nowMs / 1000);
    this.ended.set(s, (this.ended.get(s) ?? 0) + 1);
    if (this.ended.size > this.windowS + 2) for (const k of this.ended.keys()) if (k < s - this.windowS) this.ended.delete(k);
  }

  /** Tasks served per second over the last full seconds (0 when none ended). */
  rate(nowMs: number): number {
    const s = Math.floor(nowMs / 1000);
    let n = 0;
    for (let k = s - this.windowS; k < s; k++) n += this.ended.get(k) ?? 0;
    return n / this.windowS;
  }

  /**
   * Books a return for a turned-away client and gives its `Retry-After` in seconds (≥ 1).
   * `waiting`: tasks already in line; `estimatedRate`: tasks per second when nothing was measured yet.
   */
  book(nowMs: number, waiting: number, estimatedRate: number): number {
    const now = Math.floor(nowMs / 1000);
    if (this.booked.size > this.horizonS) for (const k of this.booked.keys()) if (k <= now) this.booked.delete(k);
    const measured = this.rate(nowMs);
    const perSecond = Math.max(1, Math.floor(measured >= 1 ? measured : estimatedRate));
    const first = Math.max(1, Math.ceil(waiting / perSecond));
    for (let d = first; d <= this.horizonS; d++) {
      const n = this.booked.get(now + d) ?? 0;
      if (n < perSecond) {
        this.booked.set(now + d, n + 1);
        return d;
      }
    }
    return this.horizonS;
  }
}
