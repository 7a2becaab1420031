import fs from 'node:fs';
import { serve } from '../../src/server.js';
import type { TaskContext } from '../../src/queue/index.js';

/**
 * The real service (`serve()`, the same HTTP app, queue and store) with an
 * `analysis` worker for the process tests: it sleeps `payload.ms` (abortable)
 * and appends what it does to the journal file `ALAW_TEST_JOURNAL`, so a
 * test can see which instance ran which task when, across processes and crashes.
 * (The real analysis worker is the analysis issue's.)
 */
const journal = process.env.ALAW_TEST_JOURNAL;
const instance = process.env.INSTANCE_ID ?? String(process.pid);

function note(ev: 'start' | 'done', id: string, attempt: number): void {
  if (journal) fs.appendFileSync(journal, `${JSON.stringify({ ev, id, attempt, inst: instance, t: performance.timeOrigin + performance.now() })}\n`);
}

async function analysis(payload: unknown, ctx: TaskContext): Promise<unknown> {
  const ms = Number((payload as { ms?: number } | null)?.ms ?? 10);
  note('start', ctx.taskId, ctx.attempt);
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    ctx.signal.addEventListener('abort', () => {
      clearTimeout(t);
      reject(ctx.signal.reason as Error);
    });
  });
  note('done', ctx.taskId, ctx.attempt);
  return { ran_by: instance, attempt: ctx.attempt, ms };
}

serve({ handlers: { analysis } }).catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
