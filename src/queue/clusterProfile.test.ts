import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { systemClock, type Clock } from '../clock.js';
import {
  decideClusterProfile,
  instanceStateOf,
  parseInstanceState,
  parseInstanceStateText,
  shareOf,
  type ClusterDecision,
  type ClusterMember,
} from './clusterProfile.js';
import { ProfileController, type ProfileSettings } from './profile.js';
import type { InstanceState, QueueLimits } from './types.js';

const T0 = Date.parse('2025-03-01T09:00:00.000Z');
const clock: Clock = { ...systemClock, now: () => T0 };

/** The guide's defaults (docs/OPERATIONS.md, "큐 시스템 최적화"). */
const CONSERVATIVE: QueueLimits = {
  search: { max_concurrent: 2, max_queue_size: 10, timeout: 30 },
  analysis: { max_concurrent: 1, max_queue_size: 5, timeout: 60 },
};
const OPTIMIZED: QueueLimits = {
  search: { max_concurrent: 3, max_queue_size: 20, timeout: 60 },
  analysis: { max_concurrent: 2, max_queue_size: 15, timeout: 120 },
};

/** An auto-mode instance with the guide's thresholds, voting what its usage says (no hysteresis pending). */
function state(memory: number, cpu: number, over: Partial<InstanceState> = {}): InstanceState {
  return {
    mode: 'auto',
    vote: memory < 60 && cpu < 50 ? 'optimized' : 'conservative',
    usage: { memory_percent: memory, cpu_percent: cpu },
    optimized_when: { memory_percent_below: 60, cpu_percent_below: 50 },
    limits: { conservative: CONSERVATIVE, optimized: OPTIMIZED },
    ...over,
  };
}

const member = (instance_id: string, s: InstanceState | null, draining = false): ClusterMember => ({ instance_id, draining, state: s });
/** Self as the queue passes it: its row, with its current state. */
const selfOf = (m: ClusterMember, s: InstanceState = m.state ?? state(10, 10)) => ({ ...m, state: s });
const decide = (members: ClusterMember[], self: string, selfState?: InstanceState): ClusterDecision => {
  const row = members.find((m) => m.instance_id === self) ?? member(self, null);
  return decideClusterProfile(members, selfOf(row, selfState), clock);
};

describe('parseInstanceState', () => {
  const valid = state(41.3, 12);

  it('reads back what a heartbeat writes, dropping unknown keys', () => {
    expect(parseInstanceState(valid)).toEqual(valid);
    expect(parseInstanceState(JSON.parse(JSON.stringify(valid)))).toEqual(valid);
    expect(parseInstanceState({ ...valid, extra: 1, usage: { ...valid.usage, swap_percent: 3 } })).toEqual(valid);
    expect(parseInstanceStateText(JSON.stringify(valid))).toEqual(valid);
  });

  it('reads anything else as null', () => {
    const bad: unknown[] = [
      null,
      undefined,
      'optimized',
      42,
      [valid],
      {},
      { ...valid, mode: 'turbo' },
      { ...valid, vote: 'auto' },
      { ...valid, usage: null },
      { ...valid, usage: { memory_percent: '41', cpu_percent: 12 } },
      { ...valid, usage: { memory_percent: Number.NaN, cpu_percent: 12 } },
      { ...valid, optimized_when: { memory_percent_below: 60 } },
      { ...valid, limits: { conservative: CONSERVATIVE } },
      { ...valid, limits: { conservative: CONSERVATIVE, optimized: { search: OPTIMIZED.search } } },
      { ...valid, limits: { conservative: CONSERVATIVE, optimized: { ...OPTIMIZED, search: { ...OPTIMIZED.search, max_concurrent: -1 } } } },
      { ...valid, limits: { conservative: CONSERVATIVE, optimized: { ...OPTIMIZED, analysis: { max_concurrent: 2, max_queue_size: 15 } } } },
      { ...valid, limits: { conservative: CONSERVATIVE, optimized: { ...OPTIMIZED, analysis: { ...OPTIMIZED.analysis, timeout: Infinity } } } },
    ];
    for (const v of bad) expect(parseInstanceState(v), JSON.stringify(v)).toBeNull();
    for (const t of [null, 7, '', 'not json', '{"mode":', 'null', '[]']) expect(parseInstanceStateText(t), String(t)).toBeNull();
  });
});

