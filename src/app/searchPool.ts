import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { BroadcastChannel } from 'node:worker_threads';
import Tinypool from 'tinypool';
import { reviveError } from '../errors/index.js';
import type { SearcherSettings, SearchRequest, SearchResult, SharedIndex } from '../search/index.js';
import type { IndexMessage, SearchAnswer, SearchTask, SearchWorkerData } from './searchWorker.js';

/**
 * A worker file of the app layer (`searchWorker`, `indexBuildWorker`): beside
 * this module in the sources (run with tsx), and at `app/<name>.js` of the
 * bundle (scripts/build.mjs), whose chunks sit at its root and whose CLI entry
 * one level down.
 */
export function appWorkerFile(name: string): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [
    path.join(here, `${name}.js`),
    path.join(here, 'app', `${name}.js`),
    path.join(here, '..', 'app', `${name}.js`),
    path.join(here, `${name}.ts`),
  ];
  const found = candidates.find((f) => fs.existsSync(f));
  if (!found) throw new Error(`worker file not found (looked for ${candidates.join(', ')})`);
  return found;
}

/** Node options a worker file needs: the TypeScript loader for the sources' .ts (tests run from src/), none for the bundle. */
export function workerExecArgv(file: string): string[] {
  return file.endsWith('.ts') ? ['--import', 'tsx'] : [];
}

/** How many search workers `search.workers` asks for ('auto': one per core). */
export function searchWorkerCount(setting: 'auto' | number): number {
  return setting === 'auto' ? Math.max(1, os.availableParallelism()) : setting;
}

/**
 * Runs searches on worker threads (tinypool), so a slow query at a large
 * corpus never stalls the event loop that answers health checks, metrics and
 * admission, and searches use every core. The index is shared, not copied:
 * its arrays live in SharedArrayBuffers (src/search/shared.ts), broadcast to
 * the workers whenever it changes. Each worker reads snippets through its own
 * read-only connection to the database. The queue's limits still decide how
 * many searches run at once; the pool only decides where.
 */
export class SearchPool {
  private readonly pool: Tinypool;
  private readonly channel: BroadcastChannel;
  private gen = 0;
  private shared: SharedIndex | null = null;

  constructor(options: { threads: number; database: string; settings: SearcherSettings }) {
    const name = `alaw-search-${process.pid}-${randomUUID()}`;
    this.channel = new BroadcastChannel(name);
    this.channel.onmessage = (event: unknown): void => {
      const m = (event as { data: IndexMessage }).data;
      if (m.kind === 'need' && this.shared && this.gen >= m.gen) this.broadcast();
    };
    this.channel.unref();
    const filename = appWorkerFile('searchWorker');
    const data: SearchWorkerData = { channel: name, database: path.resolve(options.database), settings: options.settings };
    this.pool = new Tinypool({
      filename,
      minThreads: options.threads,
      maxThreads: options.threads,
      idleTimeout: 0,
      workerData: data,
      execArgv: workerExecArgv(filename),
    });
  }

  get threads(): number {
    return this.pool.threads.length;
  }

  /** Makes `index` the one every later search runs on (searches already sent finish on theirs). */
  publish(index: SharedIndex): void {
    this.shared = index;
    this.gen++;
    this.broadcast();
  }

  private broadcast(): void {
    this.channel.postMessage({ kind: 'index', gen: this.gen, index: this.shared! } satisfies IndexMessage);
  }

  async run(req: SearchRequest): Promise<SearchResult> {
    const answer = (await this.pool.run({ gen: this.gen, req } satisfies SearchTask)) as SearchAnswer;
    if (answer.ok) return answer.result;
    throw reviveError(answer) ?? new Error(`${answer.code}: ${answer.message}`);
  }

  async close(): Promise<void> {
    await this.pool.destroy();
    this.channel.close();
  }
}
