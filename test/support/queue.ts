import type { AdmitResult, QueueStore, TaskType } from '../../src/queue/index.js';

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
    deadlineMs: null,
    claim: { owner, maxConcurrent: options.maxConcurrent ?? 1, leaseMs: 60_000 },
    durable: false,
  });
}
