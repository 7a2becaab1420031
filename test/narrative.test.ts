import type { FastifyInstance } from 'fastify';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NarrativeWriter, narrativeMarkdown, type LlmSettings, type Narrative } from '../src/analysis/index.js';
import { analysisHandler, type FullAnalysis } from '../src/app/index.js';
import type { ServerServices } from '../src/app/index.js';
import { buildApp } from '../src/http/index.js';
import { sampleEnv, sampleServices, tempDir } from './helpers.js';
import { run } from './process.js';
import { manualClock } from './support/clock.js';
import { llmSettings, startFakeLlm, type FakeLlm } from './support/openai-server.js';

/**
 * LLM mode against a real HTTP server that speaks the OpenAI chat-completions
 * protocol (test/support/openai-server.ts): the real client code (the openai
 * SDK with our timeouts, retries and citation check) over loopback.
 */
let llm: FakeLlm;
beforeAll(async () => {
  llm = await startFakeLlm();
});
afterAll(async () => {
  await llm.close();
});

const settings = (over: Partial<LlmSettings> = {}): LlmSettings => llmSettings(llm.baseUrl, over);
const MESSAGES = [
  { role: 'system' as const, content: '판례만 근거로' },
  { role: 'user' as const, content: '[의뢰인 사건]\n…\n\n[참고 판례]\n[1] 대법원 2019. 5. 30. 선고 2016다276177 손해배상(기)' },
];
const write = (over: Partial<LlmSettings>, texts: string[] = [], signal = new AbortController().signal, deadlineMs = Date.now() + 60_000) =>
  new NarrativeWriter(settings(over)).write(MESSAGES, { signal, deadlineMs, onText: (t) => texts.push(t) });

/**
 * A write on a manual clock whose waits between retries pass without sleeping. While a request is under
 * way the writer holds two timers (its idle and total limits) and real I/O takes its real time; between
 * attempts it holds only the backoff timer, and then the clock jumps to it.
 */
async function writeOnClock(over: Partial<LlmSettings>): Promise<Omit<Narrative, 'citations' | 'invented' | 'unverified'>> {
  const clock = manualClock();
  let done = false;
  const pending = new NarrativeWriter(settings(over), clock)
    .write(MESSAGES, { signal: new AbortController().signal, deadlineMs: clock.now() + 60_000 })
    .finally(() => (done = true));
  while (!done) {
    if (clock.pending() === 1) await clock.next();
    else await new Promise((r) => setTimeout(r, 2));
  }
  return pending;
}

