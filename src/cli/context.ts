import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { openServices, type OpenOptions, type Services } from '../app/index.js';
import { loadConfig, type Config } from '../config/index.js';
import { createLogger } from '../ops/index.js';

/*
 * Errors: commands throw catalog errors (`E.<NAME>.error(…)`, src/errors); `main.ts` prints
 * `오류: <message> [<code>]` on stderr and exits with the entry's exit code (EXIT).
 */

export interface GlobalOptions {
  config?: string;
  db?: string;
  indexDir?: string;
  queueDb?: string;
  verbose?: boolean;
}

export function globalOverrides(program: Command): GlobalOptions {
  return program.opts<GlobalOptions>();
}

/** Loads the configuration with CLI flags on top; invalid settings are ALAW_ERR_CONFIG_INVALID (exit code 2). */
export function cliConfig(g: GlobalOptions): Readonly<Config> {
  const overrides: Record<string, unknown> = {};
  if (g.db) overrides['paths.database'] = g.db;
  if (g.indexDir) overrides['paths.indexDir'] = g.indexDir;
  if (g.queueDb) overrides['paths.queueDatabase'] = g.queueDb;
  return loadConfig({ file: g.config, overrides });
}

/** Opens the services for a command; logs go to stderr (warnings only unless --verbose). */
export async function withServices<T>(g: GlobalOptions, options: OpenOptions, run: (s: Services) => Promise<T>): Promise<T> {
  const config = cliConfig(g);
  const logger = createLogger(g.verbose ? 'info' : 'warn', 2);
  const services = await openServices(config, logger, options);
  try {
    return await run(services);
  } finally {
    await services.close();
  }
}

/**
 * A progress bar on stderr (cli-progress), shown only when stderr is a
 * terminal so logs and pipes stay clean. `unit` labels the counts.
 */
export function progressBar(label: string, unit: string): { update(done: number, total: number): void; stop(): void } {
  if (!process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {eta_formatted} 남음`,
      stream: process.stderr,
      hideCursor: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total) {
      if (!started) {
        bar.start(total, done);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(done);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
