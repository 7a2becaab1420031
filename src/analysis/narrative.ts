import { sleep, systemClock, type Clock, type Timer } from '../clock.js';
import { AlawError, E } from '../errors/index.js';
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { Config } from '../config/index.js';
import type { Precedent } from '../corpus/index.js';
import { caseNumberKeys, findCaseNumbers, findCitations, formatCitation, normalizeCourtName } from '../legal/index.js';
import type { AnalysisResult } from './analyze.js';

/**
 * The optional write-up of an analysis by a language model behind an
 * OpenAI-compatible chat-completions endpoint (vLLM, Ollama, commercial
 * providers). The model is given the retrieved decisions only and told to
 * cite them; every case number in what it writes is then checked against the
 * corpus, and ones that do not exist (or do not match the court and date the
 * model gave) are flagged. Failure of any kind never fails the analysis: the
 * caller keeps the extractive report and the reason.
 */

export type LlmSettings = Config['llm'];

/** One case number the model wrote, checked against the corpus and the decisions it was given. */
export interface CitationCheck {
  case_number: string;
  /** As the model wrote it (the full citation when it gave one). */
  text: string;
  in_corpus: boolean;
  /** Among the decisions the model was given. */
  in_sources: boolean;
  /** Why a citation that exists still does not match (another court or date than the decision has). */
  mismatch: string | null;
  decisions: { id: string; court: string; decision_date: string | null }[];
}

export interface Narrative {
  status: 'completed' | 'failed';
  model: string;
  /** The model's text (null when it failed: a partial text is not shown as an analysis). */
  text: string | null;
  citations: CitationCheck[];
  /** Case numbers the model wrote that no decision of the corpus has: invented. */
  invented: string[];
  /** Citations that exist but name another court or date, or that were not among the given decisions. */
  unverified: string[];
  error: { code: string; message: string } | null;
  attempts: number;
  ms: number;
  finish_reason: string | null;
}

/** How many decisions the model reads (the closest ones); the caller gives these, and checks citations against the same ones. */
export const NARRATIVE_SOURCES = 8;
/** Time kept back from the task's deadline for the extractive report and the task's own bookkeeping. */
const DEADLINE_MARGIN_MS = 3000;

/** A failure of the write-up: a catalog error, and whether another attempt may succeed. */
class NarrativeError extends AlawError {
  constructor(
    failure: AlawError,
    readonly retryable = false,
  ) {
    super(failure.spec, failure.message, failure.details);
  }
}

/** The messages: instructions, the client's description, and the numbered decisions (all of `sources`), nothing else. */
export function narrativeMessages(
  description: string,
  analysis: Omit<AnalysisResult, 'report_markdown'>,
  sources: Precedent[],
  sourceChars: number,
): ChatCompletionMessageParam[] {
  const system = [
    '당신은 한국 변호사를 돕는 판례 분석 보조자입니다. 아래 [참고 판례]에 적힌 내용만 근거로 의뢰인의 사건을 분석하세요.',
    '규칙:',
    '1. 판례를 언급할 때마다 번호와 법원·선고일·사건번호를 목록에 적힌 그대로 쓰세요. 예: [1] 대법원 2019. 5. 30. 선고 2016다276177 판결',
    '2. [참고 판례]에 없는 판례, 사건번호, 법조문을 만들어 내지 마세요. 기억나는 다른 판례도 쓰지 마세요.',
    '3. 참고 판례로 판단할 수 없는 부분은 "참고 판례만으로는 판단할 수 없습니다"라고 쓰세요.',
    '4. 구성: ① 쟁점 ② 관련 판례의 판단 ③ 예상되는 결론과 위험 ④ 추가로 확인할 사실.',
    '5. 한국어로, 2,000자 이내로 쓰세요. 법률 자문이 아니라 검토 자료입니다.',
  ].join('\n');
  const blocks = sources.map((p, i) => {
    const similar = analysis.similar.find((s) => s.id === p.id);
    const body = [
      p.holdings ? `판시사항: ${p.holdings}` : '',
      p.summary ? `판결요지: ${p.summary}` : '',
      similar?.disposition ? `주문: ${similar.disposition}` : '',
      `이유(앞부분): ${p.full_text}`,
    ]
      .filter(Boolean)
      .join('\n');
    return `[${i + 1}] ${formatCitation(p)} ${p.case_name} (${p.case_type}${similar?.outcomes.length ? `, 결과: ${similar.outcomes.join('·')}` : ''})\n${body.length > sourceChars ? `${body.slice(0, sourceChars)}…` : body}`;
  });
  const statutes = analysis.statutes
    .filter((s) => !s.procedural)
    .slice(0, 8)
    .map((s) => s.key);
  const user = [
    `[의뢰인 사건]\n${description}`,
    statutes.length ? `[참고 판례들이 적용한 법조문]\n${statutes.join(', ')}` : '',
    `[참고 판례]\n${blocks.length ? blocks.join('\n\n') : '(찾은 판례 없음)'}`,
  ]
    .filter(Boolean)
    .join('\n\n');
  return [
    { role: 'system', content: system },
    { role: 'user', content: user },
  ];
}

