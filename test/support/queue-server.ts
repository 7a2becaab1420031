import fs from 'node:fs';
import { serve } from '../../src/server.js';
import type { TaskContext } from '../../src/queue/index.js';

/**
 * The real service (`serve()`, the same HTTP app, queue and store) with an
 * `analysis` worker for the process tests: it sleeps `payload.ms` (abortable)
 * and appends what it does to the journal file `ALAW_TEST_JOURNAL`, so a
 * test can see which instance ran which task, across processes and crashes.
 *
 * With `ALAW_TEST_PROBE` (the URL of a {@link ConcurrencyProbe} in the test
 * process), the worker also reports `enter` before its work and `leave` after
 * it, each awaited: the probe counts tasks running at once in one process, so
 * the peak needs no clock comparison across processes. The reports fall
 * inside the time the queue holds the task's slot (after the claim, before
 * the finish), so a probe peak above max_concurrent is a real violation.
 */
const journal = process.env.ALAW_TEST_JOURNAL;
const probe = process.env.ALAW_TEST_PROBE;
const instance = process.env.INSTANCE_ID ?? String(process.pid);

function note(ev: 'start' | 'done', id: string, attempt: number): void {
  if (journal) fs.appendFileSync(journal, `${JSON.stringify({ ev, id, attempt, inst: instance })}\n`);
}

async function report(ev: 'enter' | 'leave', id: string): Promise<void> {
  if (!probe) return;
  const r = await fetch(`${probe}/${ev}?id=${encodeURIComponent(id)}&inst=${encodeURIComponent(instance)}`, { method: 'POST' });
  if (r.status !== 204) throw new Error(`probe answered ${r.status}`);
}

async function analysis(payload: unknown, ctx: TaskContext): Promise<unknown> {
  // `firstMs`: how long the first attempt takes (one that hangs until its instance dies), `ms` the others.
  const p = payload as { ms?: number; firstMs?: number } | null;
  const ms = Number(ctx.attempt === 1 && p?.firstMs !== undefined ? p.firstMs : (p?.ms ?? 10));
  note('start', ctx.taskId, ctx.attempt);
  await report('enter', ctx.taskId);
  try {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(resolve, ms);
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(t);
        reject(ctx.signal.reason as Error);
      });
    });
  } finally {
    await report('leave', ctx.taskId);
  }
  note('done', ctx.taskId, ctx.attempt);
  return { ran_by: instance, attempt: ctx.attempt, ms };
}

serve({ handlers: { analysis } }).catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
