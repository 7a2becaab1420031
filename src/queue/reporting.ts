/**
 * What the queue tells operators and clients: the health body, the status page, the cluster's active
 * counts (metrics) and single task lookups with their place in the queue.
 *
 * Counts come from the store and are completed with what it does not hold yet (`withMemory`): ended
 * searches waiting for the recorder's next batch, the searches waiting and running in this instance's
 * lines, and those the other live instances published with their last heartbeat. On PostgreSQL the
 * finished counts of a health check may be up to 30 s old (`snapshot`), so health stays a few index
 * lookups however many tasks are kept. `assess` turns the counts into healthy, degraded or unhealthy.
 */
import { isoNow } from '../clock.js';
import type { ResourceMonitor, ResourceUsage } from './profile.js';
import { summary, type QueueState } from './state.js';
import type { TaskView } from './syncRunner.js';
import {
  emptyCounts,
  TASK_TYPE_NAMES as TYPE_KO,
  TASK_TYPES,
  type InstanceInfo,
  type QueueStore,
  type StatusCounts,
  type TaskStatus,
  type TaskType,
} from './types.js';

export interface HealthReport {
  status: 'healthy' | 'degraded' | 'unhealthy';
  is_running: boolean;
  queue_stats: Record<TaskType, { pending: number; processing: number; completed: number }>;
  resource_usage: ResourceUsage;
  timestamp: string;
}

/** What reporting reads besides the shared state. */
export interface ReportingSources {
  readonly monitor: ResourceMonitor;
  /** The synchronous tasks in this instance's memory (syncRunner.ts). */
  lineCounts(): Record<TaskType, { waiting: number; running: number }>;
  memoryTask(id: string): TaskView | null;
  /** The live instances as their rows said at the last heartbeat (liveness.ts). */
  members(): readonly InstanceInfo[];
  estimateWaitSeconds(type: TaskType, ahead: number): number;
}

/** SQLite keeps counts in a trigger-maintained table (cheap); PostgreSQL counts the table, so health reuses that for a while. */
const FINISHED_COUNTS_TTL_MS: Record<QueueStore['kind'], number> = { sqlite: 0, postgres: 30_000 };

export class Reporting {
  private finishedCounts: { at: number; counts: StatusCounts } | null = null;

  constructor(
    private readonly state: QueueState,
    private readonly from: ReportingSources,
  ) {}

  private assess(counts: StatusCounts, oldest: Record<TaskType, number | null>, dbOk: boolean): { status: HealthReport['status']; reasons: string[] } {
    const s = this.state;
    const reasons: string[] = [];
    if (!dbOk) reasons.push(`작업 큐 데이터베이스(${s.store.kind})에 접근할 수 없습니다`);
    if (!s.isRunning) reasons.push(s.draining ? '서버가 종료 중입니다 (새 작업을 받지 않음)' : '작업 큐가 실행 중이 아닙니다');
    if (reasons.length) return { status: 'unhealthy', reasons };
    const now = s.clock.now();
    for (const t of TASK_TYPES) {
      const l = s.limits(t);
      if (counts[t].pending >= Math.ceil(l.max_queue_size * 0.8))
        reasons.push(`${TYPE_KO[t]} 대기열이 거의 찼습니다 (${counts[t].pending}/${l.max_queue_size})`);
      const o = oldest[t];
      if (o !== null && now - o > l.timeout * 1000)
        reasons.push(`${TYPE_KO[t]} 작업이 ${Math.round((now - o) / 1000)}초째 대기 중입니다 (제한 ${l.timeout}초)`);
    }
    const u = this.from.monitor.current;
    if (u.memory_percent >= 90) reasons.push(`메모리 사용률이 ${u.memory_percent}%입니다`);
    return { status: reasons.length ? 'degraded' : 'healthy', reasons };
  }

  /**
   * Counts for health and status: pending and processing live; for health on
   * PostgreSQL the finished ones (a full count over the retention window) may be
   * up to 30 s old, so a health check stays a few index lookups however many
   * tasks are kept (SQLite reads trigger-maintained counts). The status page
   * always counts afresh.
   */
  private async snapshot(fresh = false): Promise<{ counts: StatusCounts; oldest: Record<TaskType, number | null>; dbOk: boolean }> {
    const s = this.state;
    try {
      const now = s.clock.now();
      const full = fresh || !this.finishedCounts || now - this.finishedCounts.at > FINISHED_COUNTS_TTL_MS[s.store.kind];
      // A full count is current for pending and processing too; otherwise only those are counted afresh.
      const [counted, oldest] = await Promise.all([s.store.counts(!full), s.store.oldestPending()]);
      if (full) this.finishedCounts = { at: now, counts: counted };
      const counts = emptyCounts();
      for (const t of TASK_TYPES) {
        counts[t] = full ? { ...counted[t] } : { ...this.finishedCounts!.counts[t], pending: counted[t].pending, processing: counted[t].processing };
      }
      return { counts: this.withMemory(counts), oldest: this.oldestWithMemory(oldest), dbOk: true };
    } catch (err) {
      s.reportStoreError(err);
      return { counts: this.withMemory(emptyCounts()), oldest: this.oldestWithMemory({ search: null, analysis: null }), dbOk: false };
    }
  }

