import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFile } from '../src/app/index.js';
import { ensureIndex, INDEX_FILE_NAME, readManifest, termIds, type CorpusSource } from '../src/search/index.js';
import { TEST_PARAMS } from '../src/search/testing.js';
import { PrecedentStore } from '../src/store/index.js';
import { SAMPLE, tempDir } from './helpers.js';

const tmp = tempDir();
let store: PrecedentStore;
let scans = 0;
let source: CorpusSource;
const indexDir = path.join(tmp.dir, 'index');
const file = path.join(indexDir, INDEX_FILE_NAME);

beforeAll(async () => {
  store = await PrecedentStore.open(path.join(tmp.dir, 'alaw.db'));
  await importFile(store, SAMPLE);
  // Counts full scans of the corpus: a scan is what tokenizing the corpus starts with.
  source = {
    corpusVersion: () => store.corpusVersion(),
    count: () => store.count(),
    scanForIndex: () => {
      scans++;
      return store.scanForIndex();
    },
  };
});
afterAll(async () => {
  await store.close();
  tmp.cleanup();
});

const ensure = (params = TEST_PARAMS) => ensureIndex({ dir: indexDir, params, source });

describe('the index file is derived and self-healing', () => {
  it('is built when missing, then loaded at the next start without reading the corpus', () => {
    const first = ensure();
    expect(first.rebuiltBecause).toMatch(/없습니다/);
    expect(first.index.header.docCount).toBe(300);
    expect(fs.existsSync(file)).toBe(true);
    scans = 0;
    const second = ensure();
    expect(second.rebuiltBecause).toBeNull();
    expect(scans).toBe(0);
    expect(second.index.header.postingCount).toBe(first.index.header.postingCount);
  });

  it('is rebuilt after being deleted (the guide: delete the cache and restart)', () => {
    fs.rmSync(file);
    scans = 0;
    const r = ensure();
    expect(r.rebuiltBecause).not.toBeNull();
    expect(scans).toBe(1);
    expect(fs.existsSync(file)).toBe(true);
  });

  it('is rebuilt when a segment or the manifest is corrupt', () => {
    ensure();
    const segment = path.join(indexDir, readManifest(indexDir).segments[0]!.file);
    const buf = fs.readFileSync(segment);
    const mid = Math.floor(buf.length / 2);
    buf[mid] = buf[mid]! ^ 0x55;
    fs.writeFileSync(segment, buf);
    const r = ensure();
    expect(r.rebuiltBecause).toMatch(/체크섬|구조/);
    expect(ensure().rebuiltBecause).toBeNull();
    fs.writeFileSync(file, fs.readFileSync(file).subarray(0, 10));
    expect(ensure().rebuiltBecause).toMatch(/색인 목록/);
    expect(ensure().rebuiltBecause).toBeNull();
  });

  it('is rebuilt when older than the corpus, and not when an import changed nothing', async () => {
    ensure();
    const before = store.corpusVersion();
    await importFile(store, SAMPLE);
    expect(store.corpusVersion()).toBe(before);
    expect(ensure().rebuiltBecause).toBeNull();

    const record = JSON.parse(fs.readFileSync(SAMPLE, 'utf8').split('\n')[0]!);
    record.holdings = `${record.holdings} 검증용특이낱말`;
    const changed = path.join(tmp.dir, 'changed.jsonl');
    fs.writeFileSync(changed, JSON.stringify(record) + '\n');
    const report = await importFile(store, changed);
    expect(report.updated).toBe(1);
    expect(store.corpusVersion()).not.toBe(before);
    const r = ensure();
    expect(r.rebuiltBecause).toMatch(/바뀌었습니다/);
    expect(termIds(r.index, '검증용특이낱말').some((id) => id >= 0)).toBe(true);
  });

  it('is rebuilt when the BM25 parameters change', () => {
    ensure();
    const r = ensure({ ...TEST_PARAMS, k1: 0.9 });
    expect(r.rebuiltBecause).toMatch(/BM25/);
    expect(r.index.header.params.k1).toBe(0.9);
  });
});
