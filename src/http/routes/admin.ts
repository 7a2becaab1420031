import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ServerServices } from '../../app/index.js';
import { E } from '../../errors/index.js';
import { buildLogReport, type LogReport } from '../../ops/index.js';
import { ErrorBody } from '../schemas.js';

/** Operator endpoints that need an admin key. */
export const adminRoutes: FastifyPluginAsyncTypebox<{ services: ServerServices }> = async (app, { services }) => {
  // A report reads every log file of the period (gzipped archives too): one is built at a time.
  // Requests for the same period while it runs get the same report; others are told to retry.
  let running: { hours: number; report: Promise<LogReport> } | null = null;
  const report = (hours: number): Promise<LogReport> => {
    if (running) {
      if (running.hours === hours) return running.report;
      throw E.LOGS_REPORT_BUSY.error({ runningHours: running.hours }, { running_hours: running.hours }).withHeaders({ 'Retry-After': '5' });
    }
    const current = { hours, report: buildLogReport(services.config.log.dir, hours).finally(() => (running = null)) };
    running = current;
    return current.report;
  };

  app.get(
    '/api/admin/logs/report',
    {
      config: { access: 'admin', paramErrors: { hours: E.LOGS_HOURS_INVALID } },
      schema: {
        summary: '로그 보고서 (관리자)',
        description:
          '`alaw logs report`와 같은 보고서: 지난 N시간(기본 24)의 오류 유형 상위 10개(id·번호·시각을 정규화), 총 오류 수와 유형 수, 시간대별 요청 수, 상태별 수(429는 다른 4xx와 따로), 경로별 응답 시간 p50/p90/p99, 가장 느린 경로, 보안(`security`: 요청·429가 많은 주소, 주소·키별 401/403, 스캐너·공격 모양 요청, 413/414/431/400 잘못된 요청), 성능 로그(`performance`: 느린 요청·작업 수, 상위 경로와 p95). 서비스의 logs/archive/*.gz와 logrotate의 access.log.1, access.log.2.gz …도 한 줄씩 한 번만 셉니다. 관리자 키가 필요합니다. 보고서는 한 번에 하나만 만들며, 만드는 중에 같은 기간을 요청하면 같은 보고서를, 다른 기간을 요청하면 429(' +
          E.LOGS_REPORT_BUSY.code +
          ')와 Retry-After를 받습니다.',
        tags: ['운영'],
        security: [{ bearer: [] }],
        querystring: Type.Object({ hours: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 8784, default: 24 })) }),
        response: { 200: Type.Object({}, { additionalProperties: true }), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 429: ErrorBody },
      },
    },
    async (request) => report(request.query.hours ?? 24),
  );
};
