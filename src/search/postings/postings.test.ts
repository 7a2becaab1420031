import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bitsFor, pack, packedWords, unpack } from './bitpack.js';
import { decodeAll, NO_MORE_DOCS, PostingCursor } from './cursor.js';
import { BLOCK_SIZE, PostingsWriter } from './format.js';

describe('bit packing', () => {
  it('round-trips any values at any width, including 0 and 32 bits', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 32 }), fc.array(fc.nat(), { minLength: 0, maxLength: 300 }), (bits, raw) => {
        const max = bits === 32 ? 0xffffffff : 2 ** bits - 1;
        const values = Uint32Array.from(raw, (v) => (bits === 0 ? 0 : v % (max + 1)));
        const out = new Uint32Array(packedWords(values.length, bits) + 2).fill(0xdeadbeef);
        const words = pack(values, values.length, bits, out, 1);
        expect(words).toBe(packedWords(values.length, bits));
        expect(out[0]).toBe(0xdeadbeef); // nothing written before `at`
        expect(out[1 + words]).toBe(0xdeadbeef); // nor after the packed words
        const back = new Uint32Array(values.length);
        unpack(out, 1, values.length, bits, back);
        expect([...back]).toEqual([...values]);
      }),
    );
  });

  it('needs the bits of the largest value', () => {
    expect([0, 1, 2, 3, 255, 256, 65535, 2 ** 31, 2 ** 32 - 1].map(bitsFor)).toEqual([0, 1, 2, 2, 8, 9, 16, 32, 32]);
  });
});

/** Random terms: ascending distinct documents below `maxDoc`, impacts 1 … 255. */
const term = (maxDoc: number) =>
  fc
    .uniqueArray(fc.integer({ min: 0, max: maxDoc }), { minLength: 0, maxLength: 700 })
    .chain((docs) =>
      fc.tuple(fc.constant(docs.sort((a, b) => a - b)), fc.array(fc.integer({ min: 1, max: 255 }), { minLength: docs.length, maxLength: docs.length })),
    );

describe('block-compressed postings', () => {
  it('decode to exactly what was written, with true block and term maxima', () => {
    fc.assert(
      fc.property(fc.array(term(5000), { minLength: 1, maxLength: 6 }), (terms) => {
        const w = new PostingsWriter();
        for (const [docs, imps] of terms) w.addTerm(docs, imps, 0, docs.length);
        const p = w.finish();
        expect(w.postingCount).toBe(terms.reduce((s, [d]) => s + d.length, 0));
        terms.forEach(([docs, imps], t) => {
          const back = decodeAll(p, t);
          expect([...back.docs]).toEqual(docs);
          expect([...back.impacts]).toEqual(imps);
          expect(p.termDf[t]).toBe(docs.length);
          expect(p.termMaxImpact[t]).toBe(imps.length ? Math.max(...imps) : 0);
          for (let b = p.termBlock[t]!; b < p.termBlock[t + 1]!; b++) {
            const k = (b - p.termBlock[t]!) * BLOCK_SIZE;
            const slice = imps.slice(k, k + BLOCK_SIZE);
            expect(p.blockMaxImpact[b]).toBe(Math.max(...slice));
            expect(p.blockLastDoc[b]).toBe(docs[Math.min(docs.length, k + BLOCK_SIZE) - 1]);
          }
        });
      }),
    );
  });

  it('advance lands on the first document ≥ target, from any position, and never moves back', () => {
    fc.assert(
      fc.property(term(100_000), fc.array(fc.integer({ min: 0, max: 100_100 }), { maxLength: 40 }), ([docs, imps], targets) => {
        const w = new PostingsWriter();
        w.addTerm(docs, imps, 0, docs.length);
        const c = new PostingCursor(w.finish(), 0);
        let at = docs.length ? docs[0]! : NO_MORE_DOCS;
        expect(c.doc).toBe(at);
        for (const target of targets.sort((a, b) => a - b)) {
          const want = docs.find((d) => d >= Math.max(target, at)) ?? NO_MORE_DOCS;
          expect(c.advance(target)).toBe(want);
          if (want !== NO_MORE_DOCS) expect(c.impact()).toBe(imps[docs.indexOf(want)]);
          at = want;
        }
      }),
    );
  });

  it('packs dense lists in a few bits per posting', () => {
    const docs = Array.from({ length: 10_000 }, (_, i) => i * 3);
    const imps = Array.from({ length: 10_000 }, (_, i) => 150 + (i % 100));
    const w = new PostingsWriter();
    w.addTerm(docs, imps, 0, docs.length);
    const p = w.finish();
    // gaps of 2 need 2 bits, impacts within 100 of the block minimum 7: (2 + 7) / 32 words + a header per block.
    expect(p.words.length).toBeLessThan(Math.ceil(10_000 / BLOCK_SIZE) * (1 + Math.ceil((BLOCK_SIZE * 9) / 32)) + 1);
  });
});
