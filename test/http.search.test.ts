import fc from 'fast-check';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerServices } from '../src/app/index.js';
import { buildApp } from '../src/http/index.js';
import { formatCitation } from '../src/legal/index.js';
import { readSample, sampleServices, tempDir } from './helpers.js';

let services: ServerServices;
let app: FastifyInstance;
const tmp = tempDir();
const sample = readSample();

beforeAll(async () => {
  services = await sampleServices(tmp.dir);
  app = await buildApp(services);
});
afterAll(async () => {
  await app.close();
  await services.close();
  tmp.cleanup();
});

interface Hit {
  id: string;
  case_number: string;
  court: string;
  court_level: string;
  decision_date: string | null;
  case_type: string;
  score: number;
  match: string;
  snippet?: string;
}
interface Result {
  mode: string;
  total: number;
  total_relation: string;
  total_pages: number | null;
  relaxed: boolean;
  notices: string[];
  took_ms: number;
  page: number;
  size: number;
  hits: Hit[];
}

async function search(query: Record<string, string | number>): Promise<{ status: number; body: Result & { error?: { code: string; message: string } } }> {
  const res = await app.inject({ method: 'GET', url: '/api/search', query: Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)])) });
  return { status: res.statusCode, body: res.json() };
}

async function fullText(id: string): Promise<string> {
  const res = await app.inject({ method: 'GET', url: `/api/precedents/${encodeURIComponent(id)}` });
  expect(res.statusCode).toBe(200);
  const p = res.json<{ case_name: string; holdings: string | null; full_text: string }>();
  return `${p.case_name} ${p.holdings ?? ''} ${p.full_text}`;
}

