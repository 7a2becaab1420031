import type { FastifyInstance } from 'fastify';
import type { ServerLogging } from '../ops/index.js';

/**
 * `logs/access.log`: one JSON line per request (time, method, route pattern,
 * path without the query string — search text stays out of the logs —,
 * status, duration, bytes, request id, client address, key id), and
 * `logs/performance.log`: requests slower than `log.slowRequestMs`.
 */
export function logRequests(app: FastifyInstance, logging: ServerLogging, slowRequestMs: number): void {
  const { access, performance } = logging;
  if (!access && !performance) return;
  // A callback hook, not an async one: no promise per request on the hot path.
  app.addHook('onResponse', (request, reply, done) => {
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
    done();
  });
}
