import type { FastifyInstance } from 'fastify';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openServices, type ServerServices } from '../src/app/index.js';
import { importFile } from '../src/app/importer.js';
import { loadConfig } from '../src/config/index.js';
import { buildApp } from '../src/http/index.js';
import { createLogger } from '../src/ops/index.js';
import { tempDir } from './helpers.js';

/**
 * References between decisions and from decisions to statutes, over
 * law.go.kr-format records that have 참조조문/참조판례 (test/fixtures/lawgo-citations.jsonl),
 * imported with the real importer and served by the real HTTP app.
 */
const FIXTURE = path.resolve('test/fixtures/lawgo-citations.jsonl');
const tmp = tempDir('alaw-citations-');
let services: ServerServices;
let app: FastifyInstance;

function config() {
  return loadConfig({
    env: {},
    overrides: {
      'paths.database': path.join(tmp.dir, 'alaw.db'),
      'paths.indexDir': path.join(tmp.dir, 'index'),
      'paths.seedCorpus': '',
      'paths.queueDatabase': path.join(tmp.dir, 'queue.db'),
      'queue.profile': 'conservative',
      'log.level': 'silent',
    },
  });
}
async function open(): Promise<void> {
  services = await openServices(config(), createLogger('silent'), { seed: false, queue: true });
  app = await buildApp(services);
}
async function close(): Promise<void> {
  await app.close();
  await services.close();
}

beforeAll(async () => {
  await open();
  const report = await importFile(services.store, FIXTURE);
  expect(report).toMatchObject({ inserted: 7, rejected: 0 });
});
afterAll(async () => {
  await close();
  tmp.cleanup();
});

const json = <T>(r: { body: string }): T => JSON.parse(r.body) as T;
const idOf = async (caseNumber: string, court: string): Promise<string> => (await services.store.findByCaseNumber(caseNumber, court))[0]!.id;
type Citations = {
  case_number: string;
  cites: {
    case_number: string;
    court: string | null;
    in_reference: boolean;
    mentions: number;
    citation: string;
    context: string | null;
    resolved: { case_number: string; court: string }[];
  }[];
  cited_by: { case_number: string; court: string; in_reference: boolean; mentions: number; context: string | null }[];
};
const citations = async (id: string): Promise<Citations> => json<Citations>(await app.inject(`/api/precedents/${id}/citations`));

describe('GET /api/precedents/{id}/citations', () => {
  it('lists what a decision cites, from 참조판례 and from its text, resolved against the corpus', async () => {
    const c = await citations(await idOf('2016다276177', '대법원'));
    expect(c.cites.map((x) => x.case_number)).toEqual(['2006다30440', '2008다38288']);
    const [a, b] = c.cites;
    // In 참조판례 and cited again in the reasons, with the sentence around it.
    expect(a).toMatchObject({ court: '대법원', in_reference: true, mentions: 1, citation: '대법원 2008. 4. 24. 선고 2006다30440 판결' });
    expect(a!.context).toContain('단기소멸시효는 피해자가 손해 및 가해자를 안 날부터 진행한다(대법원 2008. 4. 24. 선고 2006다30440 판결 참조)');
    expect(a!.resolved).toEqual([expect.objectContaining({ case_number: '2006다30440', court: '대법원', decision_date: '2008-04-24' })]);
    expect(b).toMatchObject({ in_reference: true, mentions: 0, context: null, resolved: [expect.objectContaining({ case_number: '2008다38288' })] });
  });

  it('lists who cites a decision, and resolves 당원 to the citing court, not to another court with the same number', async () => {
    const cited = await citations(await idOf('2016다276177', '대법원'));
    expect(cited.cited_by).toEqual([expect.objectContaining({ case_number: '2019나2001234', court: '서울고등법원', in_reference: false, mentions: 1 })]);
    const high = await citations(await idOf('2019나2001234', '서울고등법원'));
    const dangwon = high.cites.find((x) => x.case_number === '2017나2055555')!;
    expect(dangwon.court).toBe('서울고등법원');
    expect(dangwon.resolved.map((r) => r.court)).toEqual(['서울고등법원']);
    expect((await citations(await idOf('2017나2055555', '서울고등법원'))).cited_by.map((x) => x.case_number)).toEqual(['2019나2001234']);
    expect((await citations(await idOf('2017나2055555', '서울중앙지방법원'))).cited_by).toEqual([]);
    // Cited twice: by the Supreme Court decision's 참조판례 and not by the lower court.
    expect((await citations(await idOf('2006다30440', '대법원'))).cited_by.map((x) => x.case_number)).toEqual(['2016다276177']);
  });

  it('keeps citations of decisions the corpus lacks, unresolved, and never links a decision to itself', async () => {
    const c = await citations(await idOf('2021도1234', '대법원'));
    expect(c.cites.map((x) => [x.case_number, x.in_reference, x.resolved.length])).toEqual([
      ['2099다1', true, 0],
      ['2099다2', false, 0],
    ]);
    for (const id of [await idOf('2016다276177', '대법원'), await idOf('2021도1234', '대법원')]) {
      const own = (await services.store.getById(id))!.case_number;
      expect((await citations(id)).cites.map((x) => x.case_number)).not.toContain(own);
    }
  });

  it('is 404 for an unknown decision', async () => {
    const r = await app.inject('/api/precedents/no-such-id/citations');
    expect(r.statusCode).toBe(404);
    expect(json<{ error: { code: string } }>(r).error.code).toBe('ALAW_ERR_PRECEDENT_NOT_FOUND');
  });
});

