import { afterAll, describe, expect, it } from 'vitest';
import { guideEstimate, measuredEstimate } from '../src/ops/index.js';
import { sampleEnv, tempDir } from './helpers.js';
import { run } from './process.js';

describe('capacity', () => {
  it('the guide’s formula, with its constants', () => {
    // calculate_resources(100): 2 + 100 × 0.1 = 12 cores, 2048 + 100 × 50 = 7048 MB; ×1.5 and ×1.3 recommended.
    expect(guideEstimate(100)).toEqual({
      concurrent_users: 100,
      required_cpu_cores: 12,
      required_memory_mb: 7048,
      recommended_cpu_cores: 18,
      recommended_memory_mb: 9162,
    });
    expect(guideEstimate(10)).toEqual({
      concurrent_users: 10,
      required_cpu_cores: 3,
      required_memory_mb: 2548,
      recommended_cpu_cores: 4.5,
      recommended_memory_mb: 3312,
    });
  });

  it('a measured estimate follows the rates of the usage model and the measured costs', () => {
    const m = { searchCpuS: 0.004, searchWallS: 0.005, analysisCpuS: 0.01, analysisWallS: 0.012, baseMemoryMb: 300, memoryPerInFlightMb: 1 };
    const e = measuredEstimate(1000, m, { searchEverySeconds: 10, analysisEverySeconds: 100 }, 2);
    // 100 searches/s × 4 ms + 10 analyses/s × 10 ms = 0.5 core, plus one for the event loop and the queue.
    expect(e).toMatchObject({ searches_per_second: 100, analyses_per_second: 10, required_cpu_cores: 1.5, recommended_cpu_cores: 2.3, instances: 1 });
    expect(e.in_flight).toBeCloseTo(0.62, 2);
    // Searches in flight beyond the per-instance concurrency need more instances, each with its memory.
    const big = measuredEstimate(100_000, m, { searchEverySeconds: 10, analysisEverySeconds: 100 }, 2);
    expect(big.instances).toBe(25);
    expect(big.required_memory_mb).toBe(Math.ceil(25 * 300 + big.in_flight * 1));
  });

  const tmp = tempDir('alaw-capacity-');
  afterAll(() => tmp.cleanup());
  const env = sampleEnv(tmp.dir);

  it('alaw capacity prints the guide’s table, and with --measured one from this machine; bad arguments exit 2', async () => {
    const guide = await run('src/cli/main.ts', ['capacity', '--users', '10,50,100,200'], env);
    expect(guide.code).toBe(0);
    expect(guide.stdout).toContain('| 100 | 12코어 | 7048 MB | 18코어 | 9162 MB |');
    expect(guide.stdout).toContain('동시 사용자 200명: CPU 33코어, 메모리 15662MB');
    const measured = await run('src/cli/main.ts', ['capacity', '--measured', '--samples', '20', '--users', '10,1000', '--json'], env);
    expect(measured.code, measured.stderr).toBe(0);
    const r = JSON.parse(measured.stdout) as {
      measured: {
        measurements: { searchCpuS: number; analysisCpuS: number; documents: number; searches: number };
        estimates: { concurrent_users: number; required_cpu_cores: number }[];
      };
    };
    expect(r.measured.measurements.documents).toBe(300);
    expect(r.measured.measurements.searches).toBeGreaterThan(10);
    expect(r.measured.measurements.searchCpuS).toBeGreaterThan(0);
    expect(r.measured.measurements.analysisCpuS).toBeGreaterThan(0);
    const [small, large] = r.measured.estimates;
    expect(large!.required_cpu_cores).toBeGreaterThanOrEqual(small!.required_cpu_cores);
    for (const bad of [
      ['--users', '0'],
      ['--users', 'ten'],
      ['--search-every', '-1'],
    ]) {
      const b = await run('src/cli/main.ts', ['capacity', ...bad], env);
      expect(b.code, bad.join(' ')).toBe(2);
    }
  });
});
