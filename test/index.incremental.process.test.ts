import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LAWGO_FIXTURE, readSample, sampleEnv, tempDir } from './helpers.js';
import { run, startServer, type ServerProcess } from './process.js';

const tmp = tempDir('alaw-incr-');
let server: ServerProcess | undefined;
afterAll(async () => {
  await server?.stop('SIGKILL');
  tmp.cleanup();
});

const env = sampleEnv(tmp.dir, {
  ALAW_SEARCH_RELOAD_CHECK_SECONDS: '1',
  ALAW_SEARCH_WORKERS: '2',
  ALAW_LOG_LEVEL: 'info',
  // Not a load test: a busy machine (a build beside the server) must not turn searches into 503 OVERLOADED.
  ALAW_SERVER_MAX_EVENT_LOOP_DELAY_MS: '0',
});

interface Status {
  documents: number;
  segments: number;
  deleted_documents: number;
  workers: number;
  stale: boolean;
}
interface Hits {
  total: number;
  hits: { id: string; case_name: string; snippet?: string }[];
}

async function json<T>(p: string): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${server!.port}${p}`);
  const body = await res.text();
  expect(res.status, body).toBe(200);
  return JSON.parse(body) as T;
}

/** Polls the status until `ok` holds (the server checks for a new index every second here). */
async function until(ok: (s: Status) => boolean, ms = 15_000): Promise<Status> {
  const end = Date.now() + ms;
  for (;;) {
    const s = await json<Status>('/api/search/status');
    if (ok(s)) return s;
    if (Date.now() > end) throw new Error(`status never became what was expected: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('imports while the server runs (segments, deletions, search workers)', () => {
  it('serves new decisions within seconds, each replaced decision once, and restarts without rebuilding', async () => {
    server = await startServer(env);
    const first = await json<Status>('/api/search/status');
    expect(first).toMatchObject({ documents: 300, segments: 1, deleted_documents: 0, workers: 2, stale: false });
    const before = await json<Hits>(`/api/search?q=${encodeURIComponent('손해배상')}`);
    expect(before.hits.length).toBeGreaterThan(0);
    expect(before.hits[0]!.snippet).toContain('<mark>'); // snippets are read by the workers' own connections

    // New decisions: a new segment, picked up without a restart.
    const added = await run('src/cli/main.ts', ['import', LAWGO_FIXTURE], env);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/바뀐 판례 4건을 새 세그먼트로 더했습니다/u);
    await until((s) => s.segments === 2 && s.documents === 304 && !s.stale);
    const found = await json<Hits>(`/api/search?q=${encodeURIComponent('2016다276177')}`);
    expect(found.hits[0]?.id).toBe('lawgo-212345');

    // A corrected decision: its old version is marked deleted, the new one served, and only once.
    const record = readSample()[0]!;
    const corrected = { ...record, case_name: `${String(record.case_name)} 경정결정반영본` };
    const file = path.join(tmp.dir, 'corrected.jsonl');
    fs.writeFileSync(file, JSON.stringify(corrected) + '\n');
    const replaced = await run('src/cli/main.ts', ['import', file], env);
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(replaced.stdout).toMatch(/이전 판 1건 삭제 표시/u);
    await until((s) => s.segments === 3 && s.deleted_documents === 1 && s.documents === 304 && !s.stale);
    const byName = await json<Hits>(`/api/search?q=${encodeURIComponent('경정결정반영본')}`);
    expect(byName.hits.map((h) => h.id)).toEqual([record.id]);
    const byOldText = await json<Hits>(`/api/search?size=100&q=${encodeURIComponent(String(record.case_name))}`);
    expect(byOldText.hits.filter((h) => h.id === record.id)).toHaveLength(1);
    expect(byOldText.hits.find((h) => h.id === record.id)!.case_name).toContain('경정결정반영본');

    // A crash, then a start that loads the segments as they are.
    await server.stop('SIGKILL');
    server = await startServer(env);
    expect(server.logs()).toContain('검색 색인을 불러왔습니다');
    expect(server.logs()).not.toContain('검색 색인을 새로 만들었습니다');
    expect(await json<Status>('/api/search/status')).toMatchObject({ documents: 304, segments: 3, deleted_documents: 1 });
    const again = await json<Hits>(`/api/search?q=${encodeURIComponent('경정결정반영본')}`);
    expect(again.hits.map((h) => h.id)).toEqual([record.id]);
  }, 90_000);

  it('searches on the main thread when told to (search.workers 0), with the same answers', async () => {
    await server?.stop('SIGKILL');
    const pooled = await (async () => {
      server = await startServer(env);
      return json<Hits>(`/api/search?q=${encodeURIComponent('불법행위 손해배상 책임')}`);
    })();
    await server!.stop('SIGKILL');
    server = await startServer({ ...env, ALAW_SEARCH_WORKERS: '0' });
    expect((await json<Status>('/api/search/status')).workers).toBe(0);
    const inline = await json<Hits>(`/api/search?q=${encodeURIComponent('불법행위 손해배상 책임')}`);
    expect(inline.total).toBe(pooled.total);
    expect(inline.hits).toEqual(pooled.hits);
  }, 60_000);

  it('serves the old index while a new one is built beside it (BM25 settings changed), then loads the new one', async () => {
    await server?.stop('SIGKILL');
    server = await startServer({ ...env, ALAW_SEARCH_K1: '1.4' });
    // Listening with the old index: no rebuild before the port opened.
    expect(server.logs()).toContain('다 만들 때까지 지금 색인으로 검색합니다');
    expect(server.logs()).not.toContain('검색 색인을 새로 만들었습니다 (BM25');
    const during = await json<Hits>(`/api/search?q=${encodeURIComponent('손해배상')}`);
    expect(during.hits.length).toBeGreaterThan(0);
    const done = await until((s) => (s as Status & { build: unknown }).build === null && !s.stale, 30_000);
    expect(done.documents).toBe(304);
    const manifest = JSON.parse(fs.readFileSync(path.join(tmp.dir, 'index', 'search.idx'), 'utf8')) as { params: { k1: number }; segments: unknown[] };
    expect(manifest.params.k1).toBe(1.4);
    expect(manifest.segments).toHaveLength(1);
    const end = Date.now() + 10_000;
    while (!server.logs().includes('다른 프로세스가 갱신한 검색 색인을 불러왔습니다') && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    expect(server.logs()).toContain('검색 색인을 새로 만들었습니다 (백그라운드)');
    expect(server.logs()).toContain('다른 프로세스가 갱신한 검색 색인을 불러왔습니다');
    expect((await json<Status>('/api/search/status')).segments).toBe(1);
  }, 60_000);

  it('leaves the rebuild to the process that holds the write lock (replicas sharing an index), and loads its result', async () => {
    await server?.stop('SIGKILL');
    const lock = path.join(tmp.dir, 'index', 'write.lock');
    // Another live process on this host is writing the index (this test runner stands in for it).
    fs.writeFileSync(lock, JSON.stringify({ pid: process.pid, host: os.hostname(), since: '2026-12-06T00:00:00.000Z' }));
    server = await startServer({ ...env, ALAW_SEARCH_K1: '1.5' });
    const end = Date.now() + 10_000;
    while (!server.logs().includes('그 색인이 완성되면 불러옵니다') && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    expect(server.logs()).toContain(`PID ${process.pid}`);
    expect((await json<Status & { build: unknown }>('/api/search/status')).build).toBeNull();
    fs.rmSync(lock);
    // The other process finishes: here `alaw index` with the same settings.
    const built = await run('src/cli/main.ts', ['index'], { ...env, ALAW_SEARCH_K1: '1.5' });
    expect(built.code, built.stderr).toBe(0);
    const manifestK1 = (): number => (JSON.parse(fs.readFileSync(path.join(tmp.dir, 'index', 'search.idx'), 'utf8')) as { params: { k1: number } }).params.k1;
    expect(manifestK1()).toBe(1.5);
    const until2 = Date.now() + 10_000;
    while (server.logs().split('다른 프로세스가 갱신한 검색 색인을 불러왔습니다').length < 2 && Date.now() < until2)
      await new Promise((r) => setTimeout(r, 100));
    expect(server.logs()).toContain('다른 프로세스가 갱신한 검색 색인을 불러왔습니다');
    expect((await json<Hits>(`/api/search?q=${encodeURIComponent('2016다276177')}`)).hits[0]?.id).toBe('lawgo-212345');
  }, 60_000);

  it('checks checksums after it starts serving, and rebuilds beside the served index when a segment is damaged', async () => {
    await server?.stop('SIGKILL');
    const m = JSON.parse(fs.readFileSync(path.join(tmp.dir, 'index', 'search.idx'), 'utf8')) as { segments: { file: string }[] };
    const seg = path.join(tmp.dir, 'index', m.segments[0]!.file);
    const bytes = fs.readFileSync(seg);
    const at = Math.floor(bytes.length * 0.6); // inside the postings: the structure still reads
    bytes[at] = bytes[at]! ^ 0x10;
    fs.writeFileSync(seg, bytes);
    server = await startServer({ ...env, ALAW_SEARCH_K1: '1.5' });
    const end = Date.now() + 20_000;
    while (!server.logs().includes('검색 색인을 새로 만들었습니다 (백그라운드)') && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    expect(server.logs()).toMatch(/검색 색인 파일이 손상되었습니다 \(.*체크섬이 맞지 않습니다\)/u);
    expect(server.logs()).toContain('검색 색인을 새로 만들었습니다 (백그라운드)');
    const st = await until((s) => (s as Status & { checksums: string }).checksums === 'verified' && s.segments === 1, 15_000);
    expect(st.documents).toBe(304);
    expect((await json<Hits>(`/api/search?q=${encodeURIComponent('2016다276177')}`)).hits[0]?.id).toBe('lawgo-212345');
  }, 60_000);
});
