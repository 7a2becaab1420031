import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ServerServices } from '../../app/index.js';
import { sleep } from '../../clock.js';
import { checkDescription } from '../../analysis/index.js';
import { E } from '../../errors/index.js';
import { isBlankText } from '../../text/index.js';
import { canSee, type Principal } from '../../auth/index.js';
import { ErrorBody } from '../schemas.js';
import { taskError } from './queue.js';
import { STOPPING_RETRY_S, stoppingEvent, type StopGate } from '../stopping.js';

const CaseTypeParam = Type.Union(['민사', '형사', '행정', '가사', '특허'].map((t) => Type.Literal(t)) as [ReturnType<typeof Type.Literal<string>>], {
  description: '유사 판례를 이 사건 종류로 한정',
});

const AnalysisBody = Type.Object(
  {
    description: Type.String({
      minLength: 20,
      maxLength: 20_000,
      description: '의뢰인 사건 설명 (앞뒤 공백을 빼고 20~20,000자; 공백·보이지 않는 문자뿐이면 400 ' + E.ANALYSIS_DESCRIPTION_BLANK.code + ')',
    }),
    case_type: Type.Optional(CaseTypeParam),
    options: Type.Optional(
      Type.Object(
        {
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 30, description: '읽을 유사 판례 수 (기본 10)' })),
          narrative: Type.Optional(Type.Boolean({ description: '언어 모델이 설정되어 있을 때 종합 의견을 쓸지 (기본 true). false면 추출 보고서만' })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const AnalysisStatus = Type.Object({
  id: Type.String(),
  status: Type.String({ description: 'pending, processing, completed, failed, timeout, cancelled' }),
  position: Type.Union([Type.Integer(), Type.Null()]),
  estimated_wait_s: Type.Union([Type.Integer(), Type.Null()]),
  progress: Type.Union([Type.String(), Type.Null()], { description: '실행 중 단계: extracting, retrieving, analyzing, writing(언어 모델)' }),
  partial_text: Type.Union([Type.String(), Type.Null()], { description: '언어 모델이 지금까지 쓴 글 (writing 단계에서만; 인용 검증 전)' }),
  created_at: Type.String(),
  started_at: Type.Union([Type.String(), Type.Null()]),
  finished_at: Type.Union([Type.String(), Type.Null()]),
  result: Type.Unknown({ description: '완료되면 분석 결과 (extracted, similar, issues, statutes, outcomes, narrative, report_markdown)' }),
  error: Type.Union([Type.Object({ code: Type.Union([Type.String(), Type.Null()]), message: Type.String() }), Type.Null()]),
});

/**
 * `POST /api/analysis` (202 with the task id) and `GET /api/analysis/{id}`:
 * a case analysis runs as an `analysis` task on the queue.
 */
export const analysisRoutes: FastifyPluginAsyncTypebox<{ services: ServerServices; gate: StopGate }> = async (app, { services, gate }) => {
  /** The analysis task with this id, or 404 (also when another key created it). */
  const findAnalysis = async (id: string, principal: Principal | null) => {
    const t = await services.queue.task(id).catch((err: unknown) => {
      services.queue.reportStoreError(err);
      throw E.QUEUE_UNAVAILABLE.error({});
    });
    if (!t || t.type !== 'analysis' || !canSee(principal, t)) {
      throw E.ANALYSIS_NOT_FOUND.error({ id }, { id });
    }
    return t;
  };

  app.post(
    '/api/analysis',
    {
      config: {
        paramErrors: {
          description: E.ANALYSIS_DESCRIPTION_LENGTH,
          'description.required': E.ANALYSIS_DESCRIPTION_REQUIRED,
          case_type: E.ANALYSIS_CASE_TYPE_INVALID,
        },
      },
      // A blank description (white space and invisible characters only, even 20 of them) is refused as blank,
      // before the length rule of the schema would call it short.
      preValidation: async (request) => {
        const description = (request.body as { description?: unknown } | null | undefined)?.description;
        if (typeof description === 'string' && isBlankText(description)) throw E.ANALYSIS_DESCRIPTION_BLANK.error({ parameter: 'description' });
      },
      schema: {
        summary: '사건 분석 요청',
        description:
          '사건 설명을 받아 분석 작업을 큐에 넣고 202와 작업 id를 돌려줍니다. 결과는 GET /api/analysis/{id}. 분석 대기열이 가득 차면 429와 Retry-After. 분석: 설명에서 법조문·사건번호·금액·날짜·당사자 추출, 유사 판례, 그 판례들의 쟁점(판시사항)·적용 법조문·결과(주문), 판례를 인용한 한국어 보고서(Markdown).',
        tags: ['분석'],
        body: AnalysisBody,
        response: {
          202: Type.Object({
            id: Type.String(),
            status: Type.Literal('pending'),
            status_url: Type.String(),
            position: Type.Integer(),
            estimated_wait_s: Type.Integer(),
          }),
          400: ErrorBody,
          429: ErrorBody,
          503: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const { description, case_type, options } = request.body;
      // What the analysis itself will require (its length counted without surrounding white space): refused
      // here, before a task exists, rather than accepted and failed later.
      checkDescription(description);
      const t = await services.queue.submit('analysis', {
        description,
        case_type,
        limit: options?.limit,
        narrative: options?.narrative,
        submitted_by: request.principal?.id ?? 'local',
        request_id: String(request.id),
      });
      const statusUrl = `/api/analysis/${t.id}`;
      return reply
        .status(202)
        .header('location', statusUrl)
        .send({ id: t.id, status: 'pending' as const, status_url: statusUrl, position: t.position, estimated_wait_s: t.estimated_wait_s });
    },
  );

  app.delete(
    '/api/analysis/:id',
    {
      config: { paramErrors: { id: E.TASK_ID_INVALID } },
      schema: {
        summary: '사건 분석 취소',
        description: '대기 중인 분석은 바로 취소하고, 이 서버에서 실행 중인 분석은 중단합니다. 이미 끝났거나 다른 인스턴스에서 실행 중이면 409.',
        tags: ['분석'],
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) }),
        response: { 200: Type.Object({ id: Type.String(), status: Type.Literal('cancelled') }), 400: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (request) => {
      const { id } = request.params;
      const t = await findAnalysis(id, request.principal);
      const outcome = await services.queue.cancel(id, `DELETE ${request.ip}`);
      if (outcome === 'running_elsewhere') {
        throw E.ANALYSIS_RUNNING_ELSEWHERE.error({ id });
      }
      if (outcome !== 'cancelled') throw E.ANALYSIS_FINISHED.error({ status: t.status }, { id, status: t.status });
      return { id, status: 'cancelled' as const };
    },
  );

  app.get(
    '/api/analysis/:id/events',
    {
      config: { paramErrors: { id: E.TASK_ID_INVALID } },
      schema: {
        summary: '사건 분석 진행 이벤트 (SSE)',
        description:
          'text/event-stream. 상태가 바뀔 때마다 `event: progress` (data: {"status","progress","position"}), 언어 모델이 글을 쓰는 동안 `event: token` (data: {"text": 새로 쓴 부분}), 끝나면 `event: done` (data: 결과) 또는 `event: failed` (data: {"status","error"})를 보내고 닫습니다. 단계: queued(pending) → extracting → retrieving → analyzing → (writing) → done/failed. 분석이 끝나기 전에 서버가 종료(재배포)되면 마지막으로 `event: stopping` (`retry: 5000`; data: {"id","status","outcome","message","events_url","status_url","retry_after_s"}; outcome은 running_elsewhere(다른 인스턴스에서 실행 중), released(이 서버가 실행하던 것을 대기열로 돌려놓음), queued(대기열에서 기다리는 중))을 보내고 닫습니다. 분석은 계속되므로 5초 뒤 같은 주소로 다시 연결하거나 GET /api/analysis/{id}로 확인하세요.',
        tags: ['분석'],
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) }),
        response: { 404: ErrorBody },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const first = await findAnalysis(id, request.principal);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no', // nginx: pass events through at once
        'x-request-id': String(request.id),
      });
      const send = (event: string, data: unknown): void => {
        res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      };
      let closed = false;
      request.raw.on('close', () => (closed = true));
      // The server's stop asks this stream for its last event (`stopping`) once the queue has stopped.
      const streamClosed = gate.openStream();
      const ending = gate.streamsEnding;
      // This instance was running the analysis when last seen (then the stop handed it back).
      let ranHere = false;
      let last = '';
      let streamed = '';
      const clock = services.clock;
      let lastBeat = clock.now();
      const until = clock.now() + 10 * 60_000;
      try {
        for (let t: typeof first | null = first; !closed && clock.now() < until;) {
          if (!t) break;
          const terminal = t.status !== 'pending' && t.status !== 'processing';
          // A finished task's last stage is history, not progress: it ends with done/failed below.
          const stage = t.status === 'pending' ? 'queued' : (t.progress ?? t.status);
          const key = `${t.status}|${stage}`;
          if (!terminal && key !== last) {
            last = key;
            send('progress', { status: t.status, progress: stage, position: t.position });
          }
          // The model's text as it grows; a new attempt starts a new text.
          const partial = t.status === 'processing' ? (t.partial ?? '') : '';
          if (partial.length > streamed.length || (partial && !partial.startsWith(streamed))) {
            const fresh = partial.startsWith(streamed);
            send('token', fresh ? { text: partial.slice(streamed.length) } : { text: partial, reset: true });
            streamed = partial;
          }
          if (t.status === 'completed') {
            // Token events add up to the final narrative text: the rest of it, or, when it is not what was
            // streamed (the model failed: no text; a retried attempt: another text), a reset to it.
            if (streamed) {
              const text = (t.result as { narrative?: { text?: string | null } | null } | null)?.narrative?.text ?? '';
              if (!text.startsWith(streamed)) send('token', { text, reset: true });
              else if (text.length > streamed.length) send('token', { text: text.slice(streamed.length) });
            }
            send('done', t.result);
            break;
          }
          if (t.status === 'failed' || t.status === 'timeout' || t.status === 'cancelled') {
            send('failed', { status: t.status, error: taskError(t) });
            break;
          }
          if (ending.aborted) {
            // The server stops before the analysis ended: where it is now and where to follow it, then close.
            res.write(`event: stopping\nretry: ${STOPPING_RETRY_S * 1000}\ndata: ${JSON.stringify(stoppingEvent(t, services.instanceId, ranHere))}\n\n`);
            break;
          }
          ranHere = t.status === 'processing' && t.owner === services.instanceId;
          if (clock.now() - lastBeat > 15_000) {
            res.write(': keep-alive\n\n');
            lastBeat = clock.now();
          }
          await sleep(clock, t.progress === 'writing' ? 100 : 200, ending);
          t = await services.queue.task(id).catch(() => null);
        }
      } finally {
        res.end();
        streamClosed();
      }
    },
  );

  app.get(
    '/api/analysis/:id',
    {
      config: { paramErrors: { id: E.TASK_ID_INVALID } },
      schema: {
        summary: '사건 분석 결과',
        description: '분석 작업의 상태와 대기 순서, 끝났으면 결과나 오류.',
        tags: ['분석'],
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) }),
        response: { 200: AnalysisStatus, 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => {
      const t = await findAnalysis(request.params.id, request.principal);
      return {
        id: t.id,
        status: t.status,
        position: t.position,
        estimated_wait_s: t.estimated_wait_s,
        progress: t.progress,
        partial_text: t.status === 'processing' && t.progress === 'writing' ? t.partial : null,
        created_at: t.created_at,
        started_at: t.started_at,
        finished_at: t.finished_at,
        result: t.status === 'completed' ? t.result : null,
        error: t.status === 'completed' ? null : taskError(t),
      };
    },
  );
};