describe('instanceStateOf', () => {
  const settings = (mode: ProfileSettings['mode']): ProfileSettings => ({
    mode,
    conservative: CONSERVATIVE,
    optimized: OPTIMIZED,
    memoryPercentBelow: 60,
    cpuPercentBelow: 50,
    hysteresisPercent: 5,
    samplesToSwitch: 3,
  });

  it("publishes the controller's mode, current vote, thresholds and both limit sets with the sample", () => {
    const p = new ProfileController(settings('auto'), clock);
    const calm = { memory_percent: 30, cpu_percent: 10 };
    expect(instanceStateOf(p, calm)).toEqual({
      mode: 'auto',
      vote: 'conservative',
      usage: calm,
      optimized_when: { memory_percent_below: 60, cpu_percent_below: 50 },
      limits: { conservative: CONSERVATIVE, optimized: OPTIMIZED },
    });
    for (let i = 0; i < 3; i++) p.observe(calm);
    expect(instanceStateOf(p, calm).vote).toBe('optimized');
    // What it publishes survives the store's check unchanged.
    expect(parseInstanceState(JSON.parse(JSON.stringify(instanceStateOf(p, calm))))).toEqual(instanceStateOf(p, calm));
  });

  it('a fixed mode votes that mode', () => {
    const busy = { memory_percent: 90, cpu_percent: 90 };
    const p = new ProfileController(settings('optimized'), clock);
    for (let i = 0; i < 5; i++) p.observe(busy);
    expect(instanceStateOf(p, busy)).toMatchObject({ mode: 'optimized', vote: 'optimized', usage: busy });
    expect(instanceStateOf(new ProfileController(settings('conservative'), clock), { memory_percent: 1, cpu_percent: 1 })).toMatchObject({
      mode: 'conservative',
      vote: 'conservative',
    });
  });
});

