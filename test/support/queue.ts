import type { AdmitResult, QueueLimits, QueueOptions, QueueStore, TaskType } from '../../src/queue/index.js';

/**
 * Takes a slot of `type` as another instance sharing the queue would: a task
 * claimed at admission by `owner` with a long lease. Returns the admission.
 */
export function holdSlot(store: QueueStore, id: string, options: { type?: TaskType; owner?: string; maxConcurrent?: number } = {}): Promise<AdmitResult> {
  const owner = options.owner ?? 'other';
  return store.admit({
    id,
    type: options.type ?? 'search',
    payload: {},
    maxQueueSize: 0,
    maxAttempts: 1,
    origin: owner,
    affinity: owner,
    waitLimitMs: null,
    claim: { owner, maxConcurrent: options.maxConcurrent ?? 1, leaseMs: 60_000 },
    durable: false,
  });
}

/** Queue options for tests: a fixed (conservative) profile with `limits`, a 30 s lease, timers that stay out of the way. */
export function queueOptions(limits: QueueLimits, over: Partial<QueueOptions> = {}): QueueOptions {
  return {
    instanceId: 'test-1',
    version: '0.0.0',
    profile: {
      mode: 'conservative',
      conservative: limits,
      optimized: limits,
      memoryPercentBelow: 60,
      cpuPercentBelow: 50,
      hysteresisPercent: 5,
      samplesToSwitch: 3,
    },
    leaseMs: 30_000,
    heartbeatMs: 1_000,
    deadMs: 5_000,
    maxAttempts: 3,
    pollMs: 20,
    retentionMs: { search: 3_600_000, analysis: 3_600_000 },
    pruneIntervalMs: 600_000,
    sampleMs: 60_000,
    shutdownGraceMs: 2_000,
    ...over,
  };
}