type Applications = { law: string; query: string; article: string; total: number; items: { case_number: string; in_reference: boolean; mentions: number }[] };
const statute = (law: string, article: string, query = '') =>
  app.inject(`/api/statutes/${encodeURIComponent(law)}/${encodeURIComponent(article)}/precedents${query}`);

describe('GET /api/statutes/{law}/{article}/precedents', () => {
  it('lists decisions that apply an article: 참조조문 first, then mentions in the text', async () => {
    const r = json<Applications>(await statute('민법', '766'));
    expect(r).toMatchObject({ law: '민법', article: '제766조', total: 5 });
    // All with 참조조문 first (ordered by mentions, then newest), then the one that only applies it in its text.
    expect(r.items.map((i) => [i.case_number, i.in_reference, i.mentions])).toEqual([
      ['2016다276177', true, 2],
      ['2008다38288', true, 2],
      ['2019나2001234', true, 1], // 2020-01-10: newer than the next one
      ['2006다30440', true, 1],
      ['2017나2055555', false, 1],
    ]);
    const paged = json<Applications>(await statute('민법', '제766조', '?page=2&size=2'));
    expect(paged.items.map((i) => i.case_number)).toEqual(['2019나2001234', '2006다30440']);
    expect(json<Applications>(await statute('민법', '598')).items.map((i) => i.case_number)).toEqual(['2017나2055555']);
  });

  it('finds one law however it is spelled or abbreviated, and articles like 제5조의3', async () => {
    for (const law of ['특정범죄 가중처벌 등에 관한 법률', '특정범죄가중처벌등에관한법률', '특가법']) {
      const r = json<Applications>(await statute(law, '제5조의3'));
      expect(r.total, law).toBe(1);
      expect(r.query).toBe(law);
      expect(r.items[0]).toMatchObject({ case_number: '2021도1234', in_reference: true, mentions: 2 });
    }
    expect(json<Applications>(await statute('특가법', '5-3')).total).toBe(1);
    // 제5조 is another article than 제5조의3.
    expect(json<Applications>(await statute('특가법', '5')).total).toBe(0);
  });

  it('rejects what is not a law or an article with 400, and says which laws exist when the name is unknown', async () => {
    const article = await statute('민법', '일곱');
    expect(article.statusCode).toBe(400);
    expect(json<{ error: { code: string } }>(article).error.code).toBe('ALAW_ERR_STATUTE_ARTICLE_INVALID');
    const law = await statute('1234', '5');
    expect(law.statusCode).toBe(400);
    expect(json<{ error: { code: string } }>(law).error.code).toBe('ALAW_ERR_STATUTE_LAW_INVALID');
    const size = await statute('민법', '766', '?size=1000');
    expect(size.statusCode).toBe(400);
    const unknown = await statute('도로교통', '54');
    expect(unknown.statusCode).toBe(404);
    const e = json<{ error: { code: string; message: string; details: { similar: string[] } } }>(unknown).error;
    expect(e.code).toBe('ALAW_ERR_STATUTE_NOT_FOUND');
    expect(e.details.similar).toEqual(['도로교통법']);
    expect(e.message).toContain('비슷한 법령: 도로교통법');
  });
});

describe('the links are derived data', () => {
  it('are replaced when a decision is re-imported with other references', async () => {
    const id = await idOf('2019나2001234', '서울고등법원');
    const record = JSON.parse(
      (await import('node:fs'))
        .readFileSync(FIXTURE, 'utf8')
        .split('\n')
        .find((l) => l.includes('2019나2001234'))!,
    ) as Record<string, unknown>;
    const changed = path.join(tmp.dir, 'changed.jsonl');
    (await import('node:fs')).writeFileSync(
      changed,
      JSON.stringify({ ...record, 판례내용: '【주    문】<br/>원고의 항소를 기각한다.<br/>【이    유】<br/>원고의 청구는 이유 없다.' }) + '\n',
    );
    expect(await importFile(services.store, changed)).toMatchObject({ updated: 1 });
    expect((await citations(id)).cites).toEqual([]);
    expect((await citations(await idOf('2016다276177', '대법원'))).cited_by).toEqual([]);
    // 참조조문 still names 민법 제766조 제1항.
    expect(json<Applications>(await statute('민법', '766')).items.find((i) => i.case_number === '2019나2001234')).toMatchObject({
      in_reference: true,
      mentions: 0,
    });
  });

  it('are made again at start-up when they were made by other rules (or before the tables existed)', async () => {
    const id = await idOf('2016다276177', '대법원');
    const before = await citations(id);
    const sqlite = (services.store as unknown as { sqlite: { exec(sql: string): void } }).sqlite;
    sqlite.exec("DELETE FROM precedent_citations; DELETE FROM precedent_statutes; UPDATE app_meta SET value = 'old' WHERE key = 'links_version'");
    expect((await citations(id)).cites).toEqual([]);
    await close();
    await open();
    expect(await citations(id)).toEqual(before);
    expect(json<Applications>(await statute('민법', '766')).total).toBe(5);
  });
});
