import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerServices } from '../app/index.js';

/**
 * Everything that happens once per response, in one callback hook (no
 * promise per request on the hot path): the request counters alerts read,
 * the Prometheus request metrics (labelled by route pattern), a line in
 * `logs/access.log` (time, method, route pattern, path without the query
 * string — search text stays out of the logs —, status, duration, bytes,
 * request id, client address, key id), and one in `logs/performance.log`
 * for requests slower than `log.slowRequestMs`.
 */
export function observeResponses(app: FastifyInstance, services: ServerServices): void {
  const { traffic, metrics } = services;
  const access = services.logging?.access ?? null;
  const performance = services.logging?.performance ?? null;
  const slowRequestMs = services.config.log.slowRequestMs;
  const logLine = (request: FastifyRequest, reply: FastifyReply): void => {
    const ms = Math.round(reply.elapsedTime * 10) / 10;
    const length = reply.getHeader('content-length');
    const line = {
      method: request.method,
      route: request.routeOptions.url ?? null,
      path: request.url.split('?')[0],
      status: reply.statusCode,
      duration_ms: ms,
      bytes: length === undefined ? null : Number(length),
      request_id: request.id,
      ip: request.ip,
      key: request.principal?.id ?? null,
    };
    access?.info(line);
    if (performance && ms >= slowRequestMs) performance.warn({ kind: 'request', ...line }, 'slow request');
  };
  const log = access || performance;
  app.addHook('onResponse', (request, reply, done) => {
    traffic.requests += 1;
    if (reply.statusCode >= 500) traffic.errors5xx += 1;
    metrics?.recordRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    if (log) logLine(request, reply);
    done();
  });
}