describe('decideClusterProfile', () => {
  it('runs optimized when every instance votes optimized, with the guide’s optimized limits', () => {
    const rows = [member('m1', state(30, 10)), member('m2', state(45, 20)), member('m3', state(59.9, 49.9))];
    const d = decide(rows, 'm1');
    expect(d).toEqual({
      profile: 'optimized',
      limits: OPTIMIZED,
      reason: '모든 인스턴스(3개)가 최적화 조건을 만족해 최적화(optimized) 프로필',
      instances: [
        { instance_id: 'm1', mode: 'auto', vote: 'optimized', usage: { memory_percent: 30, cpu_percent: 10 }, draining: false },
        { instance_id: 'm2', mode: 'auto', vote: 'optimized', usage: { memory_percent: 45, cpu_percent: 20 }, draining: false },
        { instance_id: 'm3', mode: 'auto', vote: 'optimized', usage: { memory_percent: 59.9, cpu_percent: 49.9 }, draining: false },
      ],
      decided_at: '2025-03-01T09:00:00.000Z',
    });
  });

  it('runs conservative when any instance votes conservative, and says which and why', () => {
    const rows = [member('m1', state(30, 10)), member('m2', state(72, 20)), member('m3', state(40, 20))];
    const d = decide(rows, 'm1');
    expect(d.profile).toBe('conservative');
    expect(d.limits).toEqual(CONSERVATIVE);
    expect(d.reason).toBe('인스턴스 m2의 메모리 사용률 72%가 기준 60% 이상이라 기본(conservative) 프로필');
    expect(d.instances.map((i) => [i.instance_id, i.vote])).toEqual([
      ['m1', 'optimized'],
      ['m2', 'conservative'],
      ['m3', 'optimized'],
    ]);
  });

  it('names CPU, both readings, and further dissenters by id', () => {
    expect(decide([member('a', state(10, 10)), member('b', state(10, 55.5))], 'a').reason).toBe(
      '인스턴스 b의 CPU 사용률 55.5%가 기준 50% 이상이라 기본(conservative) 프로필',
    );
    expect(decide([member('a', state(10, 10)), member('b', state(80, 90))], 'a').reason).toBe(
      '인스턴스 b의 메모리 사용률 80%가 기준 60% 이상, CPU 사용률 90%가 기준 50% 이상이라 기본(conservative) 프로필',
    );
    const rows = [member('m4', state(61, 10)), member('m1', state(10, 10)), member('m3', state(99, 99)), member('m2', state(70, 10))];
    expect(decide(rows, 'm1').reason).toBe(
      '인스턴스 m2의 메모리 사용률 70%가 기준 60% 이상이라 기본(conservative) 프로필 (그 밖에 m3, m4도 conservative 의견)',
    );
  });

  it("uses each instance's own thresholds in the reason", () => {
    const strict = state(50, 10, { vote: 'conservative', optimized_when: { memory_percent_below: 40, cpu_percent_below: 30 } });
    expect(decide([member('a', state(10, 10)), member('b', strict)], 'a').reason).toBe(
      '인스턴스 b의 메모리 사용률 50%가 기준 40% 이상이라 기본(conservative) 프로필',
    );
  });

  it('explains a conservative vote below both thresholds (its controller has not switched yet)', () => {
    const waiting = state(20, 10, { vote: 'conservative' });
    const d = decide([member('a', state(10, 10)), member('b', waiting)], 'a');
    expect(d.profile).toBe('conservative');
    expect(d.reason).toBe(
      '인스턴스 b의 사용률(메모리 20%, CPU 10%)이 기준(60%, 50%) 아래지만 전환에 필요한 연속 측정 횟수를 아직 채우지 않아 기본(conservative) 프로필',
    );
  });

  it('an optimized vote in the hysteresis band above a threshold still counts as optimized', () => {
    // The controller stays optimized until use exceeds a threshold plus the margin.
    const d = decide([member('a', state(10, 10)), member('b', state(62, 10, { vote: 'optimized' }))], 'a');
    expect(d.profile).toBe('optimized');
  });

  describe('limits', () => {
    const lower: QueueLimits = {
      search: { max_concurrent: 1, max_queue_size: 50, timeout: 90 },
      analysis: { max_concurrent: 3, max_queue_size: 4, timeout: 30 },
    };

    it('are the element-wise minimum of the chosen profile’s configured limits', () => {
      const rows = [
        member('a', state(10, 10)),
        member('b', state(10, 10, { limits: { conservative: CONSERVATIVE, optimized: lower } })),
        member('c', state(10, 10, { limits: { conservative: CONSERVATIVE, optimized: { ...OPTIMIZED, search: { ...OPTIMIZED.search, timeout: 45 } } } })),
      ];
      const d = decide(rows, 'a');
      expect(d.profile).toBe('optimized');
      expect(d.limits).toEqual({
        search: { max_concurrent: 1, max_queue_size: 20, timeout: 45 },
        analysis: { max_concurrent: 2, max_queue_size: 4, timeout: 30 },
      });
    });

    it("take the conservative set when conservative wins, whatever an instance's optimized set is", () => {
      const rows = [
        member('a', state(90, 10, { limits: { conservative: lower, optimized: OPTIMIZED } })),
        member('b', state(10, 10, { limits: { conservative: CONSERVATIVE, optimized: { ...OPTIMIZED, search: { ...OPTIMIZED.search, max_concurrent: 1 } } } })),
      ];
      const d = decide(rows, 'b');
      expect(d.profile).toBe('conservative');
      expect(d.limits).toEqual({
        search: { max_concurrent: 1, max_queue_size: 10, timeout: 30 },
        analysis: { max_concurrent: 1, max_queue_size: 4, timeout: 30 },
      });
    });

    it('do not come back as the configured objects (callers may not change an instance’s limits through them)', () => {
      const d = decide([member('a', state(10, 10))], 'a');
      expect(d.limits).toEqual(OPTIMIZED);
      expect(d.limits.search).not.toBe(OPTIMIZED.search);
    });
  });

  describe('fixed modes', () => {
    it('a fixed conservative instance keeps the cluster conservative however idle it is', () => {
      const fixed = state(1, 1, { mode: 'conservative', vote: 'conservative' });
      const d = decide([member('a', state(10, 10)), member('b', fixed)], 'a');
      expect(d.profile).toBe('conservative');
      expect(d.reason).toBe('인스턴스 b의 프로필이 conservative로 고정되어 있어 기본(conservative) 프로필');
      expect(d.instances[1]).toMatchObject({ instance_id: 'b', mode: 'conservative', vote: 'conservative' });
    });

    it('a fixed optimized instance votes optimized however busy it is, and is named', () => {
      // Its controller would say optimized anyway; even a published vote saying otherwise counts as its mode.
      const fixed = state(95, 95, { mode: 'optimized', vote: 'conservative' });
      const d = decide([member('a', state(10, 10)), member('b', fixed)], 'a');
      expect(d.profile).toBe('optimized');
      expect(d.reason).toBe('모든 인스턴스(2개)가 최적화 조건을 만족해 최적화(optimized) 프로필 (optimized 고정: b)');
      expect(d.instances[1]).toMatchObject({ instance_id: 'b', mode: 'optimized', vote: 'optimized' });
    });

    it('a fixed optimized instance does not outvote an auto instance that says conservative', () => {
      const d = decide([member('a', state(80, 10)), member('b', state(95, 95, { mode: 'optimized', vote: 'optimized' }))], 'b');
      expect(d.profile).toBe('conservative');
      expect(d.reason).toBe('인스턴스 a의 메모리 사용률 80%가 기준 60% 이상이라 기본(conservative) 프로필');
    });
  });

  describe('draining instances', () => {
    const busyLow = state(90, 90, {
      limits: { conservative: { ...CONSERVATIVE, search: { max_concurrent: 1, max_queue_size: 1, timeout: 1 } }, optimized: OPTIMIZED },
    });

    it('are left out (vote and limits) while another instance serves', () => {
      const d = decide([member('a', state(10, 10)), member('b', busyLow, true), member('c', state(20, 20))], 'a');
      expect(d.profile).toBe('optimized');
      expect(d.limits).toEqual(OPTIMIZED);
      expect(d.instances.map((i) => i.instance_id)).toEqual(['a', 'c']);
      expect(d.reason).toBe('모든 인스턴스(2개)가 최적화 조건을 만족해 최적화(optimized) 프로필 [제외: 종료 중 b]');
    });

    it('count when every instance is draining', () => {
      const d = decide([member('a', state(10, 10), true), member('b', busyLow, true)], 'a');
      expect(d.profile).toBe('conservative');
      expect(d.limits.search).toEqual({ max_concurrent: 1, max_queue_size: 1, timeout: 1 });
      expect(d.instances.map((i) => [i.instance_id, i.draining])).toEqual([
        ['a', true],
        ['b', true],
      ]);
    });

    it('a draining self is left out of its own decision too', () => {
      const d = decide([member('a', busyLow, true), member('b', state(10, 10))], 'a');
      expect(d.profile).toBe('optimized');
      expect(d.instances.map((i) => i.instance_id)).toEqual(['b']);
    });
  });

  describe('instances without a state', () => {
    it("with no state in any row, self's own vote and limits decide", () => {
      const own = state(10, 10, {
        limits: { conservative: CONSERVATIVE, optimized: { ...OPTIMIZED, analysis: { max_concurrent: 5, max_queue_size: 5, timeout: 5 } } },
      });
      const alone = decideClusterProfile([], { instance_id: 'm1', draining: false, state: own }, clock);
      expect(alone).toMatchObject({
        profile: 'optimized',
        limits: own.limits.optimized,
        reason: '공유된 인스턴스 상태가 아직 없어 이 인스턴스(m1)의 판단을 따름: 모든 인스턴스(1개)가 최적화 조건을 만족해 최적화(optimized) 프로필',
      });
      expect(alone.instances.map((i) => i.instance_id)).toEqual(['m1']);

      // Before its first heartbeat with a state: its own row and older instances' rows have none.
      const d = decide([member('m1', null), member('old1', null), member('old0', null)], 'm1', state(80, 10));
      expect(d.profile).toBe('conservative');
      expect(d.limits).toEqual(CONSERVATIVE);
      expect(d.reason).toBe(
        '공유된 인스턴스 상태가 아직 없어 이 인스턴스(m1)의 판단을 따름: 인스턴스 m1의 메모리 사용률 80%가 기준 60% 이상이라 기본(conservative) 프로필 [제외: 상태 없음 old0, old1]',
      );
    });

    it('are left out while others publish one (an older version during a rolling upgrade)', () => {
      const d = decide([member('a', state(10, 10)), member('old', null), member('b', state(20, 20))], 'a');
      expect(d.profile).toBe('optimized');
      expect(d.instances.map((i) => i.instance_id)).toEqual(['a', 'b']);
      expect(d.reason).toBe('모든 인스턴스(2개)가 최적화 조건을 만족해 최적화(optimized) 프로필 [제외: 상태 없음 old]');
    });

    it("self's current state stands in for its missing row; its row wins once there", () => {
      const rows = [member('a', state(10, 10)), member('b', state(10, 10))];
      // Self not yet in the table, voting conservative: only its own decision becomes safer.
      const fresh = decideClusterProfile(rows, { instance_id: 'c', draining: false, state: state(90, 10) }, clock);
      expect(fresh.profile).toBe('conservative');
      expect(fresh.instances.map((i) => i.instance_id)).toEqual(['a', 'b', 'c']);
      expect(fresh.reason).not.toContain('공유된');
      // With its row present, the row counts (what everyone else sees), not its newer local reading.
      const d = decideClusterProfile(rows, { instance_id: 'a', draining: false, state: state(90, 10) }, clock);
      expect(d.profile).toBe('optimized');
    });
  });

  describe('determinism', () => {
    const strip = ({ decided_at: _, ...rest }: ClusterDecision) => rest;
    const rows = [
      member('m3', state(30, 10, { mode: 'optimized', vote: 'optimized' })),
      member('m1', state(10, 10)),
      member('m10', state(10, 70)),
      member('m2', null),
      member('m4', state(95, 95), true),
      member(
        'm0',
        state(10, 10, { limits: { conservative: { ...CONSERVATIVE, analysis: { max_concurrent: 1, max_queue_size: 2, timeout: 3 } }, optimized: OPTIMIZED } }),
      ),
    ];

    it('every instance reading the same rows reaches the same decision, in any order', () => {
      const expected = strip(decide(rows, 'm1'));
      expect(expected.profile).toBe('conservative');
      expect(expected.reason).toBe('인스턴스 m10의 CPU 사용률 70%가 기준 50% 이상이라 기본(conservative) 프로필 [제외: 상태 없음 m2; 종료 중 m4]');
      // Byte order of ids, not locale or numeric order.
      expect(expected.instances.map((i) => i.instance_id)).toEqual(['m0', 'm1', 'm10', 'm3']);
      expect(expected.limits.analysis).toEqual({ max_concurrent: 1, max_queue_size: 2, timeout: 3 });
      fc.assert(
        fc.property(
          fc.shuffledSubarray(rows, { minLength: rows.length, maxLength: rows.length }),
          fc.constantFrom('m0', 'm1', 'm3', 'm4', 'm10'),
          (order, self) => {
            // A self whose own local reading disagrees: the rows decide.
            expect(strip(decide(order, self, state(99, 99)))).toEqual(expected);
          },
        ),
      );
    });

    it('holds for any rows: optimized exactly when all considered vote optimized, limits never above any considered instance’s', () => {
      const limitsArb = fc.record({
        search: fc.record({ max_concurrent: fc.nat(5), max_queue_size: fc.nat(50), timeout: fc.nat(300) }),
        analysis: fc.record({ max_concurrent: fc.nat(5), max_queue_size: fc.nat(50), timeout: fc.nat(300) }),
      });
      const stateArb: fc.Arbitrary<InstanceState> = fc.record({
        mode: fc.constantFrom('auto' as const, 'conservative' as const, 'optimized' as const),
        vote: fc.constantFrom('conservative' as const, 'optimized' as const),
        usage: fc.record({ memory_percent: fc.integer({ min: 0, max: 100 }), cpu_percent: fc.integer({ min: 0, max: 100 }) }),
        optimized_when: fc.record({ memory_percent_below: fc.integer({ min: 1, max: 100 }), cpu_percent_below: fc.integer({ min: 1, max: 100 }) }),
        limits: fc.record({ conservative: limitsArb, optimized: limitsArb }),
      });
      const rowsArb = fc.uniqueArray(
        fc.record({ instance_id: fc.stringMatching(/^[a-z0-9-]{1,6}$/), draining: fc.boolean(), state: fc.option(stateArb, { nil: null }) }),
        { selector: (r) => r.instance_id, minLength: 0, maxLength: 6 },
      );
      fc.assert(
        fc.property(rowsArb, fc.nat(), stateArb, (rows, pick, own) => {
          const self = rows.length > 0 ? rows[pick % rows.length]!.instance_id : 'self';
          const d = decide(rows, self, own);
          const reversed = decide([...rows].reverse(), self, own);
          expect(strip(reversed)).toEqual(strip(d));
          const byId = new Map(rows.filter((r) => r.state).map((r) => [r.instance_id, r.state!]));
          if (!byId.has(self)) byId.set(self, own);
          expect(d.instances.length).toBeGreaterThan(0);
          expect(d.profile === 'optimized').toBe(d.instances.every((i) => i.vote === 'optimized'));
          for (const i of d.instances) {
            const configured = byId.get(i.instance_id)!.limits[d.profile];
            for (const t of ['search', 'analysis'] as const)
              for (const f of ['max_concurrent', 'max_queue_size', 'timeout'] as const) expect(d.limits[t][f]).toBeLessThanOrEqual(configured[t][f]);
          }
          // The minimum is attained: each limit is some considered instance's configured value.
          for (const t of ['search', 'analysis'] as const)
            for (const f of ['max_concurrent', 'max_queue_size', 'timeout'] as const)
              expect(d.instances.some((i) => byId.get(i.instance_id)!.limits[d.profile][t][f] === d.limits[t][f])).toBe(true);
          expect(d.reason.length).toBeGreaterThan(0);
        }),
      );
    });
  });
});

