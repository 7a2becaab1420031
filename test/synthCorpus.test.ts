import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildPool, synthesize, type CorpusRecord, type SourceRecord } from '../bench/synthCorpus.js';
import { toPrecedent } from '../src/corpus/index.js';
import { courtLevelOf, parseCaseNumber } from '../src/legal/index.js';
import { SAMPLE } from './helpers.js';

const source = fs
  .readFileSync(SAMPLE, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l) as SourceRecord);
const pool = buildPool(source);
const N = 2000;
const generated: CorpusRecord[] = [...synthesize(pool, N, 7)];

describe('synthesize (bench corpus generator)', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    expect([...synthesize(source, 300, 7)]).toEqual(generated.slice(0, 300));
    const other = [...synthesize(pool, 300, 8)];
    expect(other.map((r) => r.full_text)).not.toEqual(generated.slice(0, 300).map((r) => r.full_text));
    expect([...synthesize(pool, 0, 7)]).toEqual([]);
  });

  it('gives unique ids (synth- + sha1 of seed|index) and a unique (case_number, court)', () => {
    generated.forEach((r, i) => expect(r.id).toBe('synth-' + createHash('sha1').update(`7|${i}`).digest('hex').slice(0, 16)));
    expect(new Set(generated.map((r) => r.id)).size).toBe(N);
    expect(new Set(generated.map((r) => `${r.case_number}|${r.court}`)).size).toBe(N);
  });

  it('produces records the importer accepts unchanged', () => {
    for (const r of generated) {
      const res = toPrecedent(JSON.parse(JSON.stringify(r)), 'test');
      if (!res.ok) throw new Error(`${r.id}: ${res.problem.message}`);
      expect(res.record).toEqual(r);
      expect(Object.keys(r).sort()).toEqual(
        [
          'case_name',
          'case_number',
          'case_type',
          'cited_cases',
          'court',
          'decision_date',
          'full_text',
          'holdings',
          'id',
          'source',
          'statutes',
          'summary',
        ].sort(),
      );
      expect(r).toMatchObject({ summary: null, statutes: null, cited_cases: null, source: 'synthetic' });
    }
  });

  it('writes case numbers the parser reads, of the case type, court level and decision year', () => {
    for (const r of generated) {
      const parsed = parseCaseNumber(r.case_number);
      expect(parsed, r.case_number).toHaveLength(1);
      const n = parsed![0]!;
      expect(n.normalized).toBe(r.case_number);
      const level = courtLevelOf(r.court);
      if (level !== '특허법원') expect(n.category).toBe(r.case_type);
      if (level === '대법원') expect(['다', '마', '그', '도', '모', '두', '누']).toContain(n.code);
      if (level === '고등법원') expect(['나', '라', '노', '누']).toContain(n.code);
      if (level === '지방법원') expect(['가합', '가단', '나', '고합', '고단', '노', '구합']).toContain(n.code);
      const year = Number(r.decision_date!.slice(0, 4));
      const caseYear = n.year.length === 2 ? 1900 + Number(n.year) : Number(n.year);
      expect(year - caseYear).toBeGreaterThanOrEqual(0);
      expect(year - caseYear).toBeLessThanOrEqual(2);
      expect(n.year.length).toBe(caseYear < 2000 ? 2 : 4);
    }
  });

  it('recombines distinct texts with the 주문/이유 structure, on weekdays, mostly after 2000', () => {
    // From a 300-decision pool a short text (two one-paragraph donors, nothing to rewrite) can come
    // out twice; from the dev corpus's pool none did in 100,000 (docs/BENCHMARKS.md).
    expect(new Set(generated.map((r) => r.full_text)).size).toBeGreaterThanOrEqual(N - 3);
    const names = new Set(source.map((r) => r.case_name));
    for (const r of generated) {
      expect(r.full_text).toMatch(/^【주문】\n[^\n]+(\n[^\n]+)*\n\n【이유】\n[^\n]+(\n[^\n]+)+$/u);
      expect(names.has(r.case_name)).toBe(true);
      expect([0, 6]).not.toContain(new Date(r.decision_date!).getUTCDay());
    }
    const recent = generated.filter((r) => r.decision_date! >= '2000').length;
    expect(recent / N).toBeGreaterThan(0.6);
    expect(generated.filter((r) => r.holdings !== null).length / N).toBeGreaterThan(0.9);
  });
});
