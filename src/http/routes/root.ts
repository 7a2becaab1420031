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
      documents: services.search.engine.index.header.docCount,
      docs: '/docs',
    }),
  );

  app.get(
    '/api/search/status',
    {
      schema: {
        summary: '검색 색인 상태',
        description: '불러온 검색 색인(목록 data/index/search.idx와 세그먼트 파일들)의 크기, 세그먼트 수, 만든 시각, 원본 데이터와의 일치 여부',
        tags: ['운영'],
        response: {
          200: Type.Object({
            file: Type.String(),
            documents: Type.Integer(),
            terms: Type.Integer(),
            postings: Type.Integer(),
            bytes: Type.Integer(),
            segments: Type.Integer({ description: '색인을 이루는 세그먼트 수' }),
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
