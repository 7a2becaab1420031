import { BroadcastChannel } from 'node:worker_threads';
import Tinypool from 'tinypool';
import { isAlawError } from '../errors/index.js';
import { indexFromShared, SearchEngine, type SearcherSettings, type SearchRequest, type SearchResult, type SharedIndex } from '../search/index.js';
import { SnippetReader } from '../store/index.js';

/**
 * A search worker thread (src/app/searchPool.ts): runs searches over the
 * index the main thread shares with it. Indexes arrive on a broadcast
 * channel, numbered; a task names the number it needs at least, and a worker
 * that has not seen it yet asks for it (a worker started after a broadcast,
 * or restarted after a crash, has missed it).
 */
export interface SearchWorkerData {
  channel: string;
  database: string;
  settings: SearcherSettings;
}

export type IndexMessage = { kind: 'index'; gen: number; index: SharedIndex } | { kind: 'need'; gen: number };

export interface SearchTask {
  gen: number;
  req: SearchRequest;
}

/** An error of the catalog crosses the thread boundary as data; the main thread rebuilds it. */
export type SearchAnswer = { ok: true; result: SearchResult } | { ok: false; code: string; message: string; details?: Record<string, unknown> };

const data = Tinypool.workerData as SearchWorkerData;
const reader = SnippetReader.open(data.database);
const channel = new BroadcastChannel(data.channel);
let current: { gen: number; engine: SearchEngine } | null = null;
const waiters: { gen: number; wake: () => void }[] = [];

channel.onmessage = (event: unknown): void => {
  const m = (event as { data: IndexMessage }).data;
  if (m.kind !== 'index' || (current && m.gen <= current.gen)) return;
  const engine = new SearchEngine(indexFromShared(m.index), data.settings, (id) => reader.get(id));
  engine.warm();
  current = { gen: m.gen, engine };
  for (let i = waiters.length - 1; i >= 0; i--) {
    if (waiters[i]!.gen <= m.gen) waiters.splice(i, 1)[0]!.wake();
  }
};

function engineFor(gen: number): SearchEngine | Promise<SearchEngine> {
  if (current && current.gen >= gen) return current.engine;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`search index ${gen} did not reach the worker`)), 10_000);
    waiters.push({
      gen,
      wake: () => {
        clearTimeout(timer);
        resolve(current!.engine);
      },
    });
    channel.postMessage({ kind: 'need', gen } satisfies IndexMessage);
  });
}

export default async function search(task: SearchTask): Promise<SearchAnswer> {
  const engine = await engineFor(task.gen);
  try {
    return { ok: true, result: engine.run(task.req) };
  } catch (err) {
    if (isAlawError(err)) return { ok: false, code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) };
    throw err;
  }
}