describe('shareOf', () => {
  const shares = (total: number, ids: string[]) => ids.map((id) => shareOf(total, ids, id));

  it('splits the total over the live instances sorted by id, the remainder to the first', () => {
    expect(shares(10, ['c', 'a', 'b'])).toEqual([3, 4, 3]);
    expect(shares(11, ['c', 'a', 'b'])).toEqual([3, 4, 4]);
    expect(shares(9, ['c', 'a', 'b'])).toEqual([3, 3, 3]);
    expect(shares(3, ['only'])).toEqual([3]);
    // Byte order: 'm10' sorts before 'm2'.
    expect(shares(5, ['m2', 'm10'])).toEqual([2, 3]);
  });

  it('gives every instance at least 1, so with more instances than slots the shares exceed the total', () => {
    expect(shares(2, ['a', 'b', 'c'])).toEqual([1, 1, 1]);
    expect(shares(0, ['a', 'b'])).toEqual([1, 1]);
    expect(shareOf(Number.NaN, ['a'], 'a')).toBe(1);
  });

  it('counts self when it is not listed yet, and duplicates once; floors fractions', () => {
    expect(shareOf(10, ['a', 'b'], 'c')).toBe(3);
    expect(shareOf(10, ['a', 'b'], 'a')).toBe(5);
    expect(shareOf(10, ['b', 'a', 'b', 'a'], 'a')).toBe(5);
    expect(shareOf(10.9, ['a', 'b', 'c'], 'a')).toBe(4);
    expect(shareOf(Infinity, ['a', 'b'], 'a')).toBe(Infinity);
  });

  it('shares add up to the total (or to one each when there are fewer slots than instances), in any order', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 12 }), fc.nat(100), (ids, total) => {
        const s = shares(total, ids);
        expect(s.reduce((a, b) => a + b, 0)).toBe(Math.max(total, ids.length));
        expect(Math.max(...s) - Math.min(...s)).toBeLessThanOrEqual(1);
        expect(shares(total, [...ids].reverse())).toEqual(s.slice().reverse());
      }),
    );
  });
});
