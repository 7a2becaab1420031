import type { InstanceState, QueueLimits, TypeLimits } from './types.js';

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
  };
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
