import { parentPort, workerData } from 'node:worker_threads';
import { E, isAlawError } from '../errors/index.js';
import { updateIndexDir, type Bm25Params } from '../search/index.js';
import { PrecedentStore } from '../store/index.js';

/**
 * Rebuilds the index on a thread of its own while the server keeps serving
 * the old one (SearchService.rebuildInBackground): its own connection to the
 * database, the write lock, progress as messages. Then brings the new index
 * up to date with what was imported meanwhile (incrementally), so the server
 * can load a current index. Plain worker_threads, not the search pool: one
 * long job, not many short ones.
 */
export interface IndexBuildData {
  database: string;
  dir: string;
  params: Bm25Params;
  memoryBudgetBytes: number;
  reason: string;
}

export type IndexBuildMessage =
  | { kind: 'progress'; done: number; total: number }
  | { kind: 'done'; documents: number; ms: number }
  | { kind: 'failed'; message: string }
  /** Another process holds the write lock: it is building; its index will be picked up like any other. */
  | { kind: 'elsewhere'; message: string };

const data = workerData as IndexBuildData;
const post = (m: IndexBuildMessage): void => parentPort!.postMessage(m);
const started = performance.now();
const store = await PrecedentStore.open(data.database);
try {
  let last = 0;
  const opts = {
    dir: data.dir,
    params: data.params,
    source: store,
    memoryBudgetBytes: data.memoryBudgetBytes,
    onProgress: (done: number, total: number): void => {
      const now = performance.now();
      if (now - last < 500 && done < total) return;
      last = now;
      post({ kind: 'progress', done, total });
    },
  };
  const built = updateIndexDir({ ...opts, force: true, forceReason: data.reason });
  // Decisions imported during the build: added as a segment (nothing when none).
  updateIndexDir(opts);
  post({ kind: 'done', documents: built.kind === 'rebuilt' ? built.index.header.docCount : 0, ms: Math.round(performance.now() - started) });
} catch (err) {
  if (isAlawError(err) && err.code === E.INDEX_BUSY.code) post({ kind: 'elsewhere', message: err.message });
  else post({ kind: 'failed', message: (err as Error).message });
} finally {
  await store.close();
}
