import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleApp } from './helpers.js';

/** The value of one sample in Prometheus text format, or undefined. Labels must match exactly (in any order). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/u.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/gu)].map((l) => [l[1], l[2]]));
    if (Object.keys(got).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

const open = sampleApp;

describe('GET /metrics', () => {
  let s: Awaited<ReturnType<typeof open>>;
  beforeAll(async () => (s = await open({ 'queue.limits.search.max_queue_size': 0, 'queue.limits.search.max_concurrent': 1 })));
  afterAll(async () => s.close());
  const scrape = async (): Promise<string> => {
    const r = await s.app.inject('/metrics');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toContain('text/plain');
    return r.body;
  };

  it('counts requests by method, route pattern and status, never by raw URL', async () => {
    for (let i = 0; i < 3; i++) expect((await s.app.inject({ url: '/api/search', query: { q: `사기 ${i}` } })).statusCode).toBe(200);
    for (const id of ['no-such-1', 'no-such-2']) expect((await s.app.inject(`/api/precedents/${id}`)).statusCode).toBe(404);
    await s.app.inject('/api/does-not-exist/12345');
    await s.app.inject({ url: '/api/search', query: { q: ' ' } });
    const text = await scrape();
    expect(sample(text, 'app_requests_total', { method: 'GET', endpoint: '/api/search', status: '200' })).toBe(3);
    expect(sample(text, 'app_requests_total', { method: 'GET', endpoint: '/api/search', status: '400' })).toBe(1);
    expect(sample(text, 'app_requests_total', { method: 'GET', endpoint: '/api/precedents/:id', status: '404' })).toBe(2);
    expect(sample(text, 'app_requests_total', { method: 'GET', endpoint: 'unmatched', status: '404' })).toBe(1);
    expect(text).not.toContain('no-such-1');
    expect(text).not.toContain('12345');
    expect(text).not.toContain('사기');
    expect(sample(text, 'app_request_duration_seconds_count', { method: 'GET', endpoint: '/api/search' })).toBe(4);
    expect(sample(text, 'app_request_duration_seconds_bucket', { method: 'GET', endpoint: '/api/search', le: '+Inf' })).toBe(4);
  });

  it('has the guide’s resource gauges, the default process metrics, and the search index', async () => {
    const text = await scrape();
    expect(sample(text, 'app_memory_usage_bytes')).toBeGreaterThan(10_000_000);
    expect(sample(text, 'app_cpu_usage_percent')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(text).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
    expect(sample(text, 'alaw_search_documents')).toBe(300);
    expect(sample(text, 'alaw_search_index_build_seconds')).toBeGreaterThan(0);
    expect(sample(text, 'alaw_search_duration_seconds_count', { mode: 'all' })).toBeGreaterThanOrEqual(3);
  });

  it('reports the queue: finished tasks with their wait and run times, waiting and running counts, and rejections', async () => {
    const before = await scrape();
    const done = sample(before, 'alaw_queue_tasks_finished_total', { type: 'search', status: 'completed' }) ?? 0;
    expect(done).toBeGreaterThanOrEqual(3);
    expect(sample(before, 'alaw_queue_run_seconds_count', { type: 'search' })).toBe(done);
    expect(sample(before, 'alaw_queue_wait_seconds_count', { type: 'search' })).toBe(done);
    // A running search holds the only search slot and nothing may wait: the next search is refused.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const holding = s.services.queue.run('search', {}, () => gate);
    expect((await s.app.inject({ url: '/api/search', query: { q: '명의신탁' } })).statusCode).toBe(429);
    const after = await scrape();
    release();
    await holding;
    expect(sample(after, 'alaw_queue_rejected_total', { type: 'search' })).toBe(1);
    expect(sample(after, 'app_requests_total', { method: 'GET', endpoint: '/api/search', status: '429' })).toBe(1);
    expect(sample(after, 'alaw_queue_tasks', { type: 'search', status: 'processing' })).toBe(1);
    expect(sample(after, 'alaw_queue_tasks', { type: 'analysis', status: 'pending' })).toBe(0);
  });

  it("passes `promtool check metrics` (Prometheus's own linter, Debian package prometheus)", async () => {
    // Some traffic first, so every family has samples: requests, a queued search, a rejection.
    await s.app.inject({ url: '/api/search', query: { q: '부당이득' } });
    await s.app.inject('/api/queue/health');
    const text = await scrape();
    const res = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(res.error, 'promtool is missing: apt-get install prometheus (.ci/run does)').toBeUndefined();
    expect(`${res.stdout}${res.stderr}`.trim()).toBe('');
    expect(res.status).toBe(0);
  });

  it('is open to this machine and needs a key from elsewhere (metrics.access=local)', async () => {
    const remote = await s.app.inject({ url: '/metrics', remoteAddress: '203.0.113.7' });
    expect(remote.statusCode).toBe(403);
  });
});

describe('metrics settings', () => {
  it('metrics.access=public serves every client; metrics.enabled=false serves no /metrics at all', async () => {
    const pub = await open({ 'metrics.access': 'public' });
    try {
      expect((await pub.app.inject({ url: '/metrics', remoteAddress: '203.0.113.7' })).statusCode).toBe(200);
    } finally {
      await pub.close();
    }
    const off = await open({ 'metrics.enabled': false });
    try {
      expect(off.services.metrics).toBeNull();
      expect((await off.app.inject('/metrics')).statusCode).toBe(404);
      expect((await off.app.inject({ url: '/api/search', query: { q: '사기' } })).statusCode).toBe(200);
    } finally {
      await off.close();
    }
  });
});
