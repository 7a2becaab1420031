import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImportIncompleteError, importFile } from '../src/app/index.js';
import { PrecedentStore } from '../src/store/index.js';
import { LAWGO_FIXTURE, SAMPLE, sampleServices, tempDir } from './helpers.js';

const tmp = tempDir();
let store: PrecedentStore;

beforeAll(async () => {
  store = await PrecedentStore.open(path.join(tmp.dir, 'alaw.db'));
});
afterAll(async () => {
  await store.close();
  tmp.cleanup();
});

describe('what an incremental index update reads (store.changedSince)', () => {
  it('streams exactly the decisions written after a corpus version, and nothing for another database', async () => {
    const dir = tempDir();
    const store = await PrecedentStore.open(path.join(dir.dir, 'alaw.db'));
    const other = await PrecedentStore.open(path.join(dir.dir, 'other.db'));
    try {
      await importFile(store, SAMPLE);
      const v1 = store.corpusVersion();
      expect(store.changedSince(v1)).toMatchObject({ count: 0 });
      await importFile(store, LAWGO_FIXTURE);
      const sample = fs.readFileSync(SAMPLE, 'utf8').split('\n').filter(Boolean);
      const changed = { ...(JSON.parse(sample[7]!) as { id: string }), case_name: '정정된 사건명' };
      const file = path.join(dir.dir, 'one.jsonl');
      fs.writeFileSync(file, JSON.stringify(changed) + '\n');
      await importFile(store, file);
      const since1 = store.changedSince(v1)!;
      const ids = [...since1.rows].map((r) => r.id);
      expect(since1.count).toBe(5);
      expect(ids).toHaveLength(5);
      expect(ids).toContain(changed.id);
      expect(ids.filter((id) => id.startsWith('lawgo-'))).toHaveLength(2);
      expect([...store.changedSince(store.corpusVersion())!.rows]).toEqual([]);
      expect(store.changedSince(other.corpusVersion())).toBeNull();
      expect(store.changedSince('garbage')).toBeNull();
    } finally {
      await store.close();
      await other.close();
      dir.cleanup();
    }
  });
});

describe('importFile', () => {
  it('imports our JSONL (gzip too) idempotently', async () => {
    const gz = path.join(tmp.dir, 'sample.jsonl.gz');
    fs.writeFileSync(gz, zlib.gzipSync(fs.readFileSync(SAMPLE)));
    const first = await importFile(store, gz);
    expect(first).toMatchObject({ lines: 300, inserted: 300, updated: 0, rejected: 0 });
    const version = store.corpusVersion();
    const again = await importFile(store, SAMPLE);
    expect(again).toMatchObject({ inserted: 0, updated: 0, unchanged: 300 });
    expect(store.corpusVersion()).toBe(version);
    expect(store.count()).toBe(300);
  });

  it('imports law.go.kr records and finds them by case number', async () => {
    const r = await importFile(store, LAWGO_FIXTURE);
    expect(r).toMatchObject({ inserted: 4, rejected: 0 });
    const p = await store.getById('lawgo-212345');
    expect(p?.statutes).toContain('민법 제750조');
    expect(p?.cited_cases).toContain('2008다38288');
    const found = await store.findByCaseNumber('2016 다 276177');
    expect(found.map((f) => f.id)).toEqual(['lawgo-212345']);
    expect((await importFile(store, LAWGO_FIXTURE)).unchanged).toBe(4);
  });

  it('reports every bad line with its number and reason and imports the good ones', async () => {
    const good = (n: number) =>
      JSON.stringify({ case_number: `2020가합${n}`, court: '서울중앙지방법원', decision_date: '2020-05-01', case_name: '손해배상', full_text: `본문 ${n}` });
    const lines = [
      good(1),
      '{"case_number": "2020가합2", "court": ', // line 2: broken JSON
      good(3),
      JSON.stringify({ case_number: '2020가합4', court: '서울중앙지방법원', full_text: 'x', decision_date: '2020-02-31' }), // line 4: bad date
      '',
      JSON.stringify({ 사건번호: '2020가합6', 법원명: '서울중앙지방법원', 사건종류명: '우주', 판례내용: 'x' }), // line 6: bad type
      good(7),
    ];
    const file = path.join(tmp.dir, 'mixed.jsonl');
    fs.writeFileSync(file, lines.join('\n'));
    const seen: number[] = [];
    const r = await importFile(store, file, { onProblem: (p) => seen.push(p.line) });
    expect(r).toMatchObject({ lines: 6, inserted: 3, rejected: 3 });
    expect(r.problems.map((p) => [p.line, p.code])).toEqual([
      [2, 'ALAW_ERR_IMPORT_JSON'],
      [4, 'ALAW_ERR_IMPORT_FIELD'],
      [6, 'ALAW_ERR_IMPORT_FIELD'],
    ]);
    expect(seen).toEqual([2, 4, 6]);
    expect(r.problems[1]!.message).toContain('decision_date');
    expect((await store.findByCaseNumber('2020가합7')).length).toBe(1);
    expect((await store.findByCaseNumber('2020가합4')).length).toBe(0);
  });

  it('updates changed records and merges records that name an existing decision', async () => {
    const original = JSON.parse(fs.readFileSync(SAMPLE, 'utf8').split('\n')[5]!);
    const file = path.join(tmp.dir, 'update.jsonl');
    fs.writeFileSync(file, JSON.stringify({ ...original, case_name: `${original.case_name}(정정)` }) + '\n');
    expect(await importFile(store, file)).toMatchObject({ updated: 1, inserted: 0 });
    expect((await store.getById(original.id))?.case_name).toBe(`${original.case_name}(정정)`);

    // The same decision from another source, without our id: updates it, no duplicate.
    const { id: _id, ...withoutId } = original;
    fs.writeFileSync(file, JSON.stringify({ ...withoutId, source: 'other' }) + '\n');
    const before = store.count();
    expect(await importFile(store, file)).toMatchObject({ updated: 1, merged: 1, inserted: 0 });
    expect(store.count()).toBe(before);
    expect((await store.getById(original.id))?.source).toBe('other');
  });

  it('fails clearly on a missing file without touching the database', async () => {
    const before = store.corpusVersion();
    await expect(importFile(store, path.join(tmp.dir, 'nope.jsonl'))).rejects.toThrow();
    expect(store.corpusVersion()).toBe(before);
  });
});

