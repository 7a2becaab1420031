import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { ServerServices } from '../../app/index.js';
import { E } from '../../errors/index.js';
import { TASK_STATUSES, taskTypeOf, type TaskRecord } from '../../queue/index.js';
import { actorOf, canSee } from '../../auth/index.js';
import { ErrorBody } from '../schemas.js';

const TypeStats = Type.Object({ pending: Type.Integer(), processing: Type.Integer(), completed: Type.Integer() });

export const HealthSchema = Type.Object(
  {
    status: Type.Union([Type.Literal('healthy'), Type.Literal('degraded'), Type.Literal('unhealthy')]),
    is_running: Type.Boolean(),
    queue_stats: Type.Object({ search: TypeStats, analysis: TypeStats }),
    resource_usage: Type.Object({ memory_percent: Type.Number(), cpu_percent: Type.Number() }),
    timestamp: Type.String({ description: 'ISO 8601 UTC' }),
  },
  { description: '운영 가이드의 헬스체크 형식 그대로' },
);

const TaskSchema = Type.Object({
  id: Type.String(),
  type: Type.String(),
  status: Type.Union([...TASK_STATUSES].map((s) => Type.Literal(s)) as [ReturnType<typeof Type.Literal<string>>]),
  position: Type.Union([Type.Integer(), Type.Null()], { description: '대기 중일 때 같은 종류 대기열에서의 순서 (1부터)' }),
  estimated_wait_s: Type.Union([Type.Integer(), Type.Null()]),
  attempts: Type.Integer(),
  max_attempts: Type.Integer(),
  created_at: Type.String(),
  started_at: Type.Union([Type.String(), Type.Null()]),
  finished_at: Type.Union([Type.String(), Type.Null()]),
  wait_ms: Type.Union([Type.Integer(), Type.Null()]),
  run_ms: Type.Union([Type.Integer(), Type.Null()]),
  owner: Type.Union([Type.String(), Type.Null()], { description: '작업을 맡은(맡았던) 인스턴스' }),
  origin: Type.String({ description: '작업을 받은 인스턴스' }),
  result: Type.Unknown(),
  error: Type.Union([Type.Object({ code: Type.Union([Type.String(), Type.Null()]), message: Type.String() }), Type.Null()]),
});

/** Whether a request came with a body (any length, parsed or not, even `{}` or `null`). */
function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.body !== undefined || request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** A task's error as the API shows it (`null` when it has none). */
export function taskError(t: Pick<TaskRecord, 'error' | 'error_code'>): { code: string | null; message: string } | null {
  return t.error === null ? null : { code: t.error_code, message: t.error };
}

