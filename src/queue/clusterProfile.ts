import { isoNow, systemClock, type Clock } from '../clock.js';
import type { ProfileController, ProfileMode, ProfileName, ResourceUsage } from './profile.js';
import { TASK_TYPES, type InstanceState, type QueueLimits, type TypeLimits } from './types.js';

/**
 * One queue profile for the whole cluster (issue 14). Each instance publishes its own view with every
 * heartbeat (`InstanceState`, in `queue_instances.state`); every instance reads the same rows and
 * computes the same decision from them here, so `max_concurrent` and `max_queue_size` — enforced
 * across all instances — mean one thing however many instances share the queue.
 */

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isLimit = (v: unknown): v is number => isNumber(v) && v >= 0;

function typeLimitsOf(v: unknown): TypeLimits | null {
  if (!isObject(v) || !isLimit(v.max_concurrent) || !isLimit(v.max_queue_size) || !isLimit(v.timeout)) return null;
  return { max_concurrent: v.max_concurrent, max_queue_size: v.max_queue_size, timeout: v.timeout };
}

function queueLimitsOf(v: unknown): QueueLimits | null {
  if (!isObject(v)) return null;
  const search = typeLimitsOf(v.search);
  const analysis = typeLimitsOf(v.analysis);
  return search && analysis ? { search, analysis } : null;
}

/**
 * The state stored in a `queue_instances` row, checked: null when it is missing or not a complete
 * state (a row of an older version, or anything else that is not what `heartbeatInstance` writes).
 * Unknown keys are dropped.
 */
export function parseInstanceState(v: unknown): InstanceState | null {
  if (!isObject(v)) return null;
  const { mode, vote, usage, optimized_when: when, limits } = v;
  if (mode !== 'auto' && mode !== 'conservative' && mode !== 'optimized') return null;
  if (vote !== 'conservative' && vote !== 'optimized') return null;
  if (!isObject(usage) || !isNumber(usage.memory_percent) || !isNumber(usage.cpu_percent)) return null;
  if (!isObject(when) || !isNumber(when.memory_percent_below) || !isNumber(when.cpu_percent_below)) return null;
  if (!isObject(limits)) return null;
  const conservative = queueLimitsOf(limits.conservative);
  const optimized = queueLimitsOf(limits.optimized);
  if (!conservative || !optimized) return null;
  return {
    mode,
    vote,
    usage: { memory_percent: usage.memory_percent, cpu_percent: usage.cpu_percent },
    optimized_when: { memory_percent_below: when.memory_percent_below, cpu_percent_below: when.cpu_percent_below },
    limits: { conservative, optimized },
    ...(linesOf(v.lines) ? { lines: linesOf(v.lines)! } : {}),
  };
}

/** The published in-memory line counts, when well-formed. */
function linesOf(v: unknown): InstanceState['lines'] | null {
  if (!isObject(v)) return null;
  const out: NonNullable<InstanceState['lines']> = {};
  for (const t of TASK_TYPES) {
    const c = v[t];
    if (c === undefined) continue;
    if (!isObject(c) || !isNumber(c.waiting) || !isNumber(c.running)) return null;
    out[t] = { waiting: c.waiting, running: c.running };
  }
  return out;
}

/** `parseInstanceState` of a JSON text (SQLite's column); null for text that is not JSON. */
export function parseInstanceStateText(text: unknown): InstanceState | null {
  if (typeof text !== 'string') return null;
  try {
    return parseInstanceState(JSON.parse(text));
  } catch {
    return null;
  }
}

/** What this instance publishes with its heartbeat: its profile controller's mode, vote, thresholds and limits, and its last sample. */
export function instanceStateOf(profile: ProfileController, usage: ResourceUsage): InstanceState {
  const s = profile.settings;
  return {
    mode: s.mode,
    vote: profile.name,
    usage: { memory_percent: usage.memory_percent, cpu_percent: usage.cpu_percent },
    optimized_when: { memory_percent_below: s.memoryPercentBelow, cpu_percent_below: s.cpuPercentBelow },
    limits: { conservative: s.conservative, optimized: s.optimized },
  };
}

