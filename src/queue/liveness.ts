import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { E } from '../errors/index.js';
import type { InstanceIdSource } from './instanceId.js';
import type { InstanceInfo, QueueStore, ReapResult, ReclaimCounts } from './types.js';

/** A task attempt this instance runs, as the lease keeper sees it. */
export interface HeldAttempt {
  attempt: number;
}

export interface LivenessOptions {
  /** How often this instance's row is refreshed and silent instances are looked for. */
  heartbeatMs: number;
  /** Silence after which an instance is declared dead. */
  deadMs: number;
  /** Lease of a running task; renewed every third of it, expired ones swept every half. */
  leaseMs: number;
}

/** What the lease keeper needs from the queue it keeps alive. */
export interface LivenessHost {
  readonly instanceId: string;
  info(): Omit<InstanceInfo, 'heartbeat_at'>;
  /** The attempts running here now (the same object while an attempt runs). */
  held(): ReadonlyMap<string, HeldAttempt>;
  /** An attempt this instance runs was taken over by another: abort it. */
  lost(id: string, attempt: HeldAttempt): void;
  /** Tasks were recovered (dead instances, expired leases, late pending ones): look for work. */
  recovered(counts: ReclaimCounts): void;
  /** The instances alive at this heartbeat (this one included), as their rows say. */
  observed(members: readonly InstanceInfo[]): void;
}

/**
 * Whether a live-looking row with this instance's id belongs to another running process (two processes
 * given the same id) rather than to this one's own earlier life (killed, then restarted within the
 * silence limit). Same host: the earlier life is this pid (a container restarts with the same pid) or a
 * pid that no longer exists.
 */
export function heldByOtherProcess(row: Pick<InstanceInfo, 'host' | 'pid'>, self: { host: string; pid: number }): boolean {
  if (row.host !== self.host) return true;
  if (row.pid === self.pid) return false;
  return pidAlive(row.pid);
}

/** Whether a process with this pid exists on this host (EPERM: it exists but belongs to someone else). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Keeps this instance known to be alive and recovers the work of instances that are not:
 *
 * - every `heartbeatMs` it refreshes this instance's row and declares instances silent for longer than
 *   `deadMs` dead, recovering their tasks at once (a held analysis goes back to pending while attempts
 *   remain; a search, bound to the dead instance, fails: its caller is gone);
 * - every third of a lease it renews the leases of the attempts running here, and aborts an attempt whose
 *   lease another instance took over;
 * - every half lease it sweeps expired leases and pending tasks past their deadline (the backstop for a
 *   task whose owner left no row).
 *
 * At start it recovers what this instance's previous life (same id) left, before anything is claimed.
 */
export class Liveness {
  private rows: InstanceInfo[] = [];

  constructor(
    private readonly store: QueueStore,
    private readonly host: LivenessHost,
    private readonly options: LivenessOptions,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /**
   * Recovers what this id's earlier life left and announces this one. When another live process uses the
   * id, a configured id is refused (two instances must not share one); a kept one is not used (false: the
   * caller takes another).
   */
  async startUp(source: InstanceIdSource): Promise<boolean> {
    const me = this.host.info();
    const rows = await this.store.instances(this.options.deadMs);
    const twin = rows.find((r) => r.instance_id === me.instance_id && heldByOtherProcess(r, { host: me.host, pid: me.pid }));
    if (twin && source === 'configured')
      throw E.QUEUE_INSTANCE_ID_IN_USE.error({ id: me.instance_id, host: twin.host, pid: twin.pid, source: SOURCE_KO[source] });
    if (twin) return false;
    const reaped = await this.store.reapInstances(me.instance_id, this.options.deadMs, true);
    await this.store.heartbeatInstance(me);
    this.report(reaped);
    this.rows = await this.store.instances(this.options.deadMs);
    this.host.observed(this.rows);
    return true;
  }

  /** The instance heartbeat: refresh this row, declare silent instances dead, and learn who is alive. */
  async beat(): Promise<void> {
    await this.store.heartbeatInstance(this.host.info());
    this.report(await this.store.reapInstances(this.host.instanceId, this.options.deadMs, false));
    this.rows = await this.store.instances(this.options.deadMs);
    this.host.observed(this.rows);
  }

  /** The instances alive at the last heartbeat, as their rows said. */
  members(): readonly InstanceInfo[] {
    return this.rows;
  }

  /** Renews the leases of the attempts running here; aborts those another instance took over. */
  async renew(): Promise<void> {
    const held = [...this.host.held().entries()];
    if (held.length === 0) return;
    const still = new Set(
      await this.store.renew(
        this.host.instanceId,
        held.map(([id, r]) => ({ id, attempt: r.attempt })),
        this.options.leaseMs,
      ),
    );
    for (const [id, snapshot] of held) {
      // The same attempt as when the renewal was sent (a newer attempt is renewed next time).
      if (this.host.held().get(id) === snapshot && !still.has(id)) this.host.lost(id, snapshot);
    }
  }

  /** Expired leases and pending tasks past their deadline. */
  async sweep(): Promise<void> {
    const r = await this.store.reclaim();
    if (r.requeued + r.failed + r.timedOut > 0) {
      this.logger.warn({ ...r }, `중단된 작업을 정리했습니다: 다시 대기 ${r.requeued}건, 실패 처리 ${r.failed}건, 대기 시간 초과 ${r.timedOut}건`);
      this.host.recovered(r);
    }
  }

  private report(r: ReapResult): void {
    if (r.instances.length === 0) return;
    const self = this.host.instanceId;
    const silentS = this.options.deadMs / 1000;
    const others = r.instances.filter((i) => i !== self);
    if (r.instances.includes(self))
      this.logger.warn(
        { instances: r.instances, requeued: r.requeued, failed: r.failed },
        `이 인스턴스(${self})가 재시작 전에 맡았던 작업을 정리했습니다: 다시 대기 ${r.requeued}건, 실패 처리 ${r.failed}건`,
      );
    if (others.length > 0)
      this.logger.warn(
        { instances: others, requeued: r.requeued, failed: r.failed, silent_s: silentS },
        `인스턴스 ${others.join(', ')}이(가) ${silentS}초 넘게 응답하지 않아 중단된 것으로 보고 작업을 넘겨받았습니다: 다시 대기 ${r.requeued}건, 실패 처리 ${r.failed}건`,
      );
    if (r.requeued + r.failed > 0) this.host.recovered({ requeued: r.requeued, failed: r.failed, timedOut: 0 });
  }
}

const SOURCE_KO: Record<InstanceIdSource, string> = { configured: 'INSTANCE_ID 설정', persisted: 'instance-id 파일', created: '새로 만든 ID' };
