import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { TASK_TYPE_NAMES, TASK_TYPES, type TaskType } from './types.js';

/**
 * The log of requests turned away because a line was full, sampled: under overload thousands of
 * requests a second are refused, and a log line each would cost more than the refusal. The first
 * refusal after a quiet spell is logged at once; after that one line per `everyMs` gives the counts.
 * (Every refused request still has its access-log line, written by the HTTP layer.)
 */
export class TurnedAwayLog {
  private readonly counts: Record<TaskType, number> = { search: 0, analysis: 0 };
  private lastAt: number | null = null;

  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly everyMs = 10_000,
  ) {}

  note(type: TaskType, pending: number, max: number): void {
    this.counts[type] += 1;
    const now = this.clock.now();
    if (this.lastAt === null || now - this.lastAt >= this.everyMs) this.write(now, { type, pending, max_queue_size: max });
  }

  /** Logs what was counted since the last line (called on a timer, so the end of a burst is logged too). */
  flush(): void {
    const now = this.clock.now();
    if (this.lastAt === null || now - this.lastAt < this.everyMs) return;
    if (TASK_TYPES.some((t) => this.counts[t] > 0)) this.write(now, {});
    else this.lastAt = null; // quiet again: the next refusal is logged at once
  }

  private write(now: number, extra: Record<string, unknown>): void {
    const windowS = this.lastAt === null ? 0 : Math.round((now - this.lastAt) / 1000);
    const parts = TASK_TYPES.filter((t) => this.counts[t] > 0).map((t) => `${TASK_TYPE_NAMES[t]} ${this.counts[t]}건`);
    this.logger.warn(
      { turned_away: { ...this.counts }, window_s: windowS, ...extra },
      windowS === 0
        ? `대기열이 가득 차 요청을 429로 돌려보내기 시작했습니다 (${parts.join(', ')})`
        : `대기열이 가득 차 최근 ${windowS}초 동안 요청을 429로 돌려보냈습니다: ${parts.join(', ')}`,
    );
    for (const t of TASK_TYPES) this.counts[t] = 0;
    this.lastAt = now;
  }
}
