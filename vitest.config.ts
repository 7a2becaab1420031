import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Builds this run's bundles once (test/globalSetup.ts); process tests spawn them.
    globalSetup: ['test/globalSetup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two test files at a time even on two cores: most of a process test is spent waiting on its
    // child processes, so a second file fills the idle core (about 245 s → 175 s here).
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