describe('GET /api/search', () => {
  it('returns ranked decisions containing every query word, with highlighted snippets', async () => {
    const { status, body } = await search({ q: '취득시효 완성 후 소유권이전등기' });
    expect(status).toBe(200);
    expect(body.mode).toBe('all');
    expect(body.total_relation).toBe('eq');
    expect(body.total).toBeGreaterThan(0);
    expect(body.hits.length).toBeGreaterThan(0);
    for (let i = 1; i < body.hits.length; i++) expect(body.hits[i - 1]!.score).toBeGreaterThanOrEqual(body.hits[i]!.score);
    for (const h of body.hits) {
      expect(Object.keys(h).sort()).toEqual(
        ['case_name', 'case_number', 'case_type', 'court', 'court_level', 'decision_date', 'id', 'match', 'score', 'snippet'].sort(),
      );
      expect(h.snippet).toMatch(/<mark>[^<]+<\/mark>/);
      const text = (await fullText(h.id)).replace(/\s+/g, '');
      for (const part of ['취득', '시효', '완성', '소유권', '이전', '등기']) expect(text).toContain(part);
    }
  });

  it('counts exactly: total equals the number of decisions reachable through pages', async () => {
    const first = await search({ q: '손해배상', size: 100 });
    expect(first.body.total_relation).toBe('eq');
    const seen = new Set(first.body.hits.map((h) => h.id));
    for (let page = 2; page <= (first.body.total_pages ?? 1); page++) {
      const next = await search({ q: '손해배상', size: 100, page });
      for (const h of next.body.hits) {
        expect(seen.has(h.id)).toBe(false);
        seen.add(h.id);
      }
    }
    expect(seen.size).toBe(first.body.total);
  });

  it('puts the decision named by a case number or a full citation first', async () => {
    for (const q of ['94나3943', '94 나 3943', '대법원 1995. 1. 17. 선고 94나3943 판결', '94나3943 취득시효']) {
      const { status, body } = await search({ q });
      expect(status, q).toBe(200);
      expect(body.hits[0]?.id, q).toBe('lawydot-003ed386129459ce');
      expect(body.hits[0]?.match).toBe('case_number');
    }
  });

  it('pins every case number of a list (92다41054, 93다42016), and says when a citation names another court or date', async () => {
    const plain = sample.filter((r) => /^[0-9]{2,4}[가-힣]+[0-9]+$/u.test(String(r.case_number)));
    const a = plain[0]!;
    const b = plain.find((r) => String(r.case_number).replace(/[0-9]/gu, '') !== String(a.case_number).replace(/[0-9]/gu, ''))!;
    for (const q of [`${a.case_number}, ${b.case_number}`, `${a.case_number},${b.case_number}`]) {
      const { body } = await search({ q });
      expect(
        body.hits
          .slice(0, 2)
          .map((h) => h.id)
          .sort(),
        q,
      ).toEqual([a.id, b.id].sort());
      expect(body.notices, q).toEqual([]);
    }
    const listed = await app.inject({ method: 'GET', url: '/api/precedents', query: { case_number: `${a.case_number}, ${b.case_number}` } });
    expect(
      listed
        .json()
        .items.map((i: { id: string }) => i.id)
        .sort(),
    ).toEqual([a.id, b.id].sort());

    // 94나3943 is a 전주지방법원 decision of 1994. 9. 1.; the citation says 대법원 1995. 1. 17.
    const cited = await search({ q: '대법원 1995. 1. 17. 선고 94나3943 판결' });
    expect(cited.body.hits[0]?.id).toBe('lawydot-003ed386129459ce');
    expect(cited.body.notices).toHaveLength(1);
    expect(cited.body.notices[0]).toMatch(
      /^인용한 대법원 1995\. 1\. 17\. 94나3943 판례는 없고, 같은 사건번호의 전주지방법원 .* 선고 94나3943 판례를 보여 줍니다/u,
    );
    const filtered = await search({ q: '대법원 1995. 1. 17. 선고 94나3943 판결', court_level: '대법원' });
    expect(filtered.body.notices.some((n) => n.includes('판례가 있습니다 (이 조건에서는 제외됨)'))).toBe(true);
    const right = await search({
      q: `${formatCitation({ court: '전주지방법원', decision_date: cited.body.hits[0]!.decision_date, case_number: '94나3943' })} 판결`,
    });
    expect(right.body.notices).toEqual([]);
  });

  it('finds the decision a long case description was taken from (similar-case mode)', async () => {
    const target = sample.find((r) => String(r.full_text).length > 1500)!;
    const description = String(target.full_text).slice(200, 1200);
    const res = await app.inject({ method: 'POST', url: '/api/search', payload: { q: description, size: 5 } });
    expect(res.statusCode).toBe(200);
    const body = res.json<Result & { query_terms: { used: number; dropped: number } }>();
    expect(body.mode).toBe('similar');
    expect(body.total_relation).toBe('gte');
    expect(body.query_terms.used).toBeLessThanOrEqual(services.config.search.similarMaxTerms);
    expect(body.query_terms.dropped).toBeGreaterThan(0);
    expect(body.hits[0]?.id).toBe(target.id);
  });

  it('filters by court level, case type, court and date range', async () => {
    const lv = await search({ q: '손해배상', court_level: '대법원', size: 50 });
    expect(lv.body.hits.length).toBeGreaterThan(0);
    expect(lv.body.hits.every((h) => h.court === '대법원')).toBe(true);
    const ty = await search({ q: '피고인', case_type: '형사', size: 50 });
    expect(ty.body.hits.length).toBeGreaterThan(0);
    expect(ty.body.hits.every((h) => h.case_type === '형사')).toBe(true);
    const ct = await search({ q: '피고', court: '서울고등법원', size: 50 });
    expect(ct.body.hits.length).toBeGreaterThan(0);
    expect(ct.body.hits.every((h) => h.court === '서울고등법원')).toBe(true);
    const part = await search({ q: '피고', court: '서울', size: 50 });
    expect(part.body.hits.every((h) => h.court.includes('서울'))).toBe(true);
    const dt = await search({ q: '피고', date_from: '1990', date_to: '1999-12', size: 50 });
    expect(dt.body.hits.length).toBeGreaterThan(0);
    expect(dt.body.hits.every((h) => h.decision_date! >= '1990-01-01' && h.decision_date! <= '1999-12-31')).toBe(true);
    const all = await search({ q: '피고' });
    expect(dt.body.total).toBeLessThan(all.body.total);
    // Dates as courts write them, or packed: the same range.
    for (const [from, to] of [
      ['1990. 1. 1.', '1999. 12. 31.'],
      ['19900101', '19991231'],
      ['1990.1.1', '1999.12.31'],
    ]) {
      const same = await search({ q: '피고', date_from: from!, date_to: to!, size: 50 });
      expect(same.status, from).toBe(200);
      expect(same.body.total, from).toBe(dt.body.total);
    }
  });

  it('counts only decisions that pass the filters, and says so when none does', async () => {
    // Every word matches somewhere, but no decision of this date range exists.
    const none = await search({ q: '사기', date_from: '2090-01-01' });
    expect(none.status).toBe(200);
    expect(none.body.hits).toEqual([]);
    expect(none.body.total).toBe(0);
    expect(none.body.notices).toEqual(['이 조건에 맞는 판례가 없습니다. 법원·사건 종류·선고일 조건을 넓혀 보세요.']);
    // A long (similar-case) query under a filter: the lower bound counts filtered decisions only.
    const description = String(sample.find((r) => String(r.full_text).length > 1500)!.full_text).slice(200, 1200);
    const res = await app.inject({ method: 'POST', url: '/api/search', payload: { q: description, size: 100, court_level: '고등법원' } });
    const body = res.json<Result>();
    expect(body.hits.every((h) => h.court_level === '고등법원')).toBe(true);
    expect(body.total).toBe(body.hits.length < 100 ? body.hits.length : body.total);
    expect(body.total).toBeGreaterThanOrEqual(body.hits.length);
    const unfiltered = (await app.inject({ method: 'POST', url: '/api/search', payload: { q: description, size: 1 } })).json<Result>();
    expect(body.total).toBeLessThan(unfiltered.total);
  });

  it('sorts by date, newest or oldest first', async () => {
    const desc = await search({ q: '피고', sort: 'date', size: 30 });
    const dates = desc.body.hits.map((h) => h.decision_date!);
    expect(dates).toEqual([...dates].sort().reverse());
    const asc = await search({ q: '피고', sort: 'date_asc', size: 30 });
    const adates = asc.body.hits.map((h) => h.decision_date!);
    expect(adates).toEqual([...adates].sort());
    expect(desc.body.total).toBe(asc.body.total);
  });

  it('relaxes to ranked matching when no decision has every word', async () => {
    const { body } = await search({ q: '취득시효 우주선발사' });
    expect(body.relaxed).toBe(true);
    expect(body.total_relation).toBe('gte');
    expect(body.hits.length).toBeGreaterThan(0);
  });

  it('highlights query words and runs of their syllables, never a lone bigram of a longer word', async () => {
    const { body } = await search({ q: '명의신탁', size: 30 });
    expect(body.hits.length).toBeGreaterThan(0);
    for (const h of body.hits) {
      expect(h.snippet).not.toMatch(/<mark>(명의|의신|신탁)<\/mark>/);
    }
    expect(body.hits.some((h) => h.snippet!.includes('<mark>명의신탁</mark>'))).toBe(true);
  });

  it('tells the user when a case number is not in the corpus, without calling it a missing word', async () => {
    const { body } = await search({ q: '2099다12345' });
    expect(body.hits).toEqual([]);
    expect(body.relaxed).toBe(false);
    expect(body.notices).toEqual(['사건번호 2099다12345에 해당하는 판례가 없습니다.']);
  });

  it('omits snippets on request', async () => {
    const { body } = await search({ q: '사기', snippets: 'false' });
    expect(body.hits[0]!.snippet).toBeUndefined();
  });
});

