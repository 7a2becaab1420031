import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ServerServices } from '../../app/index.js';
import type { Metrics } from '../../ops/index.js';

/**
 * `GET /metrics` in the Prometheus text format. Requests are counted in the
 * one response hook (src/http/responses.ts), labelled with their route pattern
 * (`/api/precedents/:id`), or `unmatched` for a URL no route serves, so ids
 * and query strings never become label values.
 */
export const metricsRoutes: FastifyPluginAsyncTypebox<{ services: ServerServices; metrics: Metrics }> = async (app, { services, metrics }) => {
  app.get(
    '/metrics',
    {
      // Scrapes go on while the server stops.
      config: { access: services.config.metrics.access, whileStopping: true },
      schema: {
        summary: 'Prometheus 메트릭',
        description:
          '운영 가이드의 app_requests_total{method,endpoint,status}, app_request_duration_seconds, app_memory_usage_bytes, app_cpu_usage_percent와 작업 큐(alaw_queue_*), 검색(alaw_search_*), Node.js 프로세스 기본 메트릭. 기본 설정(metrics.access=local)에서는 같은 컴퓨터에서 키 없이, 다른 곳에서는 API 키로 읽습니다.',
        tags: ['운영'],
        security: [{ bearer: [] }],
      },
    },
    async (_request, reply) => {
      reply.header('content-type', metrics.contentType).header('cache-control', 'no-store');
      return metrics.text();
    },
  );
};
