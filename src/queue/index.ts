import { systemClock, type Clock } from '../clock.js';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { PgQueueStore } from './pgStore.js';
import { SqliteQueueStore } from './sqliteStore.js';
import { TaskQueue, type QueueOptions } from './taskQueue.js';
import type { QueueStore } from './types.js';

export {
  TaskQueue,
  RetryableTaskError,
  TaskAbort,
  type QueueObserver,
  type TaskHandler,
  type TaskContext,
  type HealthReport,
  type QueueOptions,
} from './taskQueue.js';
export { SqliteQueueStore } from './sqliteStore.js';
export { PgQueueStore, redactUrl } from './pgStore.js';
export { cgroupMemoryPercent, ProfileController, ResourceMonitor, type ProfileSettings, type ResourceUsage } from './profile.js';
export {
  decideClusterProfile,
  instanceStateOf,
  parseInstanceState,
  shareOf,
  type ClusterDecision,
  type ClusterMember,
  type ClusterVoter,
} from './clusterProfile.js';
export * from './types.js';

/** The queue's settings from the configuration. */
export function queueOptionsOf(config: Readonly<Config>, instanceId: string, version: string): QueueOptions {
  const q = config.queue;
  return {
    instanceId,
    version,
    profile: {
      mode: q.profile,
      conservative: q.limits,
      optimized: q.optimizedLimits,
      memoryPercentBelow: q.optimizeBelowMemoryPercent,
      cpuPercentBelow: q.optimizeBelowCpuPercent,
      hysteresisPercent: q.hysteresisPercent,
      samplesToSwitch: q.samplesToSwitch,
    },
    leaseMs: Math.round(q.leaseSeconds * 1000),
    maxAttempts: q.maxAttempts,
    pollMs: q.pollMs,
    retentionMs: { search: q.retentionHours.search * 3_600_000, analysis: q.retentionHours.analysis * 3_600_000 },
    pruneIntervalMs: Math.round(q.pruneIntervalMinutes * 60_000),
    sampleMs: Math.round(q.sampleSeconds * 1000),
    shutdownGraceMs: Math.round(q.shutdownGraceSeconds * 1000),
  };
}

/** Opens the queue's store: PostgreSQL when `queue.databaseUrl` is set, else the SQLite file. */
export async function openQueueStore(config: Readonly<Config>, logger: Logger, clock: Clock = systemClock): Promise<QueueStore> {
  if (config.queue.databaseUrl) return PgQueueStore.open(config.queue.databaseUrl, (err) => logger.error({ err }, '작업 큐 PostgreSQL 연결 오류'));
  return SqliteQueueStore.open(config.paths.queueDatabase, { clock });
}

/** Opens the store and the queue (not yet started). */
export async function openQueue(config: Readonly<Config>, logger: Logger, instanceId: string, version: string, clock: Clock = systemClock): Promise<TaskQueue> {
  const store = await openQueueStore(config, logger, clock);
  return new TaskQueue(store, { ...queueOptionsOf(config, instanceId, version), clock }, logger);
}
