import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSample } from '../../test/helpers.js';
import { forEachIndexToken, normalizeText, stringSink } from '../text/index.js';
import { buildIndex } from './builder.js';
import { findDocById, findDocsByCaseKey, docCaseNumber, docId } from './indexData.js';
import { MANIFEST_FILE, readIndexDir, readManifest, writeIndexDir } from './indexDir.js';
import { bm25fImpact, FIELD_COUNT, IMPACT_SCALE } from './params.js';
import { decodeAll } from './postings/cursor.js';
import { impactOf, termIds } from './retrieval.js';
import { align8, IndexFileError, readSegmentFile } from './segmentFile.js';
import { TEST_PARAMS, toIndexable } from './testing.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alaw-ix-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const docs = readSample().map(toIndexable);
const single = buildIndex(docs, TEST_PARAMS, 'gen:1');
// The same documents in four segments that share the first one's average field lengths.
const multi = buildIndex(docs, TEST_PARAMS, 'gen:1', { segmentDocs: 80 });

describe('index builder', () => {
  it('stores, for every posting, the BM25F weight computed from the raw text', () => {
    const avg = single.header.avgFieldLengths;
    // Recount a few documents independently and compare every term's impact.
    for (const d of [0, 17, 150, 299]) {
      const doc = docs[d]!;
      const counts: Map<string, number>[] = [];
      const lengths: number[] = [];
      for (const text of [doc.case_name, doc.holdings, doc.summary, doc.full_text]) {
        const m = new Map<string, number>();
        lengths.push(
          text
            ? forEachIndexToken(
                normalizeText(text),
                stringSink((t) => m.set(t, (m.get(t) ?? 0) + 1)),
              )
            : 0,
        );
        counts.push(m);
      }
      for (const term of new Set(counts.flatMap((m) => [...m.keys()]))) {
        const ids = termIds(single, term);
        expect(ids[0], term).toBeGreaterThanOrEqual(0);
        const tf = Array.from({ length: FIELD_COUNT }, (_, f) => counts[f]!.get(term) ?? 0);
        const expected = bm25fImpact(TEST_PARAMS, tf, lengths, avg);
        expect(Math.abs(impactOf(single, ids, d) / IMPACT_SCALE - expected)).toBeLessThanOrEqual(0.5 / IMPACT_SCALE + 1e-12);
      }
    }
  });

  it('splits into segments that hold the same postings, renumbered', () => {
    expect(multi.segments.map((s) => s.header.docCount)).toEqual([80, 80, 80, 60]);
    expect([...multi.bases]).toEqual([0, 80, 160, 240, 300]);
    // Every segment was scored with the first segment's averages, so impacts agree with a
    // single-segment build computed with those averages.
    for (const seg of multi.segments) expect(seg.header.avgFieldLengths).toEqual(multi.header.avgFieldLengths);
    const sameAvg = buildIndex(docs.slice(0, 80), TEST_PARAMS, 'x');
    expect(sameAvg.header.avgFieldLengths).toEqual(multi.header.avgFieldLengths);
    for (const term of ['취득', '시효', '손해', '배상', '소유']) {
      const ids = termIds(multi, term);
      const all: [number, number][] = [];
      multi.segments.forEach((seg, s) => {
        if (ids[s]! < 0) return;
        const { docs: d, impacts } = decodeAll(seg.postings, ids[s]!);
        d.forEach((x, i) => all.push([multi.bases[s]! + x, impacts[i]!]));
      });
      const df = all.length;
      expect(df, term).toBeGreaterThan(0);
      const oneIds = termIds(single, term);
      expect(decodeAll(single.segments[0]!.postings, oneIds[0]!).docs.length).toBe(df);
    }
    expect(multi.header.docCount).toBe(300);
    for (const d of [0, 79, 80, 250, 299]) {
      expect(docId(multi, d)).toBe(docs[d]!.id);
      expect(docCaseNumber(multi, d)).toBe(docs[d]!.case_number);
      expect(findDocById(multi, docs[d]!.id)).toBe(d);
    }
    expect(findDocById(multi, 'no-such-id')).toBeUndefined();
    expect(findDocsByCaseKey(multi, docs[123]!.case_number)).toContain(123);
  });
});

