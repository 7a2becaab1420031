import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { systemClock, type Clock } from '../clock.js';
import pino from 'pino';
import { LocalLine } from './localLine.js';
import { RetrySchedule } from './retrySchedule.js';
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

describe('RetrySchedule: when turned-away clients come back', () => {
  const T = 1_700_000_000_000;

  it('spreads a burst so that no second is promised to more clients than the line serves per second', () => {
    const s = new RetrySchedule();
    // 50 served per second over the last three seconds.
    for (let k = 3; k >= 1; k--) for (let i = 0; i < 50; i++) s.served(T - k * 1000);
    expect(s.rate(T)).toBe(50);
    const after = Array.from({ length: 200 }, () => s.book(T, 0, 1));
    const perSecond = new Map<number, number>();
    for (const d of after) perSecond.set(d, (perSecond.get(d) ?? 0) + 1);
    expect([...perSecond.entries()].sort((a, b) => a[0] - b[0])).toEqual([
      [1, 50],
      [2, 50],
      [3, 50],
      [4, 50],
    ]);
  });

  it('waits for the line ahead to drain first, uses the estimate before anything was measured, and stops at its horizon', () => {
    const s = new RetrySchedule(10);
    expect(s.book(T, 30, 10)).toBe(3); // 30 waiting at an estimated 10/s
    const t = new RetrySchedule(3);
    expect(Array.from({ length: 5 }, () => t.book(T, 0, 1))).toEqual([1, 2, 3, 3, 3]);
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