  /**
   * Adds what the store does not hold yet: the ended tasks waiting for the recorder's next batch, the
   * synchronous tasks waiting and running in this instance's memory, and those of the other live
   * instances as they published them with their last heartbeat.
   */
  private withMemory(counts: StatusCounts): StatusCounts {
    const buffered = this.state.recorder.counts();
    const here = this.from.lineCounts();
    for (const t of TASK_TYPES) {
      for (const st of Object.keys(buffered[t]) as TaskStatus[]) counts[t][st] += buffered[t][st];
      counts[t].pending += here[t].waiting;
      counts[t].processing += here[t].running;
    }
    for (const m of this.from.members()) {
      if (m.instance_id === this.state.id) continue;
      const lines = m.state?.lines;
      if (!lines) continue;
      for (const t of TASK_TYPES) {
        counts[t].pending += lines[t]?.waiting ?? 0;
        counts[t].processing += lines[t]?.running ?? 0;
      }
    }
    return counts;
  }

  private oldestWithMemory(oldest: Record<TaskType, number | null>): Record<TaskType, number | null> {
    const out = { ...oldest };
    for (const t of TASK_TYPES) {
      const mine = this.state.lines[t].oldest();
      if (mine !== null && (out[t] === null || mine < out[t])) out[t] = mine;
    }
    return out;
  }

  /** The operations guide's `/api/queue/health` body. */
  async health(): Promise<HealthReport> {
    const { counts, oldest, dbOk } = await this.snapshot();
    const { status } = this.assess(counts, oldest, dbOk);
    const stats = (t: TaskType) => ({ pending: counts[t].pending, processing: counts[t].processing, completed: counts[t].completed });
    return {
      status,
      is_running: this.state.isRunning,
      queue_stats: { search: stats('search'), analysis: stats('analysis') },
      resource_usage: this.from.monitor.current,
      timestamp: isoNow(this.state.clock),
    };
  }

  /** Waiting and running tasks by type, the cluster's: the store's rows plus the searches in the instances' memory (metrics). */
  async activeCounts(): Promise<StatusCounts> {
    return this.withMemory(await this.state.store.counts(true));
  }

  /** Everything an operator needs to understand the queue. */
  async status(): Promise<Record<string, unknown>> {
    const s = this.state;
    // The status page reads history (wait and run times) from the table: ended searches are written first.
    await s.recorder.flush();
    const { counts, oldest, dbOk } = await this.snapshot(true);
    const health = this.assess(counts, oldest, dbOk);
    const window = 15 * 60 * 1000;
    const types: Record<string, unknown> = {};
    let instances: InstanceInfo[] = [];
    for (const t of TASK_TYPES) {
      let d = { wait: [] as number[], run: [] as number[] };
      if (dbOk) d = await s.store.durations(t, window, 1000).catch(() => d);
      const waitingHere = s.lines[t].waiting;
      let runningHere = 0;
      for (const r of s.running.values()) if (r.type === t) runningHere += 1;
      types[t] = {
        limits: s.limits(t),
        counts: counts[t],
        oldest_pending_age_s: oldest[t] === null ? null : Math.round((s.clock.now() - oldest[t]) / 100) / 10,
        wait_ms: summary(d.wait),
        run_ms: summary(d.run),
        this_instance: {
          rejected_total: s.rejected[t],
          timed_out_total: s.timedOut[t],
          running: runningHere,
          waiting: waitingHere,
          worker: t === 'search' || !!s.handlers[t],
          // Its share of the cluster's limits for the searches it admits in memory.
          ...(t === 'search' ? { share: { max_concurrent: s.lines[t].limits.maxConcurrent, max_queue_size: s.lines[t].limits.maxQueueSize } } : {}),
        },
        retention_hours: s.options.retentionMs[t] / 3_600_000,
      };
    }
    if (dbOk) instances = await s.store.instances(Math.max(3 * s.options.leaseMs, 15_000)).catch(() => []);
    const p = s.profile;
    return {
      status: health.status,
      reasons: health.reasons,
      is_running: s.isRunning,
      draining: s.draining,
      instance_id: s.id,
      backend: { kind: s.store.kind, location: s.store.location },
      profile: {
        mode: p.mode,
        // The profile in force: one decision for every instance sharing the queue (`cluster`).
        active: s.activeProfile,
        vote: p.name,
        cluster: s.decision,
        optimized_when: {
          memory_percent_below: p.settings.memoryPercentBelow,
          cpu_percent_below: p.settings.cpuPercentBelow,
          hysteresis_percent: p.settings.hysteresisPercent,
        },
        last_switch: p.switched,
        conservative: p.settings.conservative,
        optimized: p.settings.optimized,
      },
      types,
      lease_seconds: s.options.leaseMs / 1000,
      max_attempts: s.options.maxAttempts,
      resource_usage: this.from.monitor.current,
      instances: instances.map((i) => ({ ...i, this: i.instance_id === s.id })),
      window_minutes: window / 60000,
      timestamp: isoNow(s.clock),
    };
  }

  /** A task with its place in the queue and an estimate of the wait. */
  async task(id: string): Promise<TaskView | null> {
    const inMemory = this.from.memoryTask(id);
    if (inMemory) return inMemory;
    const t = await this.state.store.get(id);
    if (!t) return null;
    const position = t.status === 'pending' ? await this.state.store.position(id) : null;
    return { ...t, position, estimated_wait_s: position === null ? null : this.from.estimateWaitSeconds(t.type, position - 1) };
  }
}
