import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSample } from '../../test/helpers.js';
import { isAlawError } from '../errors/index.js';
import { buildIndex, type IndexableDocument } from './builder.js';
import { selectMerge, type MergePolicy } from './incremental.js';
import { docId, findDocById, type SearchIndex } from './indexData.js';
import { MANIFEST_FILE, readIndexDir, readManifest, type ManifestSegment } from './indexDir.js';
import { ensureIndex, updateIndexDir, type CorpusSource } from './lifecycle.js';
import { bruteForceScores, maxScoreTopK, termIds, type ScoringTerm } from './retrieval.js';
import { TEST_PARAMS, toIndexable } from './testing.js';
import { WRITE_LOCK_FILE, withIndexWriteLock } from './writeLock.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'alaw-inc-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const sample = readSample().map(toIndexable);
const QUERY = ['취득', '시효', '손해', '배상', '소유', '계약', '해제', '사기', '고의', '판결', '불법', '행위'];

/** The store as the index sees it: rows with the revision that last wrote them. */
class MemorySource implements CorpusSource {
  private readonly rows = new Map<string, { doc: IndexableDocument; rev: number }>();
  private rev = 0;
  constructor(private readonly gen = 'g') {}
  put(docs: readonly IndexableDocument[]): void {
    this.rev++;
    for (const doc of docs) {
      this.rows.delete(doc.id); // an update moves to the end, as a new rowid would not; order is irrelevant here
      this.rows.set(doc.id, { doc, rev: this.rev });
    }
  }
  corpusVersion(): string {
    return `${this.gen}:${this.rev}`;
  }
  count(): number {
    return this.rows.size;
  }
  scanForIndex(): Iterable<IndexableDocument> {
    return [...this.rows.values()].map((r) => r.doc);
  }
  changedSince(version: string): { count: number; rows: Iterable<IndexableDocument> } | null {
    const [gen, rev] = version.split(':');
    if (gen !== this.gen) return null;
    const rows = [...this.rows.values()].filter((r) => r.rev > Number(rev)).map((r) => r.doc);
    return { count: rows.length, rows };
  }
}

function query(ix: SearchIndex): ScoringTerm[] {
  return QUERY.map((t, i) => ({ ids: termIds(ix, t), weight: 1 + (i % 3) }));
}

/** Top k as (decision id, score), ties broken by id so two numberings compare. */
function top(ix: SearchIndex, k: number): [string, number][] {
  // Deletions are a filter, as the engine applies them (SearchEngine.compileFilter).
  const live = ix.deleted ? (d: number): boolean => ix.deleted![d] === 0 : undefined;
  return maxScoreTopK(ix, query(ix), k, live).hits.map((h) => [docId(ix, h.doc), h.score]);
}

/** The reference: every live document scored exhaustively. */
function reference(ix: SearchIndex, k: number): [string, number][] {
  const live = (d: number): boolean => !ix.deleted || ix.deleted[d] === 0;
  return bruteForceScores(ix, query(ix), { filter: live })
    .slice(0, k)
    .map((h) => [docId(ix, h.doc), h.score]);
}

const byScoreThenId = (a: [string, number], b: [string, number]): number => b[1] - a[1] || a[0].localeCompare(b[0]);

function options(dir: string, source: CorpusSource) {
  return { dir, params: TEST_PARAMS, source };
}