describe('NarrativeWriter against an OpenAI-protocol server', () => {
  it('streams the text as it is written and sends the model, the key and only the given messages', async () => {
    const texts: string[] = [];
    const before = llm.requests.length;
    const r = await write({}, texts);
    expect(r).toMatchObject({ status: 'completed', model: 'cite', attempts: 1, error: null, finish_reason: 'stop' });
    expect(r.text).toContain('[1] 대법원 2019. 5. 30. 선고 2016다276177 판결은');
    // Many growing prefixes, the last one the whole text.
    expect(texts.length).toBeGreaterThan(5);
    for (let i = 1; i < texts.length; i++) expect(texts[i]!.startsWith(texts[i - 1]!)).toBe(true);
    expect(texts.at(-1)).toBe(r.text);
    const req = llm.requests[before]!;
    expect(req.authorization).toBe('Bearer sk-test-key');
    expect(req.body).toMatchObject({ model: 'cite', stream: true, temperature: 0.2, max_tokens: 800 });
    expect(req.body.messages).toEqual(MESSAGES);
  });

  it('works without streaming', async () => {
    const r = await write({ stream: false });
    expect(r).toMatchObject({ status: 'completed', attempts: 1 });
    expect(r.text).toContain('2016다276177');
    expect(llm.requests.at(-1)!.body.stream).toBe(false);
  });

  it('retries 5xx before any text, within the bound, then succeeds or reports the failure', async () => {
    const ok = await writeOnClock({ model: 'flaky' });
    expect(ok).toMatchObject({ status: 'completed', attempts: 3 });
    const before = llm.requests.filter((r) => r.body.model === 'always-503').length;
    const exhausted = await writeOnClock({ model: 'always-503', maxRetries: 1 });
    expect(exhausted).toMatchObject({ status: 'failed', attempts: 2, text: null, error: { code: 'ALAW_ERR_LLM_HTTP' } });
    expect(exhausted.error!.message).toContain('오류 503');
    // The count of attempts is the write-up's own field, and the report says it next to the reason.
    expect(narrativeMarkdown({ ...exhausted, citations: [], invented: [], unverified: [] })).toMatch(/오류 503.*\(2번 시도\) \[ALAW_ERR_LLM_HTTP\]/u);
    expect(llm.requests.filter((r) => r.body.model === 'always-503').length - before).toBe(2);
    // A 400 is not retried.
    const bad = await write({ model: 'bad-request' });
    expect(bad).toMatchObject({ status: 'failed', attempts: 1, text: null, error: { code: 'ALAW_ERR_LLM_HTTP' } });
    expect(bad.error!.message).toContain('오류 400');
    expect(bad.error!.message).toContain('too long');
    const auth = await write({ model: 'unauthorized' });
    expect(auth.error!.message).toContain('llm.apiKey를 확인하세요');
  });

  it('gives up on a server that does not answer, one that stalls mid-text, and one slower than the time limit', async () => {
    const silent = await write({ model: 'slow-start', idleTimeoutSeconds: 1, maxRetries: 0 });
    expect(silent).toMatchObject({ status: 'failed', error: { code: 'ALAW_ERR_LLM_IDLE' } });
    expect(silent.ms).toBeLessThan(4000);

    const texts: string[] = [];
    const stalled = await write({ model: 'stall', idleTimeoutSeconds: 1 }, texts);
    // Text had arrived, so it is not retried (it would repeat what the client already saw).
    expect(stalled).toMatchObject({ status: 'failed', attempts: 1, text: null, error: { code: 'ALAW_ERR_LLM_IDLE' } });
    expect(texts.length).toBeGreaterThan(0);

    const slow = await write({ model: 'slow', timeoutSeconds: 1, idleTimeoutSeconds: 5 });
    expect(slow).toMatchObject({ status: 'failed', error: { code: 'ALAW_ERR_LLM_TIMEOUT' } });
    expect(slow.error!.message).toContain('1초');
  });

  it('keeps within the task deadline, leaving time for the extractive report', async () => {
    const r = await write({ model: 'slow', timeoutSeconds: 60 }, [], new AbortController().signal, Date.now() + 4000);
    expect(r).toMatchObject({ status: 'failed', error: { code: 'ALAW_ERR_LLM_TIMEOUT' } });
    expect(r.ms).toBeLessThan(3000);
  });

  it('reports an unreachable server after its retries, and an answer that is not the protocol', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const r = await new NarrativeWriter(settings({ baseUrl: `http://127.0.0.1:${port}/v1`, maxRetries: 1 })).write(MESSAGES, {
      signal: new AbortController().signal,
      deadlineMs: Date.now() + 60_000,
    });
    expect(r).toMatchObject({ status: 'failed', attempts: 2, error: { code: 'ALAW_ERR_LLM_UNREACHABLE' } });
    expect(r.error!.message).toContain(`127.0.0.1:${port}`);
    const garbage = await write({ model: 'garbage', stream: false });
    expect(garbage.status).toBe('failed');
  });

  it('stops at once when the task is cancelled, with the task’s reason', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const pending = write({ model: 'slow' }, [], controller.signal);
    setTimeout(() => controller.abort(new Error('취소됨')), 200);
    await expect(pending).rejects.toThrow('취소됨');
    // Not at the end of the 20 s budget: the request itself was aborted.
    expect(Date.now() - started).toBeLessThan(1500);
  });
});

