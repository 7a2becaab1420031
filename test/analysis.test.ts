import { formatCitation } from '../src/legal/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeCase, findAmounts, findDates, isProceduralProvision } from '../src/analysis/index.js';
import type { ServerServices } from '../src/app/index.js';
import { AlawError } from '../src/errors/index.js';
import { readSample, sampleServices, tempDir } from './helpers.js';

let services: ServerServices;
const tmp = tempDir();
beforeAll(async () => {
  services = await sampleServices(tmp.dir);
});
afterAll(async () => {
  await services.close();
  tmp.cleanup();
});

const analyze = (description: string, extra: { case_type?: string; limit?: number } = {}) =>
  analyzeCase(services.search.engine, (id) => services.store.getById(id), { description, ...extra });

describe('extraction helpers', () => {
  it('tells cost and appeal-disposal provisions from substantive ones', () => {
    expect(isProceduralProvision('민사소송법', 89)).toBe(true);
    expect(isProceduralProvision('형사소송법', 364)).toBe(true);
    expect(isProceduralProvision('민법', 750)).toBe(false);
    expect(isProceduralProvision('민사소송법', 216)).toBe(false);
  });

  it('reads amounts in the forms decisions and lawyers write', () => {
    expect(findAmounts('피고는 원고에게 금 50,000,000원 및 위자료 3억 5천만 원, 1,500만원을 지급하라')).toEqual([
      { text: '금 50,000,000원', won: 50_000_000 },
      { text: '3억 5천만 원', won: 350_000_000 },
      { text: '1,500만원', won: 15_000_000 },
    ]);
  });
  it('reads dates as ISO', () => {
    expect(findDates('원고는 2020. 3. 1. 피고에게 대여하였고 2021년 12월 31일까지 갚기로 하였다 (2019-07-09 계약)')).toEqual([
      '2020-03-01',
      '2021-12-31',
      '2019-07-09',
    ]);
  });
});

describe('analyzeCase over the 300-decision sample', () => {
  it('finds the decision a description was taken from, with its issues, statutes and outcome, all cited', async () => {
    // A description written from one decision's 판시사항: that decision must be among the similar ones.
    const target = readSample().find((r) => typeof r.holdings === 'string' && r.holdings.length > 150)!;
    const description = `의뢰인의 사건: ${(target.holdings as string).slice(0, 600)}`;
    const r = await analyze(description);
    const ids = r.similar.map((s) => s.id);
    expect(ids).toContain(target.id);
    expect(r.similar.length).toBeGreaterThan(1);
    expect(r.similar.length).toBeLessThanOrEqual(10);
    for (const s of r.similar) expect(s).toMatchObject({ case_number: expect.any(String), court: expect.any(String) });
    // Every issue and every statute names the decision(s) it comes from.
    for (const i of r.issues) expect(ids).toContain(i.decision.id);
    const caseNumbers = new Set(r.similar.map((s) => s.case_number));
    for (const st of r.statutes) for (const d of st.decisions) expect(caseNumbers.has(d)).toBe(true);
    for (const o of r.outcomes) expect(o.count).toBe(o.decisions.length);
    expect(r.outcomes.reduce((n, o) => n + o.count, 0)).toBeGreaterThan(0);
    // The report cites decisions by court, date and case number.
    const first = r.similar[0]!;
    expect(r.report_markdown).toContain(formatCitation(first));
    expect(formatCitation({ court: '대법원', decision_date: '2019-05-30', case_number: '2016다276177' })).toBe('대법원 2019. 5. 30. 선고 2016다276177');
    expect(r.report_markdown).toContain('## 비슷한 사건의 결과');
  });

  it('extracts what the description itself says', async () => {
    const r = await analyze(
      '원고는 2019. 5. 1. 피고에게 금 30,000,000원을 빌려주었으나 피고가 갚지 않아 민법 제750조, 제390조에 따른 손해배상을 청구하려 한다. 대법원 2016다276177 판결을 참고하였다.',
    );
    expect(r.extracted.statutes).toEqual(['민법 제750조', '민법 제390조']);
    expect(r.extracted.case_numbers).toEqual(['2016다276177']);
    expect(r.extracted.amounts).toEqual([{ text: '금 30,000,000원', won: 30_000_000 }]);
    expect(r.extracted.dates).toEqual(['2019-05-01']);
    expect(r.extracted.parties).toMatchObject({ 원고: 1, 피고: 2 });
    expect(r.statutes.filter((s) => s.in_description).every((s) => r.extracted.statutes.includes(s.key))).toBe(true);
    // Substantive provisions come before cost and appeal-disposal ones.
    const firstProcedural = r.statutes.findIndex((s) => s.procedural);
    if (firstProcedural >= 0) expect(r.statutes.slice(firstProcedural).every((s) => s.procedural)).toBe(true);
    // One entry per article however its law's name is spaced.
    const grouped = r.statutes.map((s) => s.key.replace(/\s+/gu, ''));
    expect(new Set(grouped).size).toBe(grouped.length);
  });

  it('keeps to the requested case type and refuses a description out of bounds', async () => {
    const r = await analyze('피고인이 타인의 재물을 기망하여 편취하였다는 사기 사건으로 피해자에게 돈을 돌려주지 않았다', { case_type: '형사' });
    expect(r.similar.length).toBeGreaterThan(0);
    expect(r.similar.every((s) => s.case_type === '형사')).toBe(true);
    const err = await analyze('짧은 설명').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AlawError);
    expect((err as AlawError).code).toBe('ALAW_ERR_ANALYSIS_DESCRIPTION_LENGTH');
  });
});

