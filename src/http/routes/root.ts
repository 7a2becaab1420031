import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ServerServices } from '../../app/index.js';
import { VERSION } from '../../version.js';

/** `GET /`: what is running, since when, over how many decisions. */
export const rootRoutes: FastifyPluginAsyncTypebox<{ services: ServerServices }> = async (app, { services }) => {
  app.get(
    '/',
    {
      schema: {
        summary: '서비스 정보',
        tags: ['운영'],
        response: {
          200: Type.Object({
            service: Type.String(),
            version: Type.String(),
            instance_id: Type.String(),
            status: Type.Union([Type.Literal('ok'), Type.Literal('draining')], { description: 'draining: 종료 중 (새 작업을 받지 않음)' }),
            started_at: Type.String(),
            uptime_s: Type.Number(),
            documents: Type.Integer(),
            docs: Type.String(),
          }),
        },
      },
    },
    async () => ({
      service: 'ALaw AI-Backend',
      version: VERSION,
      instance_id: services.instanceId,
      status: services.queue.isDraining ? ('draining' as const) : ('ok' as const),
      started_at: services.startedAt.toISOString(),
      uptime_s: Math.round(process.uptime()),
      documents: services.search.documents,
      docs: '/docs',
    }),
  );

  app.get(
    '/api/search/status',
    {
      schema: {
        summary: '검색 색인 상태',
        description:
          '불러온 검색 색인(목록 data/index/search.idx와 세그먼트·삭제 표시 파일들)의 크기, 세그먼트 수, 삭제 표시된 이전 판, 만든 시각, 원본 데이터와의 일치 여부, 검색 작업 스레드 수',
        tags: ['운영'],
        response: {
          200: Type.Object({
            file: Type.String(),
            documents: Type.Integer(),
            terms: Type.Integer(),
            postings: Type.Integer(),
            bytes: Type.Integer(),
            segments: Type.Integer({ description: '색인을 이루는 세그먼트 수' }),
            deleted_documents: Type.Integer({ description: '나중 가져오기로 바뀌어 삭제 표시된 이전 판(병합 때 지워짐)' }),
            last_update: Type.Union([
              Type.Object(
                {
                  added: Type.Integer(),
                  deleted: Type.Integer(),
                  merged_segments: Type.Integer(),
                  ms: Type.Number(),
                },
                { description: '이 프로세스가 시작할 때 바뀐 판례만 새 세그먼트로 더했다면 그 내용' },
              ),
              Type.Null(),
            ]),
            workers: Type.Integer({ description: '검색 작업 스레드 수 (0: 메인 스레드에서 검색)' }),
            checksums: Type.Union([Type.Literal('verified'), Type.Literal('verifying'), Type.Literal('failed')], {
              description: '불러온 세그먼트의 체크섬: 확인됨, 백그라운드에서 확인 중(서버는 먼저 요청을 받고 확인함), 손상 발견(새로 만드는 중)',
            }),
            build: Type.Union([
              Type.Object(
                {
                  state: Type.Union([Type.Literal('building'), Type.Literal('failed')]),
                  reason: Type.String(),
                  started_at: Type.String(),
                  done: Type.Integer(),
                  total: Type.Integer(),
                  message: Type.Optional(Type.String()),
                },
                { description: '지금 색인으로 검색하는 동안 백그라운드에서 새 색인을 만드는 중이면 그 진행 상황 (done/total 건)' },
              ),
              Type.Null(),
            ]),
            corpus_version: Type.String(),
            built_at: Type.String(),
            build_ms: Type.Number(),
            loaded_in_ms: Type.Number(),
            rebuilt_because: Type.Union([Type.String(), Type.Null()]),
            stale: Type.Boolean(),
          }),
        },
      },
    },
    async () => ({ ...services.search.status(), stale: services.search.isStale() }),
  );
};