/**
 * Checks each case number in `text`: does the corpus have it, was it among the
 * given decisions, and, when the model wrote a full citation, do the court and
 * date match a decision with that number.
 */
export async function checkCitations(
  text: string,
  sources: Pick<Precedent, 'id' | 'case_number'>[],
  lookup: (caseNumber: string) => Promise<{ id: string; court: string; decision_date: string | null }[]>,
): Promise<Pick<Narrative, 'citations' | 'invented' | 'unverified'>> {
  const given = new Set(sources.flatMap((s) => caseNumberKeys(s.case_number)));
  const full = findCitations(text);
  const byNumber = new Map<string, { text: string; court: string | null; date: string | null }>();
  for (const c of full)
    for (const n of c.numbers)
      if (!byNumber.has(n.normalized)) byNumber.set(n.normalized, { text: text.slice(c.start, c.end).replace(/\s+/gu, ' '), court: c.court, date: c.date });
  for (const m of findCaseNumbers(text, { loose: true })) {
    for (const n of m.numbers) if (!byNumber.has(n.normalized)) byNumber.set(n.normalized, { text: text.slice(m.start, m.end), court: null, date: null });
  }
  const citations: CitationCheck[] = [];
  for (const [number, seen] of byNumber) {
    const decisions = await lookup(number);
    let mismatch: string | null = null;
    if (decisions.length > 0 && seen.court) {
      const court = normalizeCourtName(seen.court);
      const sameCourt = decisions.filter((d) => d.court === court);
      if (sameCourt.length === 0)
        mismatch = `${number}은(는) ${[...new Set(decisions.map((d) => d.court))].join(', ')}의 사건인데 ${court}(으)로 인용했습니다.`;
      else if (seen.date && !sameCourt.some((d) => d.decision_date === seen.date)) {
        mismatch = `${number}의 선고일은 ${sameCourt.map((d) => d.decision_date ?? '미상').join(', ')}인데 ${seen.date}(으)로 인용했습니다.`;
      }
    }
    citations.push({ case_number: number, text: seen.text, in_corpus: decisions.length > 0, in_sources: given.has(number), mismatch, decisions });
  }
  return {
    citations,
    invented: citations.filter((c) => !c.in_corpus).map((c) => c.case_number),
    unverified: citations.filter((c) => c.in_corpus && (c.mismatch !== null || !c.in_sources)).map((c) => c.case_number),
  };
}

/** The chat-completions client with our timeouts and retries around it. */
export class NarrativeWriter {
  private readonly client: OpenAI;

  constructor(
    readonly settings: LlmSettings,
    /** Time for the budget, the idle and total timers and the backoff between retries. */
    private readonly clock: Clock = systemClock,
  ) {
    this.client = new OpenAI({
      baseURL: settings.baseUrl,
      // Local servers (Ollama, vLLM) take any key; the SDK insists on one.
      apiKey: settings.apiKey || 'not-needed',
      // Retries are ours (below): only before any text has arrived, and within the deadline.
      maxRetries: 0,
      timeout: settings.idleTimeoutSeconds * 1000,
    });
  }