describe('POST /api/analysis and GET /api/analysis/{id}', () => {
  it('queues an analysis (202), runs it on the analysis worker, and returns the result', async () => {
    const { buildApp } = await import('../src/http/index.js');
    const { analysisHandler } = await import('../src/app/index.js');
    services.queue.handle('analysis', analysisHandler(services));
    const app = await buildApp(services);
    try {
      const description =
        '의뢰인은 20년 넘게 이웃 토지의 일부를 자기 땅으로 알고 담장을 쌓아 점유해 왔는데 이웃이 담장 철거와 토지 인도를 청구하였습니다. 점유취득시효 완성을 주장할 수 있는지 궁금합니다.';
      const r = await app.inject({ method: 'POST', url: '/api/analysis', payload: { description, case_type: '민사' } });
      expect(r.statusCode).toBe(202);
      const body = JSON.parse(r.body) as { id: string; status_url: string; position: number };
      expect(body.status_url).toBe(`/api/analysis/${body.id}`);
      expect(r.headers.location).toBe(body.status_url);
      expect(body.position).toBeGreaterThanOrEqual(1);
      let status: { status: string; result: { similar: { case_type: string }[]; report_markdown: string } | null } = { status: 'pending', result: null };
      for (let i = 0; i < 200 && status.status !== 'completed'; i++) {
        await new Promise((res) => setTimeout(res, 20));
        status = JSON.parse((await app.inject(body.status_url)).body) as typeof status;
      }
      expect(status.status).toBe('completed');
      expect(status.result!.similar.length).toBeGreaterThan(0);
      expect(status.result!.similar.every((s) => s.case_type === '민사')).toBe(true);
      expect(status.result!.report_markdown).toContain('# 사건 분석');

      const short = await app.inject({ method: 'POST', url: '/api/analysis', payload: { description: '짧음' } });
      expect(short.statusCode).toBe(400);
      expect(JSON.parse(short.body).error.code).toBe('ALAW_ERR_ANALYSIS_DESCRIPTION_LENGTH');
      const missing = await app.inject({ method: 'POST', url: '/api/analysis', payload: {} });
      expect(JSON.parse(missing.body).error.code).toBe('ALAW_ERR_ANALYSIS_DESCRIPTION_REQUIRED');
      const badType = await app.inject({ method: 'POST', url: '/api/analysis', payload: { description, case_type: '우주' } });
      expect(JSON.parse(badType.body).error.code).toBe('ALAW_ERR_ANALYSIS_CASE_TYPE_INVALID');
      // DELETE: a finished analysis cannot be cancelled; a waiting one can.
      const done = await app.inject({ method: 'DELETE', url: body.status_url });
      expect(done.statusCode).toBe(409);
      expect(JSON.parse(done.body).error.code).toBe('ALAW_ERR_ANALYSIS_FINISHED');
      const waiting = await services.queue.submit('analysis', { description: '대기 중인 분석입니다. 취소될 예정입니다. 사건 설명을 충분히 길게 씁니다.' });
      // (the worker may already hold it: then it is aborted, which also ends cancelled)
      const del = await app.inject({ method: 'DELETE', url: `/api/analysis/${waiting.id}` });
      if (del.statusCode === 200) {
        expect(JSON.parse(del.body)).toEqual({ id: waiting.id, status: 'cancelled' });
        for (let i = 0; i < 100 && (await services.queue.task(waiting.id))?.status === 'processing'; i++) await new Promise((res) => setTimeout(res, 10));
        expect(['cancelled', 'completed']).toContain((await services.queue.task(waiting.id))?.status);
      } else expect(del.statusCode).toBe(409);
      const unknown = await app.inject('/api/analysis/no-such-id');
      expect(unknown.statusCode).toBe(404);
      expect(JSON.parse(unknown.body).error.code).toBe('ALAW_ERR_ANALYSIS_NOT_FOUND');
    } finally {
      await app.close();
    }
  });
});