/** An instance as the decision reads it: an `InstanceInfo` from `QueueStore.instances()` will do. */
export interface ClusterMember {
  instance_id: string;
  draining: boolean;
  state?: InstanceState | null;
}

/** One instance the decision rests on. */
export interface ClusterVoter {
  instance_id: string;
  mode: ProfileMode;
  /** Its vote as counted: a fixed mode votes that mode. */
  vote: ProfileName;
  usage: ResourceUsage;
  draining: boolean;
}

export interface ClusterDecision {
  /** The profile in force on every instance. */
  profile: ProfileName;
  /** The limits in force: per type and field, the smallest any considered instance configured for that profile. */
  limits: QueueLimits;
  /** Why, for operators (Korean). */
  reason: string;
  /** The instances the decision rests on, by id. */
  instances: ClusterVoter[];
  decided_at: string;
}

const byId = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const pct = (x: number): string => `${Math.round(x * 10) / 10}%`;
const countedVote = (s: InstanceState): ProfileName => (s.mode === 'auto' ? s.vote : s.mode);

interface Considered {
  instance_id: string;
  draining: boolean;
  state: InstanceState;
}

/** Why one instance votes conservative (a clause ending in a connective: "…이라", "…있어", "…않아"). */
function conservativeCause(c: Considered): string {
  const { instance_id: id, state: s } = c;
  if (s.mode === 'conservative') return `인스턴스 ${id}의 프로필이 conservative로 고정되어 있어`;
  const over: string[] = [];
  if (s.usage.memory_percent >= s.optimized_when.memory_percent_below)
    over.push(`메모리 사용률 ${pct(s.usage.memory_percent)}가 기준 ${pct(s.optimized_when.memory_percent_below)} 이상`);
  if (s.usage.cpu_percent >= s.optimized_when.cpu_percent_below)
    over.push(`CPU 사용률 ${pct(s.usage.cpu_percent)}가 기준 ${pct(s.optimized_when.cpu_percent_below)} 이상`);
  if (over.length > 0) return `인스턴스 ${id}의 ${over.join(', ')}이라`;
  // Below both thresholds, yet conservative: its controller has not seen enough consecutive samples to switch.
  return (
    `인스턴스 ${id}의 사용률(메모리 ${pct(s.usage.memory_percent)}, CPU ${pct(s.usage.cpu_percent)})이 ` +
    `기준(${pct(s.optimized_when.memory_percent_below)}, ${pct(s.optimized_when.cpu_percent_below)}) 아래지만 전환에 필요한 연속 측정 횟수를 아직 채우지 않아`
  );
}

/**
 * The cluster's profile, the same on every instance that reads the same `queue_instances` rows.
 *
 * The rule (docs/OPERATIONS.md, "큐 시스템 최적화"):
 * 1. The instances considered are the live rows with a state. `self` is always among them: when its
 *    own row is missing or has no state yet (before its first heartbeat with one), its current state
 *    stands in — which only ever makes its own decision safer, never another's.
 * 2. Draining instances are left out, unless no other instance remains.
 * 3. The cluster runs `optimized` only if every considered instance votes optimized (a fixed mode
 *    votes that mode); otherwise `conservative`: the safe choice wins.
 * 4. The limits in force are, per type and field, the minimum over the considered instances of the
 *    chosen profile's configured limits, so no instance configured lower is ever overrun.
 * With no state in any row, the decision is self's own vote and limits.
 *
 * Deterministic: the same rows in any order give the same decision (only `decided_at` differs).
 */
