import FakeTimers from '@sinonjs/fake-timers';
import type { Clock, Timer } from '../../src/clock.js';

/** A clock whose time moves only when the test says so. */
export interface ManualClock extends Clock {
  /**
   * Moves time forward by `ms`, firing due timers in order; between steps it lets the real event loop run
   * (I/O, `setImmediate`), so work that a timer starts can finish before the next one fires.
   */
  advance(ms: number, stepMs?: number): Promise<void>;
  /** Timers waiting to fire. */
  pending(): number;
  /** Jumps to the next timer and fires it. */
  next(): Promise<void>;
}

/** A manual clock on @sinonjs/fake-timers (not installed globally: only code given this clock sees its time). */
export function manualClock(start = Date.UTC(2026, 11, 4, 9, 0, 0)): ManualClock {
  const fake = FakeTimers.createClock(start);
  const realTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  return {
    now: () => fake.now,
    setTimeout: (fn, ms) => fake.setTimeout(fn, ms) as unknown as Timer,
    clearTimeout: (t) => fake.clearTimeout(t as FakeTimers.TimerId),
    setInterval: (fn, ms) => fake.setInterval(fn, ms) as unknown as Timer,
    clearInterval: (t) => fake.clearInterval(t as FakeTimers.TimerId),
    pending: () => fake.countTimers(),
    async next() {
      await fake.nextAsync();
      await realTurn();
    },
    async advance(ms, stepMs = 10) {
      // Work already under way (a claim, a yield to I/O) gets its turn before time moves.
      await realTurn();
      for (let left = ms; left > 0; left -= stepMs) {
        await fake.tickAsync(Math.min(stepMs, left));
        await realTurn();
      }
      await realTurn();
    },
  };
}
