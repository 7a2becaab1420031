import { systemClock, type Clock } from '../clock.js';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { PgQueueStore } from './pgStore.js';
import { SqliteQueueStore } from './sqliteStore.js';
import { instanceIdFile, resolveInstanceId, type InstanceIdentity } from './instanceId.js';
import { TaskQueue } from './taskQueue.js';
import type { QueueOptions } from './state.js';
import type { QueueStore } from './types.js';

export { TaskQueue } from './taskQueue.js';
export { RetryableTaskError, TaskAbort, type QueueObserver, type TaskHandler, type TaskContext, type QueueOptions } from './state.js';
export type { HealthReport } from './reporting.js';
export { SqliteQueueStore } from './sqliteStore.js';
export { resolveInstanceId, instanceIdFile, type InstanceIdentity, type InstanceIdSource } from './instanceId.js';
export { pidAlive } from './liveness.js';
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
export function queueOptionsOf(config: Readonly<Config>, identity: InstanceIdentity, version: string): QueueOptions {
  const q = config.queue;
  return {
    instanceId: identity.id,
    idSource: identity.source,
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
    heartbeatMs: Math.round(q.heartbeatSeconds * 1000),
    deadMs: Math.round(q.instanceDeadSeconds * 1000),
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

/** This instance's id: the configured INSTANCE_ID, else the one kept beside the queue database (made at the first start). */
export function instanceIdentityOf(config: Readonly<Config>): InstanceIdentity {
  return resolveInstanceId(config.server.instanceId, instanceIdFile(config.paths.queueDatabase));
}

/** Opens the store and the queue (not yet started). */
export async function openQueue(
  config: Readonly<Config>,
  logger: Logger,
  identity: InstanceIdentity,
  version: string,
  clock: Clock = systemClock,
): Promise<TaskQueue> {
  const store = await openQueueStore(config, logger, clock);
  if (identity.persistError)
    logger.warn({ file: identity.file, err: identity.persistError }, `인스턴스 ID를 ${identity.file}에 저장하지 못해 재시작하면 바뀝니다`);
  return new TaskQueue(store, { ...queueOptionsOf(config, identity, version), clock }, logger);
}