/** The operations guide's queue endpoints and task lookup. */
export const queueRoutes: FastifyPluginAsyncTypebox<{ services: ServerServices }> = async (app, { services }) => {
  const queue = services.queue;
  const logProblems = (): string[] => services.logging?.files?.problems ?? [];

  app.get(
    '/api/queue/health',
    {
      // While the server stops it answers 503 `unhealthy`, is_running false: what takes the instance out of a load balancer.
      config: { access: 'public', whileStopping: true },
      schema: {
        summary: '큐 헬스체크',
        description:
          '운영 가이드의 형식(status, is_running, queue_stats, resource_usage, timestamp). 데이터베이스에 접근할 수 없거나 큐가 멈췄으면(종료 중 포함: 서버가 종료하는 동안에도 답하며 `is_running: false`) HTTP 503이므로 `curl -f`로 감시할 수 있습니다. degraded(대기열이 80% 이상 찼거나, 제한 시간보다 오래 기다리는 작업이 있거나, 메모리 90% 이상)는 200입니다.',
        tags: ['운영'],
        response: { 200: HealthSchema, 503: HealthSchema },
      },
    },
    async (_request, reply) => {
      const h = await queue.health();
      // Log files that fell back to stdout do not stop the service, but an operator must hear of it.
      if (h.status === 'healthy' && logProblems().length > 0) h.status = 'degraded';
      reply.header('cache-control', 'no-store');
      return reply.status(h.status === 'unhealthy' ? 503 : 200).send(h);
    },
  );

  app.get(
    '/api/queue/status/json',
    {
      // The operator follows the drain here (draining: true, the reasons).
      config: { access: 'local', whileStopping: true },
      schema: {
        summary: '큐 상세 상태',
        description:
          '종류별 제한과 현재 프로필(conservative/optimized), 상태별 작업 수, 가장 오래 기다린 작업, 최근 15분 대기·실행 시간 p50/p95, 거절 수, 인스턴스 목록, 상태 판정 이유.',
        tags: ['운영'],
        response: { 200: Type.Object({}, { additionalProperties: true }) },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'no-store');
      const st = (await queue.status()) as Record<string, unknown> & { status: string; reasons?: string[] };
      const problems = logProblems();
      if (problems.length > 0) {
        if (st.status === 'healthy') st.status = 'degraded';
        st.reasons = [...(st.reasons ?? []), ...problems.map((p) => `로그 파일에 쓸 수 없어 표준 출력으로 기록 중: ${p}`)];
      }
      return { ...st, logs: services.logging?.files ? { dir: services.logging.files.dir, problems } : null };
    },
  );

  app.post(
    '/api/queue/clear',
    {
      config: { access: 'admin', paramErrors: { type: E.QUEUE_TYPE_INVALID } },
      // Exactly the documented input, checked before the schema so that each mistake gets its own answer:
      // nothing in the body, no parameter but `type`, and `type` given once. Anything else cancels nothing.
      preValidation: async (request) => {
        if (hasBody(request)) throw E.QUEUE_CLEAR_BODY.error();
        const query = request.query as Record<string, unknown>;
        const unknown = Object.keys(query).filter((k) => k !== 'type');
        if (unknown.length > 0) throw E.QUEUE_CLEAR_PARAM_UNKNOWN.error({ names: unknown }, { parameters: unknown });
        const given = query.type;
        if (given === undefined) throw E.QUEUE_CLEAR_TYPE_REQUIRED.error({ via: 'api' });
        if (Array.isArray(given)) throw E.QUEUE_TYPE_INVALID.error({ option: 'type', value: given, repeated: true }, { parameter: 'type' });
        if (typeof given !== 'string' || (given !== 'all' && !taskTypeOf(given))) {
          throw E.QUEUE_TYPE_INVALID.error({ option: 'type', value: given }, { parameter: 'type' });
        }
      },
      schema: {
        summary: '대기 중인 작업 비우기 (관리자)',
        description:
          '대기(pending) 중인 작업을 취소합니다. 실행 중인 작업은 건드리지 않습니다. 관리자 키 필요: `Authorization: Bearer <관리자 키>` (없으면 401, 관리자가 아닌 키는 403). `type`은 꼭 보내야 합니다: `?type=search`, `?type=analysis`(또는 case_analysis), 대기 중인 작업 전부는 `?type=all`. `type`이 없거나, 두 번 있거나, 다른 매개변수나 요청 본문이 있으면 400이고 아무것도 취소하지 않습니다 (' +
          [E.QUEUE_CLEAR_TYPE_REQUIRED, E.QUEUE_TYPE_INVALID, E.QUEUE_CLEAR_PARAM_UNKNOWN, E.QUEUE_CLEAR_BODY].map((x) => x.code).join(', ') +
          '). 누가(키, 주소) 무엇을 취소했는지 로그에 남깁니다. 취소된 검색 요청은 503(' +
          E.QUEUE_CANCELLED.code +
          ')을 받습니다.',
        tags: ['운영'],
        security: [{ bearer: [] }],
        querystring: Type.Object({
          type: Type.Union([Type.Literal('search'), Type.Literal('analysis'), Type.Literal('case_analysis'), Type.Literal('all')], {
            description: '비울 대기열: search, analysis(case_analysis), 또는 전부(all)',
          }),
        }),
        response: {
          200: Type.Object({
            removed: Type.Integer(),
            by_type: Type.Object({ search: Type.Integer(), analysis: Type.Integer() }),
            ids: Type.Array(Type.String()),
            type: Type.String(),
          }),
          400: ErrorBody,
          401: ErrorBody,
          403: ErrorBody,
          503: ErrorBody,
        },
      },
    },
    async (request) => {
      const principal = request.principal!;
      const type = request.query.type === 'all' ? null : taskTypeOf(request.query.type)!;
      const actor = actorOf(principal);
      let out;
      try {
        // The queue writes the one audit line: who asked (key id and name, address) and exactly what was cancelled.
        out = await queue.clear(type, `${actor} ${request.ip}`, { actor, key_name: principal.name, ip: request.ip });
      } catch (err) {
        queue.reportStoreError(err);
        throw E.QUEUE_UNAVAILABLE.error({ action: 'clear' });
      }
      return { ...out, type: type ?? 'all' };
    },
  );

  app.get(
    '/api/queue/tasks/:id',
    {
      config: { paramErrors: { id: E.TASK_ID_INVALID } },
      schema: {
        summary: '작업 상태',
        description:
          '작업의 상태, 대기 순서와 예상 대기 시간, 결과 또는 오류. 요청 내용(payload)은 보여 주지 않습니다. 다른 키로 만든 작업은 관리자 키가 아니면 404입니다.',
        tags: ['운영'],
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) }),
        response: { 200: TaskSchema, 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => {
      const t = await queue.task(request.params.id).catch((err: unknown) => {
        queue.reportStoreError(err);
        throw E.QUEUE_UNAVAILABLE.error({});
      });
      if (!t || !canSee(request.principal, t))
        throw E.TASK_NOT_FOUND.error(
          { id: request.params.id },
          {
            id: request.params.id,
          },
        );
      return {
        id: t.id,
        type: t.type,
        status: t.status,
        position: t.position,
        estimated_wait_s: t.estimated_wait_s,
        attempts: t.attempts,
        max_attempts: t.max_attempts,
        created_at: t.created_at,
        started_at: t.started_at,
        finished_at: t.finished_at,
        wait_ms: t.wait_ms,
        run_ms: t.run_ms,
        owner: t.owner,
        origin: t.origin,
        result: t.result,
        error: taskError(t),
      };
    },
  );
};
