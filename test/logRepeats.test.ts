import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { openServices } from '../src/app/index.js';
import { loadConfig } from '../src/config/index.js';
import { buildApp } from '../src/http/index.js';
import { RepeatedErrorLog } from '../src/logRepeats.js';
import { SAMPLE, tempDir } from './helpers.js';
import { manualClock } from './support/clock.js';

/** A pino logger whose lines land in an array. */
function capturingLogger(): { logger: pino.Logger; lines: () => Record<string, unknown>[] } {
  const out: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines: () => out.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('a database outage in the logs', () => {
  it('logs the first failure in full, counts the rest, and writes one summary per window', async () => {
    const clock = manualClock();
    const { logger, lines } = capturingLogger();
    const log = new RepeatedErrorLog(logger, clock, 60_000);
    for (let i = 0; i < 100; i++) log.error('queue-store', new Error('SQLITE_CANTOPEN'), '작업 큐 데이터베이스 오류', { queue: 'data/queue.db' });
    await new Promise((r) => setImmediate(r));
    expect(lines()).toHaveLength(1);
    expect((lines()[0]!.err as { stack: string }).stack).toContain('SQLITE_CANTOPEN');
    await clock.advance(60_000);
    expect(lines()).toHaveLength(2);
    const summary = lines()[1]!;
    expect(summary).toMatchObject({ repeats: 99, repeat_kind: 'queue-store', queue: 'data/queue.db' });
    expect(summary.err).toBeUndefined();
    expect(summary.msg).toBe('작업 큐 데이터베이스 오류 (그 뒤 60초 동안 99번 더)');
    // After the window the next failure is news again; a kind that did not repeat gets no summary.
    log.error('queue-store', new Error('again'), '작업 큐 데이터베이스 오류');
    log.error('key-store', new Error('keys'), 'API 키 데이터베이스를 읽지 못했습니다');
    await clock.advance(60_000);
    expect(lines().map((l) => l.repeats)).toEqual([undefined, 99, undefined, undefined]);
  });

  it('100 requests while the queue database is gone: 503 each, one error line with a stack', async () => {
    const tmp = tempDir();
    const { logger, lines } = capturingLogger();
    const KEY = 'env-user-key-0123456789';
    const config = loadConfig({
      env: {},
      overrides: {
        'paths.database': path.join(tmp.dir, 'alaw.db'),
        'paths.indexDir': path.join(tmp.dir, 'index'),
        'paths.seedCorpus': SAMPLE,
        'paths.queueDatabase': path.join(tmp.dir, 'queue.db'),
        'auth.userTokens': KEY,
      },
    });
    const services = await openServices(config, logger, { seed: true, queue: true });
    const app = await buildApp(services);
    try {
      await services.queue.store.close();
      const before = lines().length;
      for (let i = 0; i < 100; i++) {
        const r = await app.inject({ url: i % 2 ? '/api/analysis/abc' : '/api/queue/tasks/abc', headers: { authorization: `Bearer ${KEY}` } });
        expect(r.statusCode).toBe(503);
      }
      const errors = lines()
        .slice(before)
        .filter((l) => (l.level as number) >= 50);
      expect(errors.length, JSON.stringify(errors.map((e) => e.msg))).toBe(1);
      expect(errors[0]!.msg).toBe('작업 큐 데이터베이스 오류');
    } finally {
      await app.close();
      await services.store.close();
      tmp.cleanup();
    }
  });
});
