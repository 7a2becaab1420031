import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { ServerServices } from '../../app/index.js';
import { E } from '../../errors/index.js';
import { parseSearchRequest, searchResponse, type RawSearchParams, type SearchResponse } from '../../app/index.js';
import { explainDocument, type SearchRequest } from '../../search/index.js';
import { ErrorBody, SEARCH_PARAM_ERRORS, SearchBody, SearchQuerystring, SearchResponseSchema } from '../schemas.js';

const SEARCH_DESCRIPTION = `판례 검색. 한 엔드포인트가 세 가지를 처리합니다.
- 낱말 검색: \`취득시효 완성 후 소유권이전등기\` — 모든 낱말을 포함한 판례를 BM25F 관련도순으로 (없으면 일부 일치로 완화, relaxed=true)
- 사건번호·판례 인용: \`2016다276177\`, \`대법원 1995. 1. 17. 선고 94나3943 판결\` — 해당 판례를 맨 앞에 (match=case_number)
- 유사 판례: 사건 설명 문단(300~2,000자) — 가장 정보량이 큰 낱말로 비슷한 판례를 찾습니다 (mode=similar). 긴 글은 POST를 쓰세요.`;

/** What the `tasks` row of a search keeps: the request without most of a long query (client case descriptions stay out of the queue table). */
function taskPayload(req: SearchRequest, submittedBy: string, requestId: string): Record<string, unknown> {
  return {
    submitted_by: submittedBy,
    request_id: requestId,
    q: req.q.length > 200 ? `${req.q.slice(0, 200)}…` : req.q,
    q_chars: req.q.length,
    page: req.page,
    size: req.size,
    sort: req.sort,
    mode: req.mode,
    ...(req.courts.length ? { court: req.courts } : {}),
    ...(req.courtLevels.length ? { court_level: req.courtLevels } : {}),
    ...(req.caseTypes.length ? { case_type: req.caseTypes } : {}),
    ...(req.dateFrom ? { date_from: req.dateFrom } : {}),
    ...(req.dateTo ? { date_to: req.dateTo } : {}),
  };
}

const taskResult = (r: SearchResponse): Record<string, unknown> => ({
  total: r.total,
  hits: r.hits.length,
  mode: r.mode,
  took_ms: r.took_ms,
  top: r.hits[0]?.id ?? null,
});

/** `GET|POST /api/search` and `GET /api/search/explain`. */
export const searchRoutes: FastifyPluginAsyncTypebox<{ services: ServerServices }> = async (app, { services }) => {
  const errors = { 400: ErrorBody, 429: ErrorBody, 503: ErrorBody, 504: ErrorBody };
  /** Validates first (a bad request never takes a queue slot), then runs the search as a `search` task. */
  const search = (raw: RawSearchParams, request: FastifyRequest, reply: FastifyReply): Promise<SearchResponse> => {
    const engine = services.search.engine;
    const req = parseSearchRequest(raw, engine.settings);
    const metrics = services.metrics;
    const run = async (): Promise<SearchResponse> => {
      const r = searchResponse(await services.search.search(req));
      metrics?.searchDuration.observe({ mode: r.mode }, r.took_ms / 1000);
      return r;
    };
    return services.queue.run('search', taskPayload(req, request.principal?.id ?? 'local', String(request.id)), run, {
      summarize: taskResult,
      // The task's id, for GET /api/queue/tasks/{id} and for matching a request to the queue table.
      onAdmitted: (id) => void reply.header('x-task-id', id),
    });
  };
  app.get(
    '/api/search',
    {
      config: { paramErrors: SEARCH_PARAM_ERRORS },
      schema: {
        summary: '판례 검색',
        description: SEARCH_DESCRIPTION,
        tags: ['검색'],
        querystring: SearchQuerystring,
        response: { 200: SearchResponseSchema, ...errors },
      },
    },
    async (request, reply) => search(request.query, request, reply),
  );

  app.post(
    '/api/search',
    {
      config: { paramErrors: SEARCH_PARAM_ERRORS },
      schema: {
        summary: '판례 검색 (긴 사건 설명용 POST)',
        description: 'GET /api/search와 같은 매개변수를 JSON 본문으로 받습니다. URL 길이 제한이 없는 유사 판례 검색용입니다.',
        tags: ['검색'],
        body: SearchBody,
        response: { 200: SearchResponseSchema, ...errors },
      },
    },
    async (request, reply) => search(request.body, request, reply),
  );

  app.get(
    '/api/search/explain',
    {
      config: { paramErrors: { ...SEARCH_PARAM_ERRORS, id: E.SEARCH_EXPLAIN_ID } },
      schema: {
        summary: '점수 설명',
        description: '한 판례가 이 검색어로 받은 BM25F 점수를 낱말·필드별로 풀어서 보여 줍니다.',
        tags: ['검색'],
        querystring: Type.Object({ ...SearchQuerystring.properties, id: Type.String({ description: '판례 id' }) }, { additionalProperties: false }),
        response: {
          200: Type.Object(
            {
              id: Type.String(),
              case_number: Type.String(),
              mode: Type.String(),
              score: Type.Number(),
              k1: Type.Number(),
              formula: Type.String(),
              terms: Type.Array(Type.Object({}, { additionalProperties: true })),
              unmatched_terms: Type.Array(Type.String()),
            },
            { additionalProperties: true },
          ),
          400: ErrorBody,
          404: ErrorBody,
        },
      },
    },
    async (request) => {
      const { id, ...params } = request.query;
      const engine = services.search.engine;
      const doc = engine.docNoOf(id);
      if (doc === undefined) throw E.PRECEDENT_NOT_FOUND.error({ id, scope: 'index' }, { id });
      const text = services.store.snippetSource(id);
      return explainDocument(engine, doc, parseSearchRequest(params, engine.settings), text);
    },
  );
};
