/** How long a refusal is held when refusals flood in (see `book`). */
const FLOOD_HOLD_MS = 1000;

/** When a turned-away client is told to come back, and when its refusal is answered. */
export interface Return {
  /** `Retry-After`, whole seconds (≥ 1), counted from the answer. */
  retryAfterS: number;
  /** How long the refusal is held before it is answered (under 1 s; under 2 s in a flood of refusals). */
  holdMs: number;
}

/**
 * Schedules the return of turned-away clients (`Retry-After`), so that clients who obey come back no
 * faster than the line can take them, and clients who do not obey cannot spend the process on refusals.
 *
 * A fixed `Retry-After` sends every client of a burst back at the same instant, where they meet a line
 * that is as full as before (2 slots and 10 places take 12 of 200), and the burst repeats. Instead each
 * refusal gets a return time of its own: returns are handed out in order, `perSlot` clients per slot of
 * `slotMs`, where a slot lasts as long as the line takes to serve that many at its measured rate (tasks
 * ended in the last seconds; estimated from the slots and the median run time before any ended). Since
 * `Retry-After` is in whole seconds, the sub-second part is spent before answering: the refusal is held
 * that long, so that a client that obeys arrives in its own slot. Holding costs a timer, not CPU. When
 * refusals flood in (clients asking again at once, ignoring `Retry-After`), every refusal is held a second
 * more, so that such clients cannot spend the process on refusals instead of on the searches it admitted.
 */
export class RetrySchedule {
  /** The slot being filled (epoch ms of its start) and how many returns it holds. */
  private slotAt = 0;
  private inSlot = 0;
  /** Epoch second → tasks that ended in it (the last few seconds). */
  private readonly ended = new Map<number, number>();
  /** Epoch second → refusals booked in it (this one and the last). */
  private readonly refused = new Map<number, number>();

  constructor(
    /** Furthest return handed out (seconds); beyond it returns share the last slot. */
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
   * Books the return of a turned-away client. `waiting`: tasks already in line (they go first);
   * `estimatedRate`: tasks per second when nothing was measured yet; `lineSize`: slots + places, the
   * most that can arrive at one instant and all be taken.
   */
  book(nowMs: number, waiting: number, estimatedRate: number, lineSize: number): Return {
    const measured = this.rate(nowMs);
    const perSecond = Math.max(0.1, measured >= 1 ? measured : estimatedRate);
    const perSlot = Math.max(1, Math.min(lineSize, Math.floor(perSecond / 100)));
    const slotMs = Math.max(10, Math.round((perSlot / perSecond) * 1000));
    // A flood: refusals outnumber a quarter of what is served (and the line itself), so most of them come from
    // clients asking again at once. Each refusal is then answered a second later, which bounds such a client to
    // about one refusal a second; a client that obeys Retry-After is only a second later to its slot.
    const answerAt = nowMs + (this.countRefusal(nowMs) > Math.max(lineSize, this.servedRecently(nowMs) / 4) ? FLOOD_HOLD_MS : 0);
    const earliest = answerAt + Math.max(1000, Math.ceil((waiting / perSecond) * 1000));
    if (this.slotAt < earliest) {
      this.slotAt = earliest;
      this.inSlot = 0;
    } else if (this.inSlot >= perSlot) {
      this.slotAt = Math.min(this.slotAt + slotMs, answerAt + this.horizonS * 1000);
      this.inSlot = 0;
    }
    this.inSlot += 1;
    const inMs = this.slotAt - answerAt;
    const retryAfterS = Math.max(1, Math.floor(inMs / 1000));
    return { retryAfterS, holdMs: answerAt - nowMs + Math.max(0, Math.min(999, inMs - retryAfterS * 1000)) };
  }

  /** Counts a refusal; returns the refusals of the last second and this one so far (a burst is seen within its first second). */
  private countRefusal(nowMs: number): number {
    const s = Math.floor(nowMs / 1000);
    this.refused.set(s, (this.refused.get(s) ?? 0) + 1);
    if (this.refused.size > 3) for (const k of this.refused.keys()) if (k < s - 1) this.refused.delete(k);
    return (this.refused.get(s - 1) ?? 0) + (this.refused.get(s) ?? 0);
  }

  /** Tasks ended in the last second and this one so far. */
  private servedRecently(nowMs: number): number {
    const s = Math.floor(nowMs / 1000);
    return (this.ended.get(s - 1) ?? 0) + (this.ended.get(s) ?? 0);
  }
}
