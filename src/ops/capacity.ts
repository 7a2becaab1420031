/**
 * Capacity planning. `guideEstimate` is the operations guide's
 * `calculate_resources` (same formula and constants by default).
 * `measuredEstimate` replaces its per-user guesses with what this machine
 * measured for a search and an analysis, under a stated usage model.
 */

export interface GuideConstants {
  cpuPerUser: number;
  memoryPerUserMb: number;
  baseCpu: number;
  baseMemoryMb: number;
}

export const GUIDE_CONSTANTS: GuideConstants = { cpuPerUser: 0.1, memoryPerUserMb: 50, baseCpu: 2, baseMemoryMb: 2048 };

export interface Estimate {
  concurrent_users: number;
  required_cpu_cores: number;
  required_memory_mb: number;
  recommended_cpu_cores: number;
  recommended_memory_mb: number;
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

/** The guide's formula: base + users × per-user, with 50 % CPU and 30 % memory headroom. */
export function guideEstimate(users: number, c: GuideConstants = GUIDE_CONSTANTS): Estimate {
  const cpu = c.baseCpu + users * c.cpuPerUser;
  const memory = c.baseMemoryMb + users * c.memoryPerUserMb;
  return {
    concurrent_users: users,
    required_cpu_cores: round1(cpu),
    required_memory_mb: Math.trunc(memory),
    recommended_cpu_cores: round1(cpu * 1.5),
    recommended_memory_mb: Math.trunc(memory * 1.3),
  };
}

/** What one search and one analysis cost here (CPU seconds, wall seconds), and the server's memory. */
export interface Measurements {
  searchCpuS: number;
  searchWallS: number;
  analysisCpuS: number;
  analysisWallS: number;
  /** Resident memory of a serving process with the corpus and index loaded, MB. */
  baseMemoryMb: number;
  /** Extra memory per request in flight (response building, snippets), MB. */
  memoryPerInFlightMb: number;
}

/** How an active user uses the service. */
export interface UsageModel {
  /** Seconds between one user's searches. */
  searchEverySeconds: number;
  /** Seconds between one user's analyses. */
  analysisEverySeconds: number;
}

export const DEFAULT_USAGE: UsageModel = { searchEverySeconds: 10, analysisEverySeconds: 300 };

export interface MeasuredEstimate extends Estimate {
  searches_per_second: number;
  analyses_per_second: number;
  /** Searches and analyses running at once on average (Little's law: rate × time). */
  in_flight: number;
  /** Instances needed so that searches in flight stay within the per-instance search concurrency. */
  instances: number;
}

/**
 * CPU = base (one core for the event loop and the queue) + rate × CPU per operation; memory = one
 * serving process per instance + in-flight work; the same headroom as the guide (×1.5 CPU, ×1.3 memory).
 */
export function measuredEstimate(users: number, m: Measurements, usage: UsageModel, searchConcurrencyPerInstance: number): MeasuredEstimate {
  const searches = users / usage.searchEverySeconds;
  const analyses = users / usage.analysisEverySeconds;
  const cpu = 1 + searches * m.searchCpuS + analyses * m.analysisCpuS;
  const inFlight = searches * m.searchWallS + analyses * m.analysisWallS;
  const instances = Math.max(1, Math.ceil((searches * m.searchWallS) / Math.max(1, searchConcurrencyPerInstance)));
  const memory = instances * m.baseMemoryMb + inFlight * m.memoryPerInFlightMb;
  return {
    concurrent_users: users,
    required_cpu_cores: round1(cpu),
    required_memory_mb: Math.ceil(memory),
    recommended_cpu_cores: round1(cpu * 1.5),
    recommended_memory_mb: Math.ceil(memory * 1.3),
    searches_per_second: round1(searches),
    analyses_per_second: Math.round(analyses * 1000) / 1000,
    in_flight: Math.round(inFlight * 100) / 100,
    instances,
  };
}
