import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ServerServices } from '../../app/index.js';
import { buildLogReport } from '../../ops/index.js';
import { ErrorBody } from '../schemas.js';

/** Operator endpoints that need an admin key. */
export const adminRoutes: FastifyPluginAsyncTypebox<{ services: ServerServices }> = async (app, { services }) => {
  app.get(
    '/api/admin/logs/report',
    {
      config: { access: 'admin', paramErrorCodes: { hours: 'ALAW_ERR_LOGS_HOURS_INVALID' } },
      schema: {
        summary: '로그 보고서 (관리자)',
        description:
          '`alaw logs report`와 같은 보고서: 지난 N시간(기본 24)의 오류 유형 상위 10개(id·번호·시각을 정규화), 총 오류 수와 유형 수, 시간대별 요청 수, 상태별 수, 경로별 응답 시간 p50/p90/p99, 가장 느린 경로. 회전·압축된 logs/archive/도 읽습니다. 관리자 키가 필요합니다.',
        tags: ['운영'],
        security: [{ bearer: [] }],
        querystring: Type.Object({ hours: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 8784, default: 24 })) }),
        response: { 200: Type.Object({}, { additionalProperties: true }), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody },
      },
    },
    async (request) => buildLogReport(services.config.log.dir, request.query.hours ?? 24),
  );
};
