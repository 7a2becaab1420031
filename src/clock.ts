/**
 * Time as the service's timing logic sees it: leases and heartbeats, wait and
 * run timeouts, retries and their backoff, cache lifetimes, alert durations.
 * Code with such logic takes a Clock (default {@link systemClock}); tests give
 * it a manual one (test/support/clock.ts, on @sinonjs/fake-timers) and move
 * time forward instead of sleeping. Durations that are only measured, not
 * acted on (`took_ms`, run times), keep `performance.now()`.
 */

/** A scheduled callback, as `setTimeout`/`setInterval` return it (Node: an object with `unref`; fake clocks: often a number). */
export type Timer = number | { unref?(): unknown };

/** Lets the process exit while `timer` is pending (a no-op for clocks whose timers cannot keep it alive). */
export function unrefTimer(timer: Timer): void {
  if (typeof timer === 'object') timer.unref?.();
}

export interface Clock {
  /** Epoch milliseconds (what `Date.now()` returns). */
  now(): number;
  setTimeout(fn: () => void, ms: number): Timer;
  clearTimeout(timer: Timer | undefined): void;
  setInterval(fn: () => void, ms: number): Timer;
  clearInterval(timer: Timer | undefined): void;
}

type NodeTimer = ReturnType<typeof globalThis.setTimeout>;

/** The real clock: Node's timers and `Date.now()`. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (t) => globalThis.clearTimeout(t as NodeTimer | undefined),
  setInterval: (fn, ms) => globalThis.setInterval(fn, ms),
  clearInterval: (t) => globalThis.clearInterval(t as NodeTimer | undefined),
};

/** Resolves after `ms` of the clock's time, or at once when `signal` aborts (the caller checks the signal next). */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clock.clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = clock.setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** The clock's time as an ISO 8601 string. */
export const isoNow = (clock: Clock): string => new Date(clock.now()).toISOString();