  get model(): string {
    return this.settings.model;
  }

  /**
   * Writes the narrative: `onText` hears the text so far as it grows. Resolves
   * with a completed or failed narrative; rejects only with the task's own
   * abort reason (cancelled or timed out from outside).
   */
  async write(
    messages: ChatCompletionMessageParam[],
    opts: { signal: AbortSignal; deadlineMs: number; onText?: (text: string) => void },
  ): Promise<Omit<Narrative, 'citations' | 'invented' | 'unverified'>> {
    const started = performance.now();
    const s = this.settings;
    const budgetMs = Math.min(s.timeoutSeconds * 1000, opts.deadlineMs - DEADLINE_MARGIN_MS - this.clock.now());
    const until = this.clock.now() + Math.max(0, budgetMs);
    const result = (status: Narrative['status'], text: string | null, error: Narrative['error'], attempts: number, finish: string | null) => ({
      status,
      model: s.model,
      text,
      error,
      attempts,
      ms: Math.round(performance.now() - started),
      finish_reason: finish,
    });
    const cancelled = (): Error => (opts.signal.reason instanceof Error ? opts.signal.reason : new Error(String(opts.signal.reason)));
    let attempts = 0;
    for (;;) {
      if (opts.signal.aborted) throw cancelled();
      attempts += 1;
      let emitted = false;
      try {
        const { text, finish } = await this.once(messages, until, Math.round(budgetMs / 1000), opts.signal, (t) => {
          emitted = true;
          opts.onText?.(t);
        });
        if (!text.trim()) throw new NarrativeError(E.LLM_EMPTY.error());
        return result('completed', text, null, attempts, finish);
      } catch (err) {
        if (opts.signal.aborted) throw cancelled();
        const e = err instanceof NarrativeError ? err : new NarrativeError(E.LLM_FAILED.error({ stage: 'call', reason: (err as Error).message }));
        const backoff = Math.min(4000, 500 * 2 ** (attempts - 1));
        if (e.retryable && !emitted && attempts <= s.maxRetries && this.clock.now() + backoff < until) {
          await sleep(this.clock, backoff, opts.signal);
          continue;
        }
        return result('failed', null, { code: e.code, message: e.message }, attempts, null);
      }
    }
  }

  /** One request; text chunks go to `onText` as the accumulated text. */
  private async once(
    messages: ChatCompletionMessageParam[],
    until: number,
    budgetS: number,
    outer: AbortSignal,
    onText: (text: string) => void,
  ): Promise<{ text: string; finish: string | null }> {
    const s = this.settings;
    const controller = new AbortController();
    let why: NarrativeError | null = null;
    const abort = (e: NarrativeError): void => {
      why ??= e;
      controller.abort(e);
    };
    const onOuter = (): void => controller.abort(outer.reason);
    if (outer.aborted) throw outer.reason instanceof Error ? outer.reason : new Error(String(outer.reason));
    outer.addEventListener('abort', onOuter, { once: true });
    const total = this.clock.setTimeout(() => abort(new NarrativeError(E.LLM_TIMEOUT.error({ budgetS }))), Math.max(0, until - this.clock.now()));
    // Streaming: nothing for idleTimeoutSeconds (before the first chunk or between chunks) is a failure. Without
    // streaming the whole answer comes at once, so only the total budget applies.
    let idle: Timer | undefined;
    const touch = (): void => {
      if (!s.stream) return;
      this.clock.clearTimeout(idle);
      idle = this.clock.setTimeout(() => abort(new NarrativeError(E.LLM_IDLE.error({ idleS: s.idleTimeoutSeconds }), true)), s.idleTimeoutSeconds * 1000);
    };
    touch();
    try {
      if (until <= this.clock.now()) throw new NarrativeError(E.LLM_TIMEOUT.error({ budgetS: null }));
      const base = { model: s.model, messages, temperature: s.temperature, max_tokens: s.maxTokens };
      if (!s.stream) {
        const r = await this.client.chat.completions.create(
          { ...base, stream: false },
          { signal: controller.signal, timeout: Math.max(1, until - this.clock.now()) },
        );
        const text = r.choices[0]?.message?.content ?? '';
        onText(text);
        return { text, finish: r.choices[0]?.finish_reason ?? null };
      }
      const stream = await this.client.chat.completions.create({ ...base, stream: true }, { signal: controller.signal });
      let text = '';
      let finish: string | null = null;
      for await (const chunk of stream) {
        touch();
        const choice = chunk.choices[0];
        const delta = choice?.delta?.content;
        if (delta) {
          text += delta;
          onText(text);
        }
        if (choice?.finish_reason) finish = choice.finish_reason;
      }
      // The SDK ends the iteration quietly when the request is aborted: that is not a finished text.
      if (controller.signal.aborted) throw why ?? new NarrativeError(E.LLM_ABORTED.error());
      return { text, finish };
    } catch (err) {
      // `why` is set by the timers' callbacks, which control-flow analysis does not see.
      const reason = why as NarrativeError | null;
      if (reason) throw reason;
      throw classify(err, s.baseUrl);
    } finally {
      this.clock.clearTimeout(total);
      this.clock.clearTimeout(idle);
      outer.removeEventListener('abort', onOuter);
    }
  }
}

