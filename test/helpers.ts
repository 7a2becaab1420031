import type { FastifyInstance } from 'fastify';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openServices, type OpenOptions, type ServerServices } from '../src/app/index.js';
import { loadConfig } from '../src/config/index.js';
import { buildApp } from '../src/http/index.js';
import { createLogger } from '../src/ops/index.js';

export const SAMPLE = path.resolve('test/fixtures/precedents-sample.jsonl');
export const LAWGO_FIXTURE = path.resolve('test/fixtures/lawgo-sample.jsonl');

export function readSample(): Record<string, unknown>[] {
  return fs
    .readFileSync(SAMPLE, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** A fresh directory under the OS temp dir, removed by the returned cleanup. */
export function tempDir(prefix = 'alaw-test-'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Environment for an `alaw` or server process whose data lives under `dir`
 * (application database, index, queue), seeded with the 300-record sample.
 */
export function sampleEnv(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ALAW_DB_PATH: path.join(dir, 'alaw.db'),
    ALAW_INDEX_DIR: path.join(dir, 'index'),
    ALAW_QUEUE_DB_PATH: path.join(dir, 'queue.db'),
    ALAW_PATHS_SEED_CORPUS: SAMPLE,
    ...extra,
  };
}

/** Services over a temporary database seeded with the 300-record sample. */
export async function sampleServices(dir: string, overrides: Record<string, unknown> = {}, options: Pick<OpenOptions, 'clock'> = {}): Promise<ServerServices> {
  const config = loadConfig({
    env: {},
    overrides: {
      'paths.database': path.join(dir, 'alaw.db'),
      'paths.indexDir': path.join(dir, 'index'),
      'paths.seedCorpus': SAMPLE,
      'paths.queueDatabase': path.join(dir, 'queue.db'),
      'queue.profile': 'conservative',
      'log.level': 'silent',
      // Tests build indexes synchronously in the same process as other tests' apps: no load shedding unless a test asks.
      'server.maxEventLoopDelayMs': 0,
      ...overrides,
    },
  });
  return openServices(config, createLogger('silent'), { seed: true, queue: true, ...options });
}

/** The HTTP app over fresh sample services in a directory of its own; `close()` removes everything. */
export async function sampleApp(
  overrides: Record<string, unknown> = {},
  options: Pick<OpenOptions, 'clock'> = {},
): Promise<{ services: ServerServices; app: FastifyInstance; close: () => Promise<void> }> {
  const tmp = tempDir();
  const services = await sampleServices(tmp.dir, overrides, options);
  const app = await buildApp(services);
  return {
    services,
    app,
    close: async () => {
      await app.close();
      await services.close();
      tmp.cleanup();
    },
  };
}
