import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { systemClock, type Clock } from '../clock.js';
import pino from 'pino';
import { LocalLine } from './localLine.js';
import { RetrySchedule, type Return } from './retrySchedule.js';
import { TurnedAwayLog } from './turnedAway.js';

describe('LocalLine: one instance’s line of searches', () => {
  it('runs at once while a slot is free and nothing waits, queues up to the places, then turns away', () => {
    const line = new LocalLine<number>({ maxConcurrent: 2, maxQueueSize: 2 });
    expect(['a', 'b', 'c', 'd', 'e'].map((id, i) => line.enter(id, i, i))).toEqual(['run', 'run', 'wait', 'wait', 'full']);
    expect({ running: line.running, waiting: line.waiting, oldest: line.oldest() }).toEqual({ running: 2, waiting: 2, oldest: 2 });
    expect(line.position('d')).toBe(2);
    // A slot frees: the oldest waiting entry takes it, in arrival order.
    expect(line.leave().map((e) => e.id)).toEqual(['c']);
    expect(line.running).toBe(2);
    expect(line.remove('d')?.value).toBe(3);
    expect(line.remove('d')).toBeUndefined();
    // More slots (the cluster grew its limits): waiting entries start at once.
    line.enter('f', 5, 5);
    line.enter('g', 6, 6);
    expect(line.setLimits({ maxConcurrent: 4, maxQueueSize: 2 }).map((e) => e.id)).toEqual(['f', 'g']);
    expect(line.takeAll()).toEqual([]);
  });

  it('never runs more than its slots nor keeps more than its places, whatever the sequence', () => {
    const op = fc.oneof(
      fc.constant<'enter'>('enter'),
      fc.constant<'leave'>('leave'),
      fc.nat(20).map((n) => ({ remove: n })),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 4 }), fc.array(op, { maxLength: 60 }), (slots, places, ops) => {
        const line = new LocalLine<null>({ maxConcurrent: slots, maxQueueSize: places });
        let next = 0;
        let started = 0;
        let left = 0;
        for (const o of ops) {
          if (o === 'enter') {
            if (line.enter(String(next++), 0, null) === 'run') started += 1;
          } else if (o === 'leave') {
            if (started - left > 0) {
              left += 1;
              started += line.leave().length;
            }
          } else line.remove(String(o.remove));
          expect(line.running).toBeLessThanOrEqual(slots);
          expect(line.waiting).toBeLessThanOrEqual(places);
          expect(line.running).toBe(started - left);
          // A free slot is never left idle while something waits.
          if (line.waiting > 0) expect(line.running).toBe(slots);
        }
      }),
    );
  });
});

describe('RetrySchedule: when turned-away clients come back, and when they are answered', () => {
  const T = 1_700_000_000_000;
  /** The schedule having measured `perSecond` served over the last seconds. */
  const measured = (perSecond: number): RetrySchedule => {
    const s = new RetrySchedule();
    for (let k = 3; k >= 1; k--) for (let i = 0; i < perSecond; i++) s.served(T - k * 1000);
    return s;
  };

  it('gives each client of a burst a return of its own: never more at one instant than the line takes, never more per second than it serves', () => {
    const s = measured(900);
    expect(s.rate(T)).toBe(900);
    const back = Array.from({ length: 200 }, () => s.book(T, 0, 1, 12));
    for (const b of back) {
      expect(b.retryAfterS).toBeGreaterThanOrEqual(1);
      expect(b.holdMs).toBeGreaterThanOrEqual(0);
      expect(b.holdMs).toBeLessThan(1000);
    }
    // An obeying client arrives at answer (T + hold) + Retry-After.
    const arrivals = back.map((b) => T + b.holdMs + b.retryAfterS * 1000);
    const atOnce = new Map<number, number>();
    for (const a of arrivals) atOnce.set(a, (atOnce.get(a) ?? 0) + 1);
    expect(Math.max(...atOnce.values())).toBeLessThanOrEqual(9); // 900/s in 10 ms slots
    expect(Math.min(...arrivals) - T).toBe(1000);
    // 200 returns at 900 per second: all within the next quarter second after the first.
    expect(Math.max(...arrivals) - Math.min(...arrivals)).toBeLessThanOrEqual(Math.ceil((200 / 900) * 1000));
  });

  it('answers a lone refusal at once with Retry-After 1, lets the line ahead drain first, and stops at its horizon', () => {
    expect(new RetrySchedule().book(T, 0, 100, 12)).toEqual({ retryAfterS: 1, holdMs: 0 });
    expect(measured(900).book(T, 1800, 1, 12)).toEqual({ retryAfterS: 2, holdMs: 0 });
    const slow = new RetrySchedule(3);
    const last = Array.from({ length: 1000 }, () => slow.book(T, 0, 0.5, 12)).at(-1)!;
    // Refused 1000 times in one instant (a flood: each answered a second later), the last is still back within the horizon.
    expect(last.holdMs).toBeGreaterThanOrEqual(1000);
    expect(last.retryAfterS * 1000 + last.holdMs).toBeLessThanOrEqual(1000 + 3000);
  });

  it('clients that retry at once, ignoring Retry-After, are slowed by the hold and do not push the returns of others away', () => {
    const s = new RetrySchedule();
    let now = T;
    // 200 clients, each asking again the moment its refusal is answered; the line serves 900 per second.
    const next = Array.from({ length: 200 }, (_, i) => T + i);
    let refusals = 0;
    let servedUpTo = T - 3000;
    let latest: Return = { retryAfterS: 0, holdMs: 0 };
    while (now < T + 10_000) {
      const i = next.indexOf(Math.min(...next));
      now = next[i]!;
      for (; servedUpTo < now; servedUpTo += 1000 / 900) s.served(servedUpTo);
      latest = s.book(now, 10, 1, 12);
      refusals += 1;
      next[i] = now + latest.holdMs + 1;
    }
    // Without the hold they would have been refused tens of thousands of times in 10 s; held, about once a second each.
    expect(refusals / 10).toBeLessThan(2 * 200);
    // An obeying client refused now is still told to come back within a couple of seconds.
    expect(latest.retryAfterS).toBeLessThanOrEqual(2);
  });
});

describe('TurnedAwayLog: sampled', () => {
  it('logs the first refusal at once, then at most one line per interval with the counts', () => {
    let now = 0;
    const clock: Clock = { ...systemClock, now: () => now };
    const lines: { msg: string; turned_away: Record<string, number> }[] = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as (typeof lines)[number]) });
    const log = new TurnedAwayLog(logger, clock, 10_000);
    for (let i = 0; i < 1000; i++) {
      now = i * 10; // 1000 refusals over 10 s
      log.note('search', 100, 100);
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]!.msg).toContain('돌려보내기 시작했습니다');
    now = 10_500;
    log.note('analysis', 5, 5);
    expect(lines).toHaveLength(2);
    expect(lines[1]!.turned_away).toEqual({ search: 999, analysis: 1 });
    expect(lines[1]!.msg).toContain('검색 999건');
    now = 21_000;
    log.flush(); // nothing since: quiet again
    log.flush();
    expect(lines).toHaveLength(2);
    log.note('search', 100, 100);
    expect(lines[2]!.msg).toContain('시작했습니다');
  });
});