describe('analysis with a model', () => {
  const tmp = tempDir();
  let services: ServerServices;
  let app: FastifyInstance;
  let base: string;

  async function analyze(
    model: string,
    description: string,
    over: Partial<LlmSettings> = {},
    limit?: number,
  ): Promise<{ events: { event: string; data: unknown }[]; result: FullAnalysis }> {
    services.queue.handle('analysis', analysisHandler(services, new NarrativeWriter(settings({ model, ...over }))));
    const body = { description, ...(limit ? { options: { limit } } : {}) };
    const created = await fetch(`${base}/api/analysis`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(created.status).toBe(202);
    const { id } = (await created.json()) as { id: string };
    const res = await fetch(`${base}/api/analysis/${id}/events`);
    const events: { event: string; data: unknown }[] = [];
    for (const block of (await res.text()).split('\n\n')) {
      const m = /^event: (\w+)\ndata: (.*)$/su.exec(block.trim());
      if (m) events.push({ event: m[1]!, data: JSON.parse(m[2]!) });
    }
    const done = events.find((e) => e.event === 'done');
    expect(done, JSON.stringify(events.slice(-2))).toBeDefined();
    return { events, result: done!.data as FullAnalysis };
  }

  beforeAll(async () => {
    services = await sampleServices(tmp.dir);
    app = await buildApp(services);
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as net.AddressInfo).port}`;
  });
  afterAll(async () => {
    await app.close();
    await services.close();
    tmp.cleanup();
  });

  const DESCRIPTION =
    '피고가 운전하던 차량이 신호를 위반하여 원고를 치어 원고가 크게 다쳤습니다. 원고는 치료비와 일실수입 등 손해배상을 청구하려고 합니다. 사고는 3년 전에 있었습니다.';

  it('streams the write-up as token events, then checks its citations and adds it to the report', async () => {
    const { events, result } = await analyze('cite', DESCRIPTION);
    const stages = events.filter((e) => e.event === 'progress').map((e) => (e.data as { progress: string }).progress);
    expect(stages).toContain('writing');
    const tokens = events.filter((e) => e.event === 'token').map((e) => (e.data as { text: string }).text);
    expect(tokens.length, JSON.stringify(events.map((e) => [e.event, (e.data as { progress?: string }).progress]))).toBeGreaterThan(1);
    const n = result.narrative as Narrative;
    expect(n).toMatchObject({ status: 'completed', model: 'cite', invented: [], unverified: [] });
    expect(tokens.join('')).toBe(n.text);
    // The model was given the retrieved decisions, and cited the first one, which checks out.
    const first = result.similar[0]!;
    const prompt = llm.requests.at(-1)!.body.messages[1]!.content;
    expect(prompt).toContain(`[1] ${first.court}`);
    expect(prompt).toContain(first.case_number);
    expect(n.citations).toEqual([expect.objectContaining({ case_number: first.case_number, in_corpus: true, in_sources: true, mismatch: null })]);
    expect(result.report_markdown).toContain('## 종합 의견 (언어 모델 cite 작성');
    expect(result.report_markdown).toContain(`✓ 제공한 판례와 일치`);
  });

  it('flags a case number no decision has, and a real one cited with the wrong court', async () => {
    const { result } = await analyze('invent', DESCRIPTION);
    const n = result.narrative!;
    expect(n.invented).toEqual(['2099다99999']);
    expect(n.unverified).toContain('71다1194');
    const wrong = n.citations.find((c) => c.case_number === '71다1194')!;
    expect(wrong.mismatch).toContain('대법원의 사건인데 서울고등법원(으)로 인용했습니다');
    expect(result.report_markdown).toContain('⚠ 판례 데이터에 없는 사건번호입니다');
    expect(result.report_markdown).toContain('주의: 언어 모델이 존재하지 않는 사건번호 1건(2099다99999)');
  });

  it('completes with the extractive report and says why when the model fails or is too slow', async () => {
    const failed = await analyze('bad-request', DESCRIPTION);
    expect(failed.result.narrative).toMatchObject({ status: 'failed', error: { code: 'ALAW_ERR_LLM_HTTP' } });
    expect(failed.result.similar.length).toBeGreaterThan(0);
    expect(failed.result.report_markdown).toContain('## 유사 판례');
    expect(failed.result.report_markdown).toContain('언어 모델(bad-request) 서술 없이 추출 보고서만 제공합니다: 언어 모델 서버가 오류 400');
    const slow = await analyze('slow', DESCRIPTION, { timeoutSeconds: 1 });
    expect(slow.result.narrative).toMatchObject({ status: 'failed', error: { code: 'ALAW_ERR_LLM_TIMEOUT' } });
    // Text was streamed, then taken back: the last token event resets to the (empty) narrative text.
    const tokens = slow.events.filter((e) => e.event === 'token').map((e) => e.data as { text: string; reset?: boolean });
    expect(tokens.length).toBeGreaterThan(1);
    expect(tokens.at(-1)).toEqual({ text: '', reset: true });
  });

  it('gives the model the closest eight decisions only, and checks citations against exactly those', async () => {
    const { result } = await analyze('cite-all', DESCRIPTION, {}, 12);
    expect(result.similar.length).toBe(12);
    const prompt = llm.requests.at(-1)!.body.messages[1]!.content;
    expect(prompt).toContain('\n[8] ');
    expect(prompt).not.toContain('\n[9] ');
    const n = result.narrative!;
    expect(n.citations.length).toBeGreaterThanOrEqual(7); // eight decisions, two may share a case number
    expect(n.citations.every((c) => c.in_sources && c.in_corpus && c.mismatch === null)).toBe(true);
    const given = new Set(result.similar.slice(0, 8).map((x) => x.case_number));
    expect(n.citations.every((c) => given.has(c.case_number))).toBe(true);
    // A decision retrieved but not given to the model (the 10th) is outside its sources.
    const tenth = result.similar[9]!.case_number;
    const outside = (await analyze(`cite:${tenth}`, DESCRIPTION, {}, 12)).result.narrative!;
    expect(given.has(tenth)).toBe(false);
    expect(outside.citations).toEqual([expect.objectContaining({ case_number: tenth, in_corpus: true, in_sources: false })]);
    expect(outside.unverified).toEqual([tenth]);
  });

  it('leaves the model out when the request says so', async () => {
    const before = llm.requests.length;
    services.queue.handle('analysis', analysisHandler(services, new NarrativeWriter(settings({ model: 'cite' }))));
    const r = await fetch(`${base}/api/analysis`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ description: DESCRIPTION, options: { narrative: false } }),
    });
    const { id } = (await r.json()) as { id: string };
    let t: { status: string; result: FullAnalysis | null } = { status: 'pending', result: null };
    for (let i = 0; i < 100 && t.status !== 'completed'; i++) {
      await new Promise((res) => setTimeout(res, 50));
      t = (await (await fetch(`${base}/api/analysis/${id}`)).json()) as typeof t;
    }
    expect(t.result!.narrative).toBeNull();
    expect(llm.requests.length).toBe(before);
  });
});

describe('alaw analyze with a model', () => {
  it('prints the report with the write-up, or without it on --no-narrative', async () => {
    const tmp = tempDir('alaw-cli-llm-');
    const env = sampleEnv(tmp.dir, { ALAW_LLM_BASE_URL: llm.baseUrl, ALAW_LLM_MODEL: 'invent' });
    try {
      const description = '피고가 운전하던 차량이 신호를 위반하여 원고를 치어 원고가 크게 다쳤습니다. 손해배상을 청구하려고 합니다.';
      const r = await run('src/cli/main.ts', ['analyze', '-'], env, description);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('## 종합 의견 (언어 모델 invent 작성');
      expect(r.stdout).toContain('2099다99999');
      expect(r.stdout).toContain('주의: 언어 모델이 존재하지 않는 사건번호');
      const plain = await run('src/cli/main.ts', ['analyze', '-', '--no-narrative'], env, description);
      expect(plain.stdout).toContain('## 유사 판례');
      expect(plain.stdout).not.toContain('종합 의견');
    } finally {
      tmp.cleanup();
    }
  });
});
