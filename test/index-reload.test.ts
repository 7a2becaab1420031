import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFile, runSearch, searchParamsOf, type Services } from '../src/app/index.js';
import { ensureIndex } from '../src/search/index.js';
import { PrecedentStore } from '../src/store/index.js';
import { LAWGO_FIXTURE, sampleServices, tempDir } from './helpers.js';

const tmp = tempDir();
let services: Services;
let other: PrecedentStore;

beforeAll(async () => {
  services = await sampleServices(tmp.dir);
  // A second connection, as `alaw import` in another process would have.
  other = await PrecedentStore.open(path.join(tmp.dir, 'alaw.db'));
});
afterAll(async () => {
  await other.close();
  await services.close();
  tmp.cleanup();
});

describe('a running server and an import in another process', () => {
  it('notices a newer corpus, and loads the index another process rebuilt', async () => {
    const before = services.search.engine;
    expect(services.search.reloadIfRebuilt()).toBe(false);

    await importFile(other, LAWGO_FIXTURE);
    expect(services.search.isStale()).toBe(true);
    // The corpus changed but nobody rebuilt the index yet: keep serving the old one.
    expect(services.search.reloadIfRebuilt()).toBe(false);
    expect(services.search.engine).toBe(before);

    ensureIndex({ dir: path.join(tmp.dir, 'index'), params: searchParamsOf(services.config).bm25, source: other });
    expect(services.search.reloadIfRebuilt()).toBe(true);
    expect(services.search.isStale()).toBe(false);
    const r = runSearch(services.search.engine, { q: '2016다276177' });
    expect(r.hits[0]?.id).toBe('lawgo-212345');
    expect(before.index.header.docCount).toBe(300);
    expect(services.search.engine.index.header.docCount).toBe(304);
  });

  it('loads an index rebuilt for the same corpus (alaw index --force), and only once', async () => {
    const loaded = services.search.engine;
    expect(services.search.reloadIfRebuilt()).toBe(false);
    await new Promise((r) => setTimeout(r, 5)); // a distinct createdAt
    ensureIndex({ dir: path.join(tmp.dir, 'index'), params: searchParamsOf(services.config).bm25, source: other, force: true });
    expect(services.search.reloadIfRebuilt()).toBe(true);
    expect(services.search.engine).not.toBe(loaded);
    expect(services.search.status().built_at).not.toBe(loaded.index.header.createdAt);
    expect(services.search.reloadIfRebuilt()).toBe(false);
  });
});
