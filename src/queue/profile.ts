import fs from 'node:fs';
import os from 'node:os';
import { isoNow, systemClock, type Clock } from '../clock.js';
import type { QueueLimits } from './types.js';

const round1 = (x: number): number => Math.round(x * 10) / 10;

export interface ResourceUsage {
  /** Share of memory in use (not available), 0–100: of the container's limit when there is one, else of the machine's. */
  memory_percent: number;
  /** Share of all CPUs busy since the previous sample, 0–100. */
  cpu_percent: number;
}

function cpuTotals(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const c of os.cpus()) {
    const t = c.times;
    idle += t.idle;
    total += t.user + t.nice + t.sys + t.idle + t.irq;
  }
  return { idle, total };
}

/**
 * Memory use against a container's limit, from cgroup files (v2: memory.max,
 * memory.current, memory.stat `inactive_file`; v1: memory.limit_in_bytes,
 * memory.usage_in_bytes, `total_inactive_file`). Page cache that can be
 * dropped does not count, as in `docker stats`. Null when there is no limit
 * below the machine's memory.
 */
export function cgroupMemoryPercent(limitText: string, usageText: string, statText: string, machineBytes: number): number | null {
  const limit = Number(limitText.trim());
  const usage = Number(usageText.trim());
  if (!Number.isFinite(limit) || !Number.isFinite(usage) || limit <= 0 || limit >= machineBytes) return null;
  const inactive = Number(/^(?:total_)?inactive_file (\d+)$/m.exec(statText)?.[1] ?? 0);
  return round1((Math.max(0, usage - inactive) / limit) * 100);
}

const CGROUP_FILES = [
  ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory.current', '/sys/fs/cgroup/memory.stat'],
  ['/sys/fs/cgroup/memory/memory.limit_in_bytes', '/sys/fs/cgroup/memory/memory.usage_in_bytes', '/sys/fs/cgroup/memory/memory.stat'],
] as const;

function containerMemoryPercent(): number | null {
  for (const [limit, usage, stat] of CGROUP_FILES) {
    try {
      return cgroupMemoryPercent(fs.readFileSync(limit, 'utf8'), fs.readFileSync(usage, 'utf8'), fs.readFileSync(stat, 'utf8'), os.totalmem());
    } catch {
      // not this cgroup version (or no cgroup): try the next
    }
  }
  return null;
}

/**
 * Machine-wide memory and CPU use, like the guide's `psutil.virtual_memory()`
 * and `psutil.cpu_percent()`. CPU is measured over the interval between two
 * samples; `sample()` is called on a timer, readers get the last sample.
 */
export class ResourceMonitor {
  private prev = cpuTotals();
  private last: ResourceUsage = { memory_percent: ResourceMonitor.memoryPercent(), cpu_percent: 0 };

  /** Memory use against the container's limit when there is one, else the machine's. */
  static memoryPercent(): number {
    const container = containerMemoryPercent();
    if (container !== null) return container;
    const total = os.totalmem();
    // os.freemem() is MemAvailable on Linux (page cache counts as available).
    return round1(((total - os.freemem()) / total) * 100);
  }

  sample(): ResourceUsage {
    const now = cpuTotals();
    const dTotal = now.total - this.prev.total;
    const dIdle = now.idle - this.prev.idle;
    this.prev = now;
    const cpu = dTotal > 0 ? ((dTotal - dIdle) / dTotal) * 100 : this.last.cpu_percent;
    this.last = { memory_percent: ResourceMonitor.memoryPercent(), cpu_percent: round1(Math.min(100, Math.max(0, cpu))) };
    return this.last;
  }

  get current(): ResourceUsage {
    return this.last;
  }
}

export type ProfileName = 'conservative' | 'optimized';
export type ProfileMode = 'auto' | ProfileName;

export interface ProfileSettings {
  mode: ProfileMode;
  conservative: QueueLimits;
  optimized: QueueLimits;
  /** The optimized profile applies while memory use is below this… */
  memoryPercentBelow: number;
  /** …and CPU use below this (the guide: 60 % and 50 %). */
  cpuPercentBelow: number;
  /** Leave the optimized profile only when use exceeds the thresholds by this margin (percentage points). */
  hysteresisPercent: number;
  /** Consecutive samples that must agree before switching. */
  samplesToSwitch: number;
}

export interface ProfileSwitch {
  from: ProfileName;
  to: ProfileName;
  at: string;
  usage: ResourceUsage;
}

/**
 * The guide's `optimize_queue_settings()`, with hysteresis: the optimized
 * limits apply after `samplesToSwitch` consecutive samples below both
 * thresholds, and the conservative ones come back after as many samples above
 * a threshold plus the margin. A fixed mode never switches.
 */
export class ProfileController {
  private active: ProfileName;
  private streak = 0;
  private lastSwitch: ProfileSwitch | null = null;

  constructor(
    private readonly s: ProfileSettings,
    private readonly clock: Clock = systemClock,
  ) {
    this.active = s.mode === 'optimized' ? 'optimized' : 'conservative';
  }

  get name(): ProfileName {
    return this.active;
  }

  get limits(): QueueLimits {
    return this.s[this.active];
  }

  get mode(): ProfileMode {
    return this.s.mode;
  }

  get settings(): ProfileSettings {
    return this.s;
  }

  get switched(): ProfileSwitch | null {
    return this.lastSwitch;
  }

  /** Feeds one resource sample; returns the switch when the profile changed. */
  observe(u: ResourceUsage): ProfileSwitch | null {
    if (this.s.mode !== 'auto') return null;
    const want: ProfileName =
      this.active === 'conservative'
        ? u.memory_percent < this.s.memoryPercentBelow && u.cpu_percent < this.s.cpuPercentBelow
          ? 'optimized'
          : 'conservative'
        : u.memory_percent >= this.s.memoryPercentBelow + this.s.hysteresisPercent || u.cpu_percent >= this.s.cpuPercentBelow + this.s.hysteresisPercent
          ? 'conservative'
          : 'optimized';
    if (want === this.active) {
      this.streak = 0;
      return null;
    }
    this.streak += 1;
    if (this.streak < this.s.samplesToSwitch) return null;
    this.streak = 0;
    this.lastSwitch = { from: this.active, to: want, at: isoNow(this.clock), usage: u };
    this.active = want;
    return this.lastSwitch;
  }
}
