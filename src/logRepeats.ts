import type { Logger } from 'pino';
import { unrefTimer, type Clock, type Timer } from './clock.js';

/**
 * An outage (the queue database gone, the key database unreadable) fails every request the same way.
 * Logging each with its stack trace buries everything else and fills the disk, so each kind of failure
 * is logged once with its error, and then once per window with how often it repeated (no stack).
 */
export class RepeatedErrorLog {
  private readonly kinds = new Map<string, { since: number; repeats: number; message: string; fields: Record<string, unknown>; timer?: Timer }>();

  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock,
    /** How long repeats are counted before a summary line, milliseconds. */
    private readonly windowMs = 60_000,
  ) {}

  /** Logs `err` under `kind`: the first time in full, then only counted until the window's summary. */
  error(kind: string, err: unknown, message: string, fields: Record<string, unknown> = {}): void {
    const open = this.kinds.get(kind);
    if (open) {
      open.repeats += 1;
      return;
    }
    this.logger.error({ err, ...fields, repeat_kind: kind }, message);
    const timer = this.clock.setTimeout(() => this.summarize(kind), this.windowMs);
    unrefTimer(timer);
    this.kinds.set(kind, { since: this.clock.now(), repeats: 0, message, fields, timer });
  }

  /** The window of `kind` ends: one line with the count if it repeated; the next failure is logged in full again. */
  private summarize(kind: string): void {
    const state = this.kinds.get(kind);
    if (!state) return;
    this.kinds.delete(kind);
    if (state.repeats === 0) return;
    const seconds = Math.round((this.clock.now() - state.since) / 1000);
    this.logger.error(
      { ...state.fields, repeat_kind: kind, repeats: state.repeats, window_s: seconds },
      `${state.message} (그 뒤 ${seconds}초 동안 ${state.repeats}번 더)`,
    );
  }

  /** Writes the pending summaries now (shutdown). */
  flush(): void {
    for (const [kind, state] of [...this.kinds]) {
      this.clock.clearTimeout(state.timer);
      this.summarize(kind);
    }
  }
}