describe('a blank description is refused before a task exists', () => {
  const analysisRows = async (): Promise<number> => Object.values((await services.queue.store.counts()).analysis).reduce((a, b) => a + b, 0);

  it('POST /api/analysis: 400 ALAW_ERR_ANALYSIS_DESCRIPTION_BLANK for white space and invisible characters only, and no task row', async () => {
    const { buildApp } = await import('../src/http/index.js');
    const app = await buildApp(services);
    try {
      const before = await analysisRows();
      const blanks = [
        '',
        ' ',
        ' '.repeat(40),
        '\u3000'.repeat(25), // ideographic space: long enough for the length rule
        '\u00a0'.repeat(25), // no-break space
        '\u200b'.repeat(25), // zero-width space (not white space to String.trim)
        '\t\n\r '.repeat(10),
        '\u3164'.repeat(25), // Hangul filler
        '\ufeff\u2060\u200d '.repeat(8),
      ];
      for (const description of blanks) {
        const r = await app.inject({ method: 'POST', url: '/api/analysis', payload: { description } });
        expect(r.statusCode, JSON.stringify(description)).toBe(400);
        const e = (JSON.parse(r.body) as { error: { code: string; message: string } }).error;
        expect(e.code, JSON.stringify(description)).toBe('ALAW_ERR_ANALYSIS_DESCRIPTION_BLANK');
        expect(e.message).toContain('비어 있습니다');
      }
      // One character surrounded by 30 spaces is 31 characters, but the analysis trims it to 1: refused now, not failed later.
      const padded = await app.inject({ method: 'POST', url: '/api/analysis', payload: { description: `${' '.repeat(15)}가${'\u3000'.repeat(15)}` } });
      expect(padded.statusCode).toBe(400);
      expect(JSON.parse(padded.body).error).toMatchObject({ code: 'ALAW_ERR_ANALYSIS_DESCRIPTION_LENGTH', details: { parameter: 'description' } });
      expect(JSON.parse(padded.body).error.message).toContain('받은 길이: 1자');
      expect(await analysisRows()).toBe(before);

      // A real description with surrounding white space is still accepted.
      const ok = await app.inject({
        method: 'POST',
        url: '/api/analysis',
        payload: { description: `\u3000  임대인이 계약 종료 후에도 보증금을 돌려주지 않아 반환을 청구하려 합니다.  \n` },
      });
      expect(ok.statusCode).toBe(202);
      expect(await analysisRows()).toBe(before + 1);
      await services.queue.cancel((JSON.parse(ok.body) as { id: string }).id, 'test');
    } finally {
      await app.close();
    }
  });

  it('analyzeCase refuses it too (tasks queued before the check, alaw analyze)', async () => {
    const err = await analyze('\u3000'.repeat(30)).catch((e: unknown) => e);
    expect((err as AlawError).code).toBe('ALAW_ERR_ANALYSIS_DESCRIPTION_BLANK');
  });
});

describe('GET /api/analysis/{id}/events (server-sent events over a real connection)', () => {
  it('streams queued → each stage → done with the result, then closes', async () => {
    const { buildApp } = await import('../src/http/index.js');
    // A worker that reports its stages slowly enough for every one to be seen.
    services.queue.handle('analysis', async (_payload, ctx) => {
      for (const stage of ['extracting', 'retrieving', 'analyzing']) {
        await ctx.progress(stage);
        await new Promise((res) => setTimeout(res, 300));
      }
      return { report_markdown: '# 사건 분석' };
    });
    const app = await buildApp(services);
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const port = (app.server.address() as { port: number }).port;
      const sub = await services.queue.submit('analysis', { description: '이벤트 흐름을 확인하기 위한 충분히 긴 사건 설명입니다.' });
      const res = await fetch(`http://127.0.0.1:${port}/api/analysis/${sub.id}/events`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/event-stream');
      const text = await res.text(); // the server closes the stream after the last event
      const events = [...text.matchAll(/event: (\w+)\ndata: (.*)\n\n/gu)].map((m) => ({ event: m[1]!, data: JSON.parse(m[2]!) as Record<string, unknown> }));
      const stages = events.filter((e) => e.event === 'progress').map((e) => e.data.progress);
      expect(stages).toEqual(expect.arrayContaining(['extracting', 'retrieving', 'analyzing']));
      expect(stages.indexOf('extracting')).toBeLessThan(stages.indexOf('analyzing'));
      expect(events.at(-1)).toEqual({ event: 'done', data: { report_markdown: '# 사건 분석' } });
      const status = await (await fetch(`http://127.0.0.1:${port}/api/analysis/${sub.id}`)).json();
      expect(status).toMatchObject({ status: 'completed', progress: 'analyzing' });

      const missing = await fetch(`http://127.0.0.1:${port}/api/analysis/nope/events`);
      expect(missing.status).toBe(404);
    } finally {
      await app.close();
    }
  });

  it('ends with a failed event when the analysis fails', async () => {
    const { buildApp } = await import('../src/http/index.js');
    services.queue.handle('analysis', () => Promise.reject(new Error('분석 실패 예시')));
    const app = await buildApp(services);
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const port = (app.server.address() as { port: number }).port;
      const sub = await services.queue.submit('analysis', { description: '실패하는 분석을 확인하기 위한 충분히 긴 사건 설명입니다.' });
      const text = await (await fetch(`http://127.0.0.1:${port}/api/analysis/${sub.id}/events`)).text();
      const last = [...text.matchAll(/event: (\w+)\ndata: (.*)\n\n/gu)].at(-1)!;
      expect(last[1]).toBe('failed');
      expect(JSON.parse(last[2]!)).toMatchObject({ status: 'failed', error: { code: 'ALAW_ERR_TASK_FAILED', message: '작업이 실패했습니다: 분석 실패 예시' } });
    } finally {
      await app.close();
    }
  });
});