describe('a file that breaks off', () => {
  /** The sample gzip-compressed, cut after `fraction` of its bytes. */
  function truncatedSample(name: string, fraction: number): string {
    const gz = zlib.gzipSync(fs.readFileSync(SAMPLE));
    const file = path.join(tmp.dir, name);
    fs.writeFileSync(file, gz.subarray(0, Math.floor(gz.length * fraction)));
    return file;
  }

  it('keeps every valid line before the break (also those of an unfinished batch), says where, and a full import completes it', async () => {
    const dir = tempDir();
    const own = await PrecedentStore.open(path.join(dir.dir, 'alaw.db'));
    try {
      const cut = truncatedSample('cut.jsonl.gz', 0.5);
      const err = await importFile(own, cut, { batchSize: 1000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ImportIncompleteError);
      const e = err as ImportIncompleteError;
      expect(e.code).toBe('ALAW_ERR_IMPORT_READ');
      expect(e.message).toMatch(/\d+번째 줄 뒤에서 파일을 더 읽을 수 없습니다 \(gzip 파일이 중간에 잘렸습니다\)/u);
      // batchSize 1000 > the lines read: nothing was flushed by the loop, all by the break.
      expect(e.report.inserted).toBeGreaterThan(50);
      expect(e.report.inserted).toBeLessThan(300);
      expect(own.count()).toBe(e.report.inserted);
      expect(e.readError.afterLine).toBeGreaterThanOrEqual(e.report.inserted);

      const full = await importFile(own, SAMPLE);
      expect(full).toMatchObject({ inserted: 300 - e.report.inserted, unchanged: e.report.inserted, rejected: 0 });
      expect(own.count()).toBe(300);
    } finally {
      await own.close();
      dir.cleanup();
    }
  });

  it('a damaged gzip stream is a read error, not a crash', async () => {
    const gz = Buffer.from(zlib.gzipSync(fs.readFileSync(SAMPLE)));
    for (let i = Math.floor(gz.length / 2); i < Math.floor(gz.length / 2) + 64; i++) gz[i] = gz[i]! ^ 0xff;
    const file = path.join(tmp.dir, 'damaged.jsonl.gz');
    fs.writeFileSync(file, gz);
    const dir = tempDir();
    const own = await PrecedentStore.open(path.join(dir.dir, 'alaw.db'));
    try {
      const err = await importFile(own, file).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ImportIncompleteError);
      expect((err as ImportIncompleteError).message).toMatch(/gzip/u);
    } finally {
      await own.close();
      dir.cleanup();
    }
  });

  it('a seed corpus that breaks off stops the start with a clear error, and the next start finishes the import', async () => {
    const dir = tempDir();
    try {
      const cut = truncatedSample('seed-cut.jsonl.gz', 0.5);
      const err = await sampleServices(dir.dir, { 'paths.seedCorpus': cut }).catch((e: unknown) => e);
      expect((err as { code?: string }).code).toBe('ALAW_ERR_SEED_INCOMPLETE');
      expect((err as Error).message).toContain('다음 시작 때 이어서 가져옵니다');
      // The database is no longer empty, but the next start still imports the seed to its end.
      const services = await sampleServices(dir.dir);
      try {
        expect(services.store.count()).toBe(300);
        expect(services.store.getMeta('seed_import_pending')).toBeUndefined();
      } finally {
        await services.close();
      }
    } finally {
      dir.cleanup();
    }
  });
});
