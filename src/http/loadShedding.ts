import underPressure from '@fastify/under-pressure';
import type { FastifyInstance } from 'fastify';
import { E } from '../errors/index.js';

/** The requests that start work (a search, an analysis); everything else is answered whatever the load. */
const SHED = new Set(['GET /api/search', 'POST /api/search', 'POST /api/analysis']);

/**
 * Sheds load when the event loop lags (@fastify/under-pressure): while its delay is above
 * `maxEventLoopDelayMs`, requests that would start new work get 503 ALAW_ERR_SERVER_OVERLOADED with
 * `Retry-After`, so the work already admitted, the health check and the metrics keep their answers
 * (the queue's own limits turn work away with 429 long before this in normal overload; this is the
 * backstop for a loop that is slow for another reason: a huge similar-case query, GC, a noisy neighbour).
 */
export async function registerLoadShedding(app: FastifyInstance, maxEventLoopDelayMs: number): Promise<void> {
  if (maxEventLoopDelayMs <= 0) return;
  await app.register(underPressure, {
    maxEventLoopDelay: maxEventLoopDelayMs,
    sampleInterval: 200,
    exposeStatusRoute: false,
    pressureHandler: (request, _reply, _type, value) => {
      if (!SHED.has(`${request.method} ${request.routeOptions.url ?? ''}`)) return; // answered as usual
      const lagMs = Math.round(value ?? maxEventLoopDelayMs);
      const retryS = Math.max(1, Math.ceil((lagMs * 2) / 1000));
      // A rejected promise reaches the error handler (next(err)): the catalog's body, headers and access-log line.
      return Promise.reject(E.SERVER_OVERLOADED.error({ lagMs, retryS }).withHeaders({ 'Retry-After': String(retryS) }));
    },
  });
}