describe('bad search input gets a 400 with a stable code', () => {
  it.each([
    [{ q: '' }, 'ALAW_ERR_SEARCH_QUERY_EMPTY'],
    [{}, 'ALAW_ERR_SEARCH_QUERY_EMPTY'],
    [{ q: '!!! ???' }, 'ALAW_ERR_SEARCH_QUERY_EMPTY'],
    [{ q: '가'.repeat(5001) }, 'ALAW_ERR_SEARCH_QUERY_TOO_LONG'],
    [{ q: '사기', page: 0 }, 'ALAW_ERR_SEARCH_PAGE_INVALID'],
    [{ q: '사기', page: 'x' }, 'ALAW_ERR_SEARCH_PAGE_INVALID'],
    [{ q: '사기', size: 0 }, 'ALAW_ERR_SEARCH_SIZE_INVALID'],
    [{ q: '사기', size: 101 }, 'ALAW_ERR_SEARCH_SIZE_INVALID'],
    [{ q: '사기', page: 200, size: 10 }, 'ALAW_ERR_SEARCH_PAGE_OUT_OF_RANGE'],
    [{ q: '사기', page: 90, size: 10 }, 'ALAW_ERR_SEARCH_PAGE_OUT_OF_RANGE'],
    [{ q: '사기', date_from: '2020-13' }, 'ALAW_ERR_SEARCH_DATE_INVALID'],
    [{ q: '사기', date_to: '어제' }, 'ALAW_ERR_SEARCH_DATE_INVALID'],
    [{ q: '사기', date_from: '2020', date_to: '2019' }, 'ALAW_ERR_SEARCH_DATE_RANGE'],
    [{ q: '사기', sort: 'popular' }, 'ALAW_ERR_SEARCH_SORT_INVALID'],
    [{ q: '사기', mode: 'fuzzy' }, 'ALAW_ERR_SEARCH_MODE_INVALID'],
    [{ q: '사기', court_level: '헌법재판소' }, 'ALAW_ERR_SEARCH_COURT_LEVEL_INVALID'],
    [{ q: '사기', case_type: '우주' }, 'ALAW_ERR_SEARCH_CASE_TYPE_INVALID'],
    [{ q: '사기', court: '달나라법원' }, 'ALAW_ERR_SEARCH_COURT_UNKNOWN'],
  ] as [Record<string, string | number>, string][])('%s', async (query, code) => {
    const { status, body } = await search(query);
    expect(status).toBe(400);
    expect(body.error?.code).toBe(code);
    expect(body.error?.message).toMatch(/[가-힣]/);
  });

  it('says which page is the last one', async () => {
    const { body } = await search({ q: '사기', page: 90, size: 10 });
    expect((body.error as unknown as { details: { last_page: number } }).details.last_page).toBeGreaterThan(0);
  });

  it('rejects malformed JSON and wrong bodies on POST', async () => {
    const bad = await app.inject({ method: 'POST', url: '/api/search', headers: { 'content-type': 'application/json' }, payload: '{"q": ' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('ALAW_ERR_REQUEST_JSON');
    const missing = await app.inject({ method: 'POST', url: '/api/search', payload: { size: 3 } });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.code).toBe('ALAW_ERR_SEARCH_QUERY_EMPTY');
    const extra = await app.inject({ method: 'POST', url: '/api/search', payload: { q: '사기', colour: 'red' } });
    expect(extra.statusCode).toBe(400);
    expect(extra.json().error.code).toBe('ALAW_ERR_REQUEST_INVALID');
    const wrongType = await app.inject({ method: 'POST', url: '/api/search', payload: { q: { text: '사기' } } });
    expect(wrongType.statusCode).toBe(400);
  });

  it('rejects unknown, repeated and loosely typed parameters instead of guessing', async () => {
    const unknown = await search({ q: '사기', foo: 'bar' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error!.code).toBe('ALAW_ERR_REQUEST_INVALID');
    expect(unknown.body.error!.message).toContain('foo — 알 수 없는 항목입니다');
    const bracket = await app.inject({
      method: 'GET',
      url: `/api/search?q=${encodeURIComponent('사기')}&${encodeURIComponent('court_level[]')}=${encodeURIComponent('대법원')}`,
    });
    expect(bracket.statusCode).toBe(400);
    for (const size of ['0x10', '1e2', '10.0']) {
      const r = await search({ q: '사기', size });
      expect(r.status, size).toBe(400);
      expect(r.body.error!.code, size).toBe('ALAW_ERR_SEARCH_SIZE_INVALID');
    }
    const twice = await app.inject({ method: 'GET', url: `/api/search?q=${encodeURIComponent('사기')}&sort=date&sort=date` });
    expect(twice.statusCode).toBe(400);
    expect(twice.json().error).toMatchObject({ code: 'ALAW_ERR_SEARCH_SORT_INVALID' });
    expect(twice.json().error.message).toContain('한 번만 쓸 수 있습니다');
    // Several courts are still a list, repeated or comma-separated.
    const levels = await app.inject({
      method: 'GET',
      url: `/api/search?q=${encodeURIComponent('피고')}&court_level=${encodeURIComponent('대법원')}&court_level=${encodeURIComponent('고등법원')}`,
    });
    expect(levels.statusCode).toBe(200);
    expect((await search({ q: '사기', snippets: '0' })).body.hits[0]?.snippet).toBeUndefined();
    expect((await search({ q: '사기', snippets: 'yes' })).body.hits[0]?.snippet).toBeDefined();
    expect((await search({ q: '사기', snippets: 'banana' })).status).toBe(400);
    // JSON bodies carry types: a number is not a query.
    const numeric = await app.inject({ method: 'POST', url: '/api/search', payload: { q: 123 } });
    expect(numeric.statusCode).toBe(400);
    expect(numeric.json().error.code).toBe('ALAW_ERR_SEARCH_QUERY_INVALID');
    const plain = await app.inject({ method: 'POST', url: '/api/search', headers: { 'content-type': 'text/plain' }, payload: '사기' });
    expect(plain.statusCode).toBe(415);
    expect(plain.json().error.code).toBe('ALAW_ERR_REQUEST_MEDIA_TYPE');
  });

  it('never answers 5xx, whatever the parameters', async () => {
    const value = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary', maxLength: 50 }),
      fc.integer().map(String),
      fc.constantFrom('', '0', '-1', '1e3', '대법원', '2020-02-30', '9999'),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            q: value,
            page: value,
            size: value,
            sort: value,
            mode: value,
            court: value,
            court_level: value,
            case_type: value,
            date_from: value,
            date_to: value,
          },
          { requiredKeys: [] },
        ),
        async (query) => {
          const res = await app.inject({ method: 'GET', url: '/api/search', query });
          expect(res.statusCode).toBeLessThan(500);
          if (res.statusCode >= 400) expect(res.json().error.code).toMatch(/^ALAW_ERR_/);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('precedents', () => {
  it('returns a whole record by id', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/precedents/lawydot-003ed386129459ce' });
    expect(res.statusCode).toBe(200);
    const p = res.json();
    const original = sample.find((r) => r.id === 'lawydot-003ed386129459ce')!;
    expect(p).toEqual(original);
  });

  it('404s an unknown id with a code', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/precedents/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('ALAW_ERR_PRECEDENT_NOT_FOUND');
  });

  it('looks decisions up by case number, tolerant of spacing and court prefixes', async () => {
    for (const cn of ['94나3943', '94 나 3943', '  94나 3943 ']) {
      const res = await app.inject({ method: 'GET', url: '/api/precedents', query: { case_number: cn } });
      expect(res.statusCode).toBe(200);
      expect(res.json().items.map((i: { id: string }) => i.id)).toEqual(['lawydot-003ed386129459ce']);
    }
    const withPrefix = sample.find((r) => String(r.case_number).startsWith('('));
    if (withPrefix) {
      const bare = String(withPrefix.case_number).replace(/^\([^)]*\)/, '');
      const res = await app.inject({ method: 'GET', url: '/api/precedents', query: { case_number: bare } });
      expect(res.json().items.map((i: { id: string }) => i.id)).toContain(withPrefix.id);
    }
    // Full-width digits, as some Korean input methods type them; a part of the court's name.
    const wide = await app.inject({ method: 'GET', url: '/api/precedents', query: { case_number: '９４나３９４３', court: '전주' } });
    expect(wide.json().items.map((i: { id: string }) => i.id)).toEqual(['lawydot-003ed386129459ce']);
    const otherCourt = await app.inject({ method: 'GET', url: '/api/precedents', query: { case_number: '94나3943', court: '서울' } });
    expect(otherCourt.json().total).toBe(0);
    const none = await app.inject({ method: 'GET', url: '/api/precedents', query: { case_number: '2099다1' } });
    expect(none.json()).toMatchObject({ total: 0, items: [] });
    const bad = await app.inject({ method: 'GET', url: '/api/precedents', query: { case_number: '손해배상' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('ALAW_ERR_PRECEDENT_CASE_NUMBER_INVALID');
    const missing = await app.inject({ method: 'GET', url: '/api/precedents' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.code).toBe('ALAW_ERR_PRECEDENT_CASE_NUMBER_INVALID');
  });
});

describe('explain', () => {
  it('breaks a hit score into per-term, per-field contributions that add up', async () => {
    const { body } = await search({ q: '명의신탁 부동산' });
    const hit = body.hits[0]!;
    const res = await app.inject({ method: 'GET', url: '/api/search/explain', query: { q: '명의신탁 부동산', id: hit.id } });
    expect(res.statusCode).toBe(200);
    const ex = res.json<{ score: number; terms: { contribution: number; impact: number; indexed_impact: number; fields: object }[] }>();
    expect(Math.abs(ex.score - hit.score)).toBeLessThan(1e-3);
    expect(Math.abs(ex.terms.reduce((s, t) => s + t.contribution, 0) - ex.score)).toBeLessThan(1e-3);
    for (const t of ex.terms) {
      // The stored impact is the recomputed one, quantized to 1/255 (and rounded to 6 digits in the response).
      expect(Math.abs(t.impact - t.indexed_impact)).toBeLessThanOrEqual(0.5 / 255 + 2e-6);
      expect(Object.keys(t.fields).length).toBeGreaterThan(0);
    }
    const missing = await app.inject({ method: 'GET', url: '/api/search/explain', query: { q: '사기', id: 'nope' } });
    expect(missing.statusCode).toBe(404);
  });
});

describe('service routes', () => {
  it('GET / describes the service', async () => {
    const res = await app.inject({ method: 'GET', url: '/' });
    expect(res.json()).toMatchObject({ service: 'ALaw AI-Backend', status: 'ok', documents: 300 });
  });

  it('unknown routes get a coded 404', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('ALAW_ERR_NOT_FOUND');
  });

  it('serves OpenAPI for every route at /docs', async () => {
    const res = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    const spec = res.json<{ openapi: string; paths: Record<string, Record<string, unknown>> }>();
    expect(spec.openapi).toMatch(/^3\./);
    expect(JSON.stringify(spec)).not.toContain('Default Response');
    const expected: [string, string][] = [
      ['/', 'get'],
      ['/api/search', 'get'],
      ['/api/search', 'post'],
      ['/api/search/explain', 'get'],
      ['/api/search/status', 'get'],
      ['/api/precedents', 'get'],
      ['/api/precedents/{id}', 'get'],
    ];
    for (const [path, method] of expected) expect(spec.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    const ui = await app.inject({ method: 'GET', url: '/docs/' });
    expect(ui.statusCode).toBe(200);
  });
});

describe('index status', () => {
  it('reports the loaded index: its manifest, segments, and the bytes of the files it is made of', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/search/status' });
    expect(res.statusCode).toBe(200);
    const st = res.json<{ file: string; documents: number; segments: number; bytes: number; stale: boolean }>();
    expect(st).toMatchObject({ documents: 300, segments: 1, stale: false });
    expect(st.file.endsWith('search.idx')).toBe(true);
    const dir = path.dirname(st.file);
    const onDisk = fs.readdirSync(dir).reduce((sum, f) => sum + fs.statSync(path.join(dir, f)).size, 0);
    expect(st.bytes).toBe(onDisk);
  });
});