describe('incremental index updates', () => {
  it('indexes only the new decisions, as a new segment that scores exactly as a full build with the same averages', () => {
    const dir = path.join(root, 'add');
    const source = new MemorySource();
    source.put(sample.slice(0, 200));
    const first = ensureIndex(options(dir, source));
    expect(first.rebuiltBecause).toBeTruthy();
    const before = readManifest(dir);

    source.put(sample.slice(200));
    const u = updateIndexDir(options(dir, source));
    expect(u).toMatchObject({ kind: 'incremental', added: 100, deleted: 0, mergedSegments: 0 });
    const m = readManifest(dir);
    expect(m.corpusVersion).toBe('g:2');
    expect(m.segments.map((s) => s.docCount)).toEqual([200, 100]);
    // The first segment's file is untouched: the update wrote only the new one.
    expect(m.segments[0]).toEqual(before.segments[0]);

    const ix = readIndexDir(dir, first.index);
    expect(ix.segments[0]).toBe(first.index.segments[0]); // reused, not read again
    expect(ix.header.docCount).toBe(300);
    const full = buildIndex(sample, TEST_PARAMS, 'x', { avgFieldLengths: first.index.header.avgFieldLengths });
    for (const k of [1, 10, 40]) expect(top(ix, k).sort(byScoreThenId)).toEqual(top(full, k).sort(byScoreThenId));
    expect(findDocById(ix, sample[250]!.id)).toBe(250);
    expect(updateIndexDir(options(dir, source))).toEqual({ kind: 'current' });
  });

  it('marks the replaced versions deleted: each decision is found once, with its new text', () => {
    const dir = path.join(root, 'replace');
    const source = new MemorySource();
    source.put(sample);
    ensureIndex(options(dir, source));
    // Ten decisions get another decision's text (a corrected record).
    const changed = sample.slice(0, 10).map((d, i) => ({ ...d, full_text: sample[150 + i]!.full_text, holdings: sample[150 + i]!.holdings }));
    source.put(changed);
    const u = updateIndexDir(options(dir, source));
    expect(u).toMatchObject({ kind: 'incremental', added: 10, deleted: 10 });
    const m = readManifest(dir);
    expect(m.segments[0]!.deletions).toMatchObject({ count: 10 });
    expect(fs.existsSync(path.join(dir, m.segments[0]!.deletions!.file))).toBe(true);

    const ix = readIndexDir(dir);
    expect(ix.header.docCount).toBe(310); // deleted documents count until a merge drops them (as in Lucene)
    for (const d of changed) {
      const doc = findDocById(ix, d.id)!;
      expect(doc).toBeGreaterThanOrEqual(300); // the new segment's version
    }
    const hits = top(ix, 60);
    expect(new Set(hits.map((h) => h[0])).size).toBe(hits.length);
    expect(hits).toEqual(reference(ix, 60));
  });

  it('merges small segments by the policy, dropping deleted documents, with the same answers', () => {
    const dir = path.join(root, 'merge');
    const source = new MemorySource();
    source.put(sample.slice(0, 200));
    ensureIndex(options(dir, source));
    const policy: MergePolicy = { smallRatio: 1 / 8, smallCount: 4, deletedRatio: 0.25 };
    const counts: number[] = [];
    let merges = 0;
    for (let i = 0; i < 10; i++) {
      // Ten new decisions per import, and two of the previous import's replaced.
      const fresh = sample.slice(200 + i * 10, 210 + i * 10);
      const replaced = i > 0 ? sample.slice(190 + i * 10, 192 + i * 10).map((d) => ({ ...d, case_name: `${d.case_name} (정정)` })) : [];
      source.put([...fresh, ...replaced]);
      const u = updateIndexDir({ ...options(dir, source), mergePolicy: policy });
      if (u.kind !== 'incremental') throw new Error(`expected an incremental update, got ${u.kind}`);
      if (u.mergedSegments > 0) merges++;
      counts.push(readManifest(dir).segments.length);
    }
    expect(merges).toBeGreaterThan(0);
    expect(Math.max(...counts)).toBeLessThanOrEqual(1 + policy.smallCount);
    const ix = readIndexDir(dir);
    expect(ix.header.docCount - (ix.deleted?.reduce((a, b) => a + b, 0) ?? 0)).toBe(300);
    expect(top(ix, 50)).toEqual(reference(ix, 50));
    for (const d of sample) expect(findDocById(ix, d.id)).toBeDefined();
    // No file the manifest does not name is left behind.
    const named = new Set([MANIFEST_FILE, ...readManifest(dir).segments.flatMap((s) => (s.deletions ? [s.file, s.deletions.file] : [s.file]))]);
    expect(fs.readdirSync(dir).filter((f) => !named.has(f))).toEqual([]);
  });

  it('selects small segments once there are enough of them, and segments with many deletions', () => {
    const seg = (docCount: number, deleted = 0): ManifestSegment => ({
      name: 'seg-000001-0001',
      file: 'seg-000001-0001.seg',
      docCount,
      termCount: 1,
      postingCount: 1,
      createdAt: 't',
      bytes: 1,
      ...(deleted ? { deletions: { file: 'seg-000001-0001.000002.del', count: deleted, bytes: 1 } } : {}),
    });
    expect(selectMerge([seg(1_000_000), seg(1000), seg(1000)])).toBeNull();
    expect(selectMerge([seg(1_000_000), ...Array.from({ length: 8 }, () => seg(1000))])).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(selectMerge([seg(1_000_000, 300_000), seg(1000)])).toEqual([0]);
    expect(selectMerge([seg(1_000_000, 1000), seg(1000, 10)])).toBeNull();
  });

  it('falls back to a rebuild when the database is another one or most decisions changed', () => {
    const dir = path.join(root, 'fallback');
    const source = new MemorySource('a');
    source.put(sample.slice(0, 100));
    ensureIndex(options(dir, source));
    source.put(sample.slice(100)); // 200 changed against 100 indexed: more than a quarter (and the floor is 1000 here)
    expect(updateIndexDir(options(dir, source)).kind).toBe('incremental');
    const other = new MemorySource('b');
    other.put(sample);
    const u = updateIndexDir(options(dir, other));
    expect(u.kind).toBe('rebuilt');
    expect(readManifest(dir).segments.length).toBe(1);
  });

  it('survives a crash in the middle of an update: the previous index loads, and the next update cleans up', () => {
    const dir = path.join(root, 'crash');
    const source = new MemorySource();
    source.put(sample.slice(0, 250));
    ensureIndex(options(dir, source));
    const m = readManifest(dir);
    // What a crash between writing a new segment and committing the manifest leaves.
    fs.copyFileSync(path.join(dir, m.segments[0]!.file), path.join(dir, 'seg-000009-0001.seg'));
    fs.writeFileSync(path.join(dir, 'seg-000001-0001.000009.del'), 'half');
    fs.writeFileSync(path.join(dir, `${MANIFEST_FILE}.tmp-4242`), '{"format":');
    expect(readIndexDir(dir).header.docCount).toBe(250);
    source.put(sample.slice(250));
    expect(updateIndexDir(options(dir, source)).kind).toBe('incremental');
    expect(fs.readdirSync(dir).sort()).toEqual([MANIFEST_FILE, ...readManifest(dir).segments.map((s) => s.file)].sort());
    expect(readIndexDir(dir).header.docCount).toBe(300);
  });

  it('rebuilds when a deletion file is damaged, instead of serving replaced decisions', () => {
    const dir = path.join(root, 'baddel');
    const source = new MemorySource();
    source.put(sample);
    ensureIndex(options(dir, source));
    source.put(sample.slice(0, 5).map((d) => ({ ...d, case_name: `${d.case_name} 2` })));
    updateIndexDir(options(dir, source));
    const del = path.join(dir, readManifest(dir).segments[0]!.deletions!.file);
    const buf = fs.readFileSync(del);
    buf[buf.length - 1]! ^= 0x01;
    fs.writeFileSync(del, buf);
    expect(() => readIndexDir(dir)).toThrow(/체크섬/u);
    const r = ensureIndex(options(dir, source));
    expect(r.rebuiltBecause).toMatch(/체크섬/u);
    expect(r.index.segments.length).toBe(1);
    expect(r.index.header.docCount).toBe(300);
  });

  it('lets one writer at a time: a live owner blocks, a dead one is taken over', () => {
    const dir = path.join(root, 'lock');
    fs.mkdirSync(dir, { recursive: true });
    const lock = path.join(dir, WRITE_LOCK_FILE);
    fs.writeFileSync(lock, JSON.stringify({ pid: process.ppid, host: os.hostname(), since: '2026-12-06T00:00:00Z' }));
    let caught: unknown;
    try {
      withIndexWriteLock(dir, () => 1);
    } catch (err) {
      caught = err;
    }
    expect(isAlawError(caught) && caught.code).toBe('ALAW_ERR_INDEX_BUSY');
    expect((caught as Error).message).toContain(`PID ${process.ppid}`);
    // An owner that no longer runs (pids this large are not handed out here).
    fs.writeFileSync(lock, JSON.stringify({ pid: 2 ** 22 + 7, host: os.hostname(), since: 'x' }));
    expect(withIndexWriteLock(dir, () => fs.readFileSync(lock, 'utf8'))).toContain(`"pid":${process.pid}`);
    expect(fs.existsSync(lock)).toBe(false);
  });
});
