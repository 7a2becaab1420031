import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteQueueStore } from '../src/queue/index.js';
import { tempDir } from './helpers.js';
import { run } from './process.js';

const tmp = tempDir('alaw-cli-queue-');
afterAll(() => tmp.cleanup());
const queueDb = path.join(tmp.dir, 'queue.db');
const alaw = (args: string[]) => run('src/cli/main.ts', args, { ALAW_QUEUE_DB_PATH: queueDb });

describe('alaw queue', () => {
  it('says so when there is no queue file, without creating one', async () => {
    const r = await alaw(['queue', 'status']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('작업 큐 파일');
    const again = await run('src/cli/main.ts', ['queue', 'status'], { ALAW_QUEUE_DB_PATH: path.join(tmp.dir, 'none', 'q.db') });
    expect(again.code).toBe(1);
  });

  it('status shows counts, processing tasks and live instances; clear cancels pending ones only with --yes', async () => {
    const store = await SqliteQueueStore.open(queueDb);
    const admit = (type: 'search' | 'analysis') =>
      store.admit({
        id: randomUUID(),
        type,
        payload: {},
        maxQueueSize: 100,
        maxAttempts: 3,
        origin: 'cli-test',
        affinity: null,
        waitLimitMs: null,
        durable: false,
      });
    for (let i = 0; i < 3; i++) await admit('analysis');
    await admit('search');
    const [running] = await store.claim({ type: 'analysis', owner: 'api-7', maxConcurrent: 1, limit: 1, leaseMs: 60_000, affinity: null });
    await store.heartbeatInstance({
      instance_id: 'api-7',
      host: 'h',
      pid: 1,
      version: '0.1.0',
      started_at: new Date().toISOString(),
      profile: 'conservative',
      draining: false,
    });

    const status = await alaw(['queue', 'status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/analysis\s+2\s+1\s+0/);
    expect(status.stdout).toMatch(/search\s+1\s+0/);
    expect(status.stdout).toContain(running!.id);
    expect(status.stdout).toContain('살아 있는 인스턴스 1개: api-7');
    const json = JSON.parse((await alaw(['queue', 'status', '--json'])).stdout);
    expect(json.counts.analysis).toMatchObject({ pending: 2, processing: 1 });
    expect(json.processing.map((t: { id: string }) => t.id)).toEqual([running!.id]);

    const unconfirmed = await alaw(['queue', 'clear', '--type', 'case_analysis']);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('작업 2건을 취소합니다. 실행하려면 --yes');
    expect((await store.counts()).analysis.pending).toBe(2);

    const bad = await alaw(['queue', 'clear', '--type', 'everything', '--yes']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('ALAW_ERR_QUEUE_TYPE_INVALID');
    expect((await store.counts()).analysis.pending).toBe(2);

    const cleared = await alaw(['queue', 'clear', '--type', 'case_analysis', '--yes', '--json']);
    expect(cleared.code).toBe(0);
    expect(JSON.parse(cleared.stdout)).toMatchObject({ removed: 2, by_type: { search: 0, analysis: 2 }, type: 'analysis' });
    const c = await store.counts();
    expect(c.analysis).toMatchObject({ pending: 0, processing: 1, cancelled: 2 });
    expect(c.search.pending).toBe(1);
    // Which queue is never implied: no --type/--all, or both, cancels nothing.
    const implied = await alaw(['queue', 'clear', '--yes']);
    expect(implied.code).toBe(2);
    expect(implied.stderr).toContain('--all');
    expect(implied.stderr).toContain('ALAW_ERR_QUEUE_CLEAR_TYPE_REQUIRED');
    const both = await alaw(['queue', 'clear', '--type', 'search', '--all', '--yes']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('함께 쓸 수 없습니다');
    expect((await store.counts()).search.pending).toBe(1);

    const askAll = await alaw(['queue', 'clear', '--all']);
    expect(askAll.code).toBe(2);
    expect(askAll.stderr).toContain('대기 중인 작업 1건을 취소합니다');
    const all = await alaw(['queue', 'clear', '--all', '--yes']);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toContain('1건을 취소했습니다');
    expect((await store.counts()).search).toMatchObject({ pending: 0, cancelled: 1 });
    await admit('search');
    const typeAll = await alaw(['queue', 'clear', '--type', 'all', '--yes', '--json']);
    expect(JSON.parse(typeAll.stdout)).toMatchObject({ removed: 1, type: 'all' });
    await store.close();
  });
});
