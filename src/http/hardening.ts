import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import helmetHeaders from 'helmet';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../config/index.js';
import { E } from '../errors/index.js';
import { KeyAuth } from './auth.js';

/**
 * Defence in depth for installs without nginx (and behind it): security
 * headers on every response, a per-key (or per-address) rate limit, safe
 * request ids. The server's timeouts and connection cap are set where the
 * server is built (app.ts), from the same `server` settings.
 */

/** What an inbound X-Request-Id may look like to be kept (UUIDs, nginx's $request_id, ULIDs, trace ids). */
const SAFE_REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/**
 * The id of a request: the client's (or nginx's) X-Request-Id when it is at most 128 safe characters,
 * else a new UUID. Anything else (CR, LF, NUL, quotes, 10 kB of text) is never echoed or logged verbatim.
 */
export function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === 'string' && SAFE_REQUEST_ID.test(header) ? header : randomUUID();
}

/** The JSON API's Content-Security-Policy: it serves no documents, so nothing may load or frame it. */
const API_CSP = {
  defaultSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'none'"],
  frameAncestors: ["'none'"],
};

/** /docs (Swagger UI) loads its own scripts and styles from this server, nothing from elsewhere. */
export const DOCS_CSP = {
  'default-src': ["'self'"],
  'base-uri': ["'self'"],
  'connect-src': ["'self'"],
  'font-src': ["'self'", 'data:'],
  'frame-ancestors': ["'none'"],
  'img-src': ["'self'", 'data:'],
  'object-src': ["'none'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'", "'unsafe-inline'"],
};

const HELMET_OPTIONS = {
  contentSecurityPolicy: { useDefaults: false, directives: API_CSP },
  frameguard: { action: 'deny' as const },
  referrerPolicy: { policy: 'no-referrer' as const },
  crossOriginResourcePolicy: { policy: 'same-origin' as const },
  // HSTS belongs to whoever terminates TLS (nginx); over plain HTTP browsers ignore it anyway.
  strictTransportSecurity: false,
};

/**
 * The same headers as a fixed list, for the responses no hook sees: router errors (a broken %-escape in
 * the path) and what the server writes by hand on the socket (a request Node's parser refused). Computed
 * once by running helmet itself, so the lists cannot drift apart.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = (() => {
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (name: string, value: unknown) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  } as unknown as ServerResponse;
  helmetHeaders(HELMET_OPTIONS)({} as IncomingMessage, res, () => undefined);
  return Object.freeze(headers);
})();

/** SECURITY_HEADERS as raw header lines. */
export const RAW_SECURITY_HEADERS = Object.entries(SECURITY_HEADERS)
  .map(([k, v]) => `${k}: ${v}\r\n`)
  .join('');

/**
 * Every response gets SECURITY_HEADERS, from one synchronous hook that runs before any other: the values
 * are helmet's, computed once at start-up. (@fastify/helmet itself runs helmet's middleware on every
 * request from two hooks, one of them async; measured in bench/edge.bench.ts it cost about 14 % of the
 * CPU of a cheap search, this hook a fraction of that. /docs overrides the CSP with its own.)
 */
export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', (_request, reply, done) => {
    void reply.headers(SECURITY_HEADERS);
    done();
  });
}

/**
 * The in-app rate limit, checked before authentication so that floods of bad keys are limited too:
 * per API key when the request presents one the service knows, else per client address (`request.ip`,
 * which honours only the configured trusted proxies). Requests from this machine are exempt by default.
 */
export async function registerRateLimit(app: FastifyInstance, settings: Readonly<Config['server']['rateLimit']>, auth: KeyAuth): Promise<void> {
  if (!settings.enabled) return;
  const windowMs = settings.windowSeconds * 1000;
  await app.register(rateLimit, {
    global: false,
    max: settings.max,
    timeWindow: windowMs,
    // Bounded memory: at most this many keys are tracked at once (least recently used go first).
    cache: 20_000,
    keyGenerator: async (request: FastifyRequest) => {
      const principal = await auth.knownPrincipal(request);
      return principal ? `key:${principal.id}` : `ip:${request.ip}`;
    },
    allowList: (request: FastifyRequest) => settings.exemptLoopback && KeyAuth.isLocal(request),
    // The x-ratelimit-* headers only on a 429 (with Retry-After), not on every answer: they cost on every request.
    addHeadersOnExceeding: { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false },
    errorResponseBuilder: (_request, context) =>
      E.RATE_LIMITED.error({ max: settings.max, windowS: settings.windowSeconds, retryS: Math.max(1, Math.ceil(context.ttl / 1000)) }).withHeaders({
        'Retry-After': String(Math.max(1, Math.ceil(context.ttl / 1000))),
      }),
  });
  app.addHook('onRequest', app.rateLimit());
}