/** A client error as a coded, Korean, retryable-or-not failure. */
function classify(err: unknown, baseUrl: string): NarrativeError {
  if (err instanceof NarrativeError) return err;
  if (err instanceof APIUserAbortError) return new NarrativeError(E.LLM_ABORTED.error());
  if (err instanceof APIConnectionTimeoutError) return new NarrativeError(E.LLM_IDLE.error({ idleS: null }), true);
  if (err instanceof APIConnectionError) return new NarrativeError(E.LLM_UNREACHABLE.error({ baseUrl }), true);
  if (err instanceof APIError && typeof err.status === 'number') {
    const status = err.status;
    const retryable = status === 408 || status === 409 || status === 429 || status >= 500;
    const detail = (err.error as { message?: unknown } | undefined)?.message;
    return new NarrativeError(E.LLM_HTTP.error({ status, detail: typeof detail === 'string' ? detail.slice(0, 200) : '' }), retryable);
  }
  return new NarrativeError(E.LLM_FAILED.error({ stage: 'read', reason: (err as Error).message }), false);
}

/** The report section of the write-up: the text with its citation check, or why there is none. */
export function narrativeMarkdown(n: Narrative): string {
  if (n.status !== 'completed' || n.text === null) {
    return `> 언어 모델(${n.model}) 서술 없이 추출 보고서만 제공합니다: ${n.error?.message ?? '알 수 없는 오류'}${n.attempts > 1 ? ` (${n.attempts}번 시도)` : ''} [${n.error?.code ?? E.LLM_FAILED.code}]`;
  }
  const lines = [`## 종합 의견 (언어 모델 ${n.model} 작성, 위 판례만 근거로 요청)`, '', n.text.trim(), '', '### 인용 검증', ''];
  if (n.citations.length === 0) lines.push('- 사건번호 인용이 없습니다.');
  for (const c of n.citations) {
    const mark = !c.in_corpus
      ? '⚠ 판례 데이터에 없는 사건번호입니다 (지어낸 인용일 수 있음)'
      : c.mismatch
        ? `⚠ ${c.mismatch}`
        : !c.in_sources
          ? '⚠ 제공한 유사 판례 밖의 판례입니다 (원문 확인 필요)'
          : '✓ 제공한 판례와 일치';
    lines.push(`- ${c.text}: ${mark}`);
  }
  if (n.invented.length)
    lines.push('', `> 주의: 언어 모델이 존재하지 않는 사건번호 ${n.invented.length}건(${n.invented.join(', ')})을 인용했습니다. 이 부분은 믿지 마세요.`);
  return lines.join('\n');
}
