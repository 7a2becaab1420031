import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';
import type { ServerServices } from '../app/index.js';
import { classifyTarget } from '../ops/index.js';
import { keyIdOf } from './auth.js';
import { errorCodeOf, observeUnhookedErrors } from './errors.js';
import { parserRefusal, recoverableRequest, type RawClientError } from './rawUrl.js';

/**
 * Everything that happens once per response, in one callback hook (no
 * promise per request on the hot path): the request counters alerts read
 * (with 401/403 per client address), the Prometheus request metrics
 * (labelled by route pattern), a line in `logs/access.log` (time, method,
 * route pattern, path without the query string — search text stays out of
 * the logs —, status, the catalog code of an error answer, duration, bytes,
 * request id, client address, key id, and the kinds of probe the target
 * looks like when it looks like one), and one in `logs/performance.log` for
 * requests slower than `log.slowRequestMs`.
 *
 * Requests Node's HTTP parser refuses before a request exists (431 headers or
 * URL too long, a malformed request line) get an access line too, from the
 * server's `clientError` event.
 */
export function observeResponses(app: FastifyInstance, services: ServerServices): void {
  const { traffic, metrics } = services;
  const access = services.logging?.access ?? null;
  const performance = services.logging?.performance ?? null;
  const slowRequestMs = services.config.log.slowRequestMs;
  const logLine = (request: FastifyRequest, reply: FastifyReply): void => {
    const ms = Math.round(reply.elapsedTime * 10) / 10;
    const length = reply.getHeader('content-length');
    const suspicious = classifyTarget(request.url);
    const line = {
      method: request.method,
      route: request.routeOptions.url ?? null,
      path: request.url.split('?')[0],
      status: reply.statusCode,
      error_code: errorCodeOf(request),
      duration_ms: ms,
      bytes: length === undefined ? null : Number(length),
      request_id: request.id,
      ip: request.ip,
      key: keyIdOf(request),
      ...(suspicious.length > 0 ? { suspicious } : {}),
    };
    access?.info(line);
    if (performance && ms >= slowRequestMs) performance.warn({ kind: 'request', ...line }, 'slow request');
  };
  const log = access || performance;
  const observe = (request: FastifyRequest, reply: FastifyReply): void => {
    traffic.requests += 1;
    const status = reply.statusCode;
    if (status >= 500) traffic.errors5xx += 1;
    else if (status === 401 || status === 403) traffic.authFailures.record(request.ip);
    metrics?.recordRequest(request.method, request.routeOptions.url ?? 'unmatched', status, reply.elapsedTime / 1000);
    if (log) logLine(request, reply);
  };
  app.addHook('onResponse', (request, reply, done) => {
    observe(request, reply);
    done();
  });
  // The router's errors (414 path parameter too long, 400 broken %-escape in the path) skip the hooks.
  observeUnhookedErrors(app, observe);
  if (access) {
    // Before the app's own clientErrorHandler answers: whether the socket can still be answered decides
    // whether there is an answer to log. Recovered raw URLs go through the router and are logged there.
    app.server.prependListener('clientError', (err: RawClientError, socket: Socket) => {
      if (!socket.writable || recoverableRequest(err)) return;
      access.info(clientErrorLine(err, socket));
    });
  }
}

/**
 * The access line of a request refused by Node's parser: the status and code the app's clientErrorHandler
 * answers with ({@link parserRefusal}: 431, 408 or 400), the
 * method and path as far as they were read, and the TCP peer (no request, so no proxy header was read).
 */
export function clientErrorLine(err: RawClientError, socket: Socket): Record<string, unknown> {
  const refusal = parserRefusal(err, 0);
  const raw = err.rawPacket;
  const lineEnd = raw ? raw.indexOf('\r\n') : -1;
  const requestLine = raw ? raw.subarray(0, lineEnd >= 0 ? lineEnd : Math.min(raw.length, 2048)).toString('latin1') : '';
  const [method, target] = requestLine.split(' ');
  const validMethod = method && /^[A-Z]{1,16}$/u.test(method) ? method : null;
  const suspicious = target ? classifyTarget(target) : [];
  return {
    method: validMethod,
    route: null,
    // At most 200 characters of the path, never the query string.
    path: target && validMethod ? (target.split('?')[0] ?? '').slice(0, 200) : null,
    status: refusal.status,
    error_code: refusal.code,
    duration_ms: null,
    bytes: null,
    request_id: null,
    ip: socket.remoteAddress ?? null,
    key: null,
    parser_error: err.code ?? null,
    ...(suspicious.length > 0 ? { suspicious } : {}),
  };
}