export function decideClusterProfile(
  members: readonly ClusterMember[],
  self: ClusterMember & { state: InstanceState },
  clock: Clock = systemClock,
): ClusterDecision {
  const withState: Considered[] = [];
  const stateless: string[] = [];
  for (const m of members) {
    if (m.state) withState.push({ instance_id: m.instance_id, draining: m.draining, state: m.state });
    else if (m.instance_id !== self.instance_id) stateless.push(m.instance_id);
  }
  const sharedNone = withState.length === 0;
  if (!withState.some((c) => c.instance_id === self.instance_id)) withState.push({ instance_id: self.instance_id, draining: self.draining, state: self.state });
  // Sorted by id; duplicates (not from one table, but a caller may merge lists) by content, so input order never matters.
  const key = (c: Considered): string => JSON.stringify([c.draining, c.state]);
  withState.sort((a, b) => byId(a.instance_id, b.instance_id) || byId(key(a), key(b)));

  const serving = withState.filter((c) => !c.draining);
  const considered = serving.length > 0 ? serving : withState;
  const drainingLeftOut = serving.length > 0 ? withState.filter((c) => c.draining).map((c) => c.instance_id) : [];

  const dissenters = considered.filter((c) => countedVote(c.state) === 'conservative');
  const profile: ProfileName = dissenters.length === 0 ? 'optimized' : 'conservative';

  const limits = {} as QueueLimits;
  for (const t of TASK_TYPES) {
    const of = considered.map((c) => c.state.limits[profile][t]);
    limits[t] = {
      max_concurrent: Math.min(...of.map((l) => l.max_concurrent)),
      max_queue_size: Math.min(...of.map((l) => l.max_queue_size)),
      timeout: Math.min(...of.map((l) => l.timeout)),
    };
  }

  let reason: string;
  if (profile === 'conservative') {
    const [first, ...rest] = dissenters;
    reason = `${conservativeCause(first!)} 기본(conservative) 프로필`;
    if (rest.length > 0) reason += ` (그 밖에 ${rest.map((c) => c.instance_id).join(', ')}도 conservative 의견)`;
  } else {
    const fixed = considered.filter((c) => c.state.mode === 'optimized').map((c) => c.instance_id);
    reason = `모든 인스턴스(${considered.length}개)가 최적화 조건을 만족해 최적화(optimized) 프로필`;
    if (fixed.length > 0) reason += ` (optimized 고정: ${fixed.join(', ')})`;
  }
  if (sharedNone) reason = `공유된 인스턴스 상태가 아직 없어 이 인스턴스(${self.instance_id})의 판단을 따름: ${reason}`;
  const left: string[] = [];
  if (stateless.length > 0) left.push(`상태 없음 ${[...new Set(stateless)].sort(byId).join(', ')}`);
  if (drainingLeftOut.length > 0) left.push(`종료 중 ${drainingLeftOut.join(', ')}`);
  if (left.length > 0) reason += ` [제외: ${left.join('; ')}]`;

  return {
    profile,
    limits,
    reason,
    instances: considered.map((c) => ({
      instance_id: c.instance_id,
      mode: c.state.mode,
      vote: countedVote(c.state),
      usage: { memory_percent: c.state.usage.memory_percent, cpu_percent: c.state.usage.cpu_percent },
      draining: c.draining,
    })),
    decided_at: isoNow(clock),
  };
}

/**
 * This instance's share of a cluster-wide limit (the queue admits searches in memory on each instance,
 * each within its share): `total` split evenly over the live instances sorted by id, the remainder
 * going one each to the first ids in that order. `self` counts even when it is not (yet) among the
 * listed ids, and duplicates count once.
 *
 * Every instance gets at least 1, since each must be able to serve the requests that reach it: with
 * more instances than `total` slots the shares add up to more than `total`, by design (a
 * cluster-wide limit of 2 over 3 instances is 1 + 1 + 1).
 */
export function shareOf(total: number, instanceIds: readonly string[], self: string): number {
  const ids = [...new Set([...instanceIds, self])].sort(byId);
  if (total === Infinity) return Infinity;
  const t = Number.isFinite(total) ? Math.max(0, Math.floor(total)) : 0;
  const i = ids.indexOf(self);
  return Math.max(1, Math.floor(t / ids.length) + (i < t % ids.length ? 1 : 0));
}