describe('section offsets', () => {
  it('stay exact past 2 GiB and 4 GiB (a million decisions write a 2.3 GB postings section)', () => {
    // `(n + 7) & ~7` wrapped to negative offsets here and made a 1 M-decision index unreadable.
    for (const n of [0, 1, 7, 8, 9, 2 ** 31 - 3, 2 ** 31, 2 ** 31 + 1, 2_516_290_141, 2 ** 32 + 5, 3 * 2 ** 33 + 1]) {
      const a = align8(n);
      expect(a % 8).toBe(0);
      expect(a).toBeGreaterThanOrEqual(n);
      expect(a - n).toBeLessThan(8);
    }
  });
});

describe('index directory', () => {
  it('round-trips every segment and writes no stray files', () => {
    const target = path.join(dir, 'rt');
    writeIndexDir(target, multi);
    const loaded = readIndexDir(target);
    expect(loaded.header).toEqual(multi.header);
    expect(loaded.segments.length).toBe(4);
    loaded.segments.forEach((seg, s) => {
      const orig = multi.segments[s]!;
      expect(
        Buffer.compare(
          Buffer.from(seg.postings.words.buffer, seg.postings.words.byteOffset, seg.postings.words.byteLength),
          Buffer.from(orig.postings.words.buffer, orig.postings.words.byteOffset, orig.postings.words.byteLength),
        ),
      ).toBe(0);
      expect([...seg.postings.blockMaxImpact]).toEqual([...orig.postings.blockMaxImpact]);
      expect(seg.dict.lookup('취득')).toBe(orig.dict.lookup('취득'));
    });
    expect([...loaded.docs.dates]).toEqual([...multi.docs.dates]);
    expect([...loaded.docs.levelIds]).toEqual([...multi.docs.levelIds]);
    expect(loaded.docs.courts).toEqual(multi.docs.courts);
    expect(docId(loaded, 200)).toBe(docs[200]!.id);
    expect(findDocById(loaded, docs[42]!.id)).toBe(42);
    expect(readManifest(target).corpusVersion).toBe('gen:1');
    const files = fs.readdirSync(target).sort();
    expect(files).toEqual([MANIFEST_FILE, 'seg-000001-0001.seg', 'seg-000001-0002.seg', 'seg-000001-0003.seg', 'seg-000001-0004.seg']);
  });

  it('a new generation replaces the segments of the old one only once its manifest is in place', () => {
    const target = path.join(dir, 'gen');
    writeIndexDir(target, multi);
    // A crash after writing new segments but before the manifest: the old manifest still loads.
    fs.copyFileSync(path.join(target, 'seg-000001-0001.seg'), path.join(target, 'seg-000002-0001.seg'));
    fs.writeFileSync(path.join(target, `${MANIFEST_FILE}.tmp-999`), '{"half":');
    expect(readIndexDir(target).segments.length).toBe(4);
    const { manifest } = writeIndexDir(target, single);
    expect(manifest.generation).toBe(2);
    expect(fs.readdirSync(target).sort()).toEqual([MANIFEST_FILE, 'seg-000002-0001.seg']);
    expect(readIndexDir(target).header.docCount).toBe(300);
  });

  it('detects a flipped byte, truncation, garbage, a missing segment and an old single-file index', () => {
    const target = path.join(dir, 'bad');
    writeIndexDir(target, single);
    const seg = path.join(target, 'seg-000001-0001.seg');
    const good = fs.readFileSync(seg);
    for (const at of [Math.floor(good.length * 0.3), Math.floor(good.length * 0.7), good.length - 20]) {
      const buf = Buffer.from(good);
      buf[at] = buf[at]! ^ 0xff;
      fs.writeFileSync(seg, buf);
      expect(() => readSegmentFile(seg)).toThrow(IndexFileError);
      expect(() => readIndexDir(target)).toThrow(IndexFileError);
    }
    fs.writeFileSync(seg, good.subarray(0, 5000));
    expect(() => readSegmentFile(seg)).toThrow(IndexFileError);
    fs.writeFileSync(seg, Buffer.concat([good, Buffer.alloc(8)]));
    expect(() => readSegmentFile(seg)).toThrow(IndexFileError);
    fs.writeFileSync(seg, 'not an index');
    expect(() => readSegmentFile(seg)).toThrow(IndexFileError);
    fs.rmSync(seg);
    expect(() => readIndexDir(target)).toThrow(/파일이 없습니다/u);
    // A format-1 index file (binary, not a manifest) is reported, so it gets rebuilt.
    fs.writeFileSync(path.join(target, MANIFEST_FILE), Buffer.concat([Buffer.from('ALAWIDX1'), Buffer.alloc(64)]));
    expect(() => readManifest(target)).toThrow(/이전 형식/u);
  });
});
