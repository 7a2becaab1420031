/**
 * Authentication failures (401/403 answers) per client address since the
 * monitor last looked: the HTTP layer records each one from its response
 * hook, the alert monitor drains the counts on its own clock and keeps the
 * window. Memory is bounded: at most `maxAddresses` distinct addresses are
 * kept between two drains; failures from further addresses are counted
 * together (`overflow`), so a flood of spoofed addresses costs a number,
 * not a map entry each.
 */
export class AuthFailureCounter {
  private counts = new Map<string, number>();
  private overflow = 0;

  constructor(readonly maxAddresses = 10_000) {}

  record(address: string): void {
    const n = this.counts.get(address);
    if (n !== undefined) this.counts.set(address, n + 1);
    else if (this.counts.size < this.maxAddresses) this.counts.set(address, 1);
    else this.overflow += 1;
  }

  /** The counts since the last drain, and a fresh start. */
  drain(): AuthFailureSample {
    const sample = { counts: this.counts, overflow: this.overflow };
    this.counts = new Map();
    this.overflow = 0;
    return sample;
  }
}

export interface AuthFailureSample {
  /** Failures per client address. */
  counts: Map<string, number>;
  /** Failures from addresses beyond the cap, not attributed to one. */
  overflow: number;
}
