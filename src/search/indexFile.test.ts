import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSample } from '../../test/helpers.js';
import { forEachIndexToken, normalizeText, stringSink } from '../text/index.js';
import { buildIndex } from './builder.js';
import { IndexFileError, readIndexFile, readIndexHeader, writeIndexFile } from './indexFile.js';
import { bm25fImpact, FIELD_COUNT, IMPACT_SCALE } from './params.js';
import { gallop } from './retrieval.js';
import { TEST_PARAMS, toIndexable } from './testing.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alaw-ix-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const docs = readSample().map(toIndexable);
const index = buildIndex(docs, TEST_PARAMS, 'gen:1');

describe('index builder', () => {
  it('stores, for every posting, the BM25F weight computed from the raw text', () => {
    const avg = index.header.avgFieldLengths;
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
      const terms = new Set(counts.flatMap((m) => [...m.keys()]));
      for (const term of terms) {
        const id = index.dict.lookup(term);
        expect(id, term).toBeGreaterThanOrEqual(0);
        const a = index.postingOffsets[id]!;
        const b = index.postingOffsets[id + 1]!;
        const p = gallop(index.postingDocs, a, b, d);
        expect(index.postingDocs[p]).toBe(d);
        const tf = Array.from({ length: FIELD_COUNT }, (_, f) => counts[f]!.get(term) ?? 0);
        const expected = bm25fImpact(TEST_PARAMS, tf, lengths, avg);
        expect(Math.abs(index.postingImpacts[p]! / IMPACT_SCALE - expected)).toBeLessThanOrEqual(0.5 / IMPACT_SCALE + 1e-12);
      }
    }
  });

  it('keeps posting lists sorted by document and maxImpact as their maximum', () => {
    for (let t = 0; t < index.header.termCount; t += 97) {
      let max = 0;
      for (let p = index.postingOffsets[t]!; p < index.postingOffsets[t + 1]!; p++) {
        if (p > index.postingOffsets[t]!) expect(index.postingDocs[p]!).toBeGreaterThan(index.postingDocs[p - 1]!);
        max = Math.max(max, index.postingImpacts[p]!);
      }
      expect(index.termMaxImpact[t]).toBe(max);
    }
  });

  it('looks every term up in its dictionary', () => {
    for (let t = 0; t < index.header.termCount; t += 53) expect(index.dict.lookup(index.dict.term(t))).toBe(t);
    expect(index.dict.lookup('없는낱말입니다')).toBe(-1);
  });
});

describe('index file', () => {
  const file = path.join(dir, 'search.idx');

  it('round-trips everything', () => {
    writeIndexFile(file, index);
    const loaded = readIndexFile(file);
    expect(loaded.header).toEqual(index.header);
    expect(
      Buffer.compare(
        Buffer.from(loaded.postingDocs.buffer, loaded.postingDocs.byteOffset, loaded.postingDocs.byteLength),
        Buffer.from(index.postingDocs.buffer),
      ),
    ).toBe(0);
    expect([...loaded.postingImpacts]).toEqual([...index.postingImpacts]);
    expect(loaded.docs.ids).toEqual(index.docs.ids);
    expect([...loaded.docs.dates]).toEqual([...index.docs.dates]);
    expect([...loaded.docs.levelIds]).toEqual([...index.docs.levelIds]);
    expect(loaded.dict.lookup('취득')).toBe(index.dict.lookup('취득'));
    expect(readIndexHeader(file).corpusVersion).toBe('gen:1');
    // No temporary file is left behind.
    expect(fs.readdirSync(dir)).toEqual(['search.idx']);
  });

  it('detects a flipped byte anywhere in the data', () => {
    writeIndexFile(file, index);
    const size = fs.statSync(file).size;
    for (const at of [Math.floor(size * 0.3), Math.floor(size * 0.7), size - 20]) {
      const buf = fs.readFileSync(file);
      buf[at] = buf[at]! ^ 0xff;
      const bad = path.join(dir, 'bad.idx');
      fs.writeFileSync(bad, buf);
      expect(() => readIndexFile(bad)).toThrow(IndexFileError);
    }
  });

  it('detects truncation, garbage and a missing file', () => {
    writeIndexFile(file, index);
    const bad = path.join(dir, 'bad.idx');
    fs.writeFileSync(bad, fs.readFileSync(file).subarray(0, 5000));
    expect(() => readIndexFile(bad)).toThrow(IndexFileError);
    fs.writeFileSync(bad, Buffer.concat([fs.readFileSync(file), Buffer.alloc(8)]));
    expect(() => readIndexFile(bad)).toThrow(IndexFileError);
    fs.writeFileSync(bad, 'not an index');
    expect(() => readIndexFile(bad)).toThrow(IndexFileError);
    expect(() => readIndexHeader(bad)).toThrow(IndexFileError);
    expect(() => readIndexFile(path.join(dir, 'missing.idx'))).toThrow(IndexFileError);
  });
});
