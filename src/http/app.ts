import { AjvCompiler } from '@fastify/ajv-compiler';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifySchemaCompiler } from 'fastify';
import { Type } from 'typebox';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { E } from '../errors/index.js';
import { logContext } from '../context.js';
import type { ServerServices } from '../app/index.js';
import { tokenList } from '../config/index.js';
import { KeyAuth } from './auth.js';
import { registerLoadShedding } from './loadShedding.js';
import { errorBody, registerErrorHandling, sendError } from './errors.js';
import { DOCS_CSP, RAW_SECURITY_HEADERS, SECURITY_HEADERS, registerRateLimit, registerSecurityHeaders, requestIdOf } from './hardening.js';
import { MethodIndex } from './methods.js';
import { afterInFlight, parserRefusal, recoverRawUrl, type RawClientError } from './rawUrl.js';
import { adminRoutes } from './routes/admin.js';
import { analysisRoutes } from './routes/analysis.js';
import { metricsRoutes } from './routes/metrics.js';
import { observeResponses } from './responses.js';
import { precedentRoutes } from './routes/precedents.js';
import { queueRoutes } from './routes/queue.js';
import { rootRoutes } from './routes/root.js';
import { searchRoutes } from './routes/search.js';
import { ErrorBody } from './schemas.js';
import { StopGate } from './stopping.js';
import { VERSION } from '../version.js';

/** What each status means in this API (OpenAPI response descriptions). */
const RESPONSE_MEANING: Record<string, string> = {
  200: '성공',
  202: '접수됨 (작업이 큐에 들어감)',
  400: '요청 값이 올바르지 않음 (error.code로 원인 구분)',
  401: 'API 키가 없거나 올바르지 않음',
  403: '권한이 없음 (관리자 키 필요, 또는 키 없이 외부에서 접근)',
  404: '없음',
  409: '지금 상태에서는 할 수 없음',
  413: '요청 본문이 너무 큼',
  415: 'JSON이 아닌 본문',
  429: '요청이 너무 많거나 대기열이 가득 참 (Retry-After 뒤 다시)',
  503: '일시적으로 처리할 수 없음 (Retry-After 뒤 다시)',
  504: '제한 시간 초과',
};

/** Longest path parameter (judgment ids, law names, articles), characters: Fastify's default maxParamLength. */
const MAX_PARAM_LENGTH = 100;

/** A number as a person writes one in a URL: `2`, `-1`, `0.5`. Not `0x10`, `1e2`, `Infinity`, ` 1` or `-0`. */
const DECIMAL = /^(?:0|-?[1-9]\d{0,14})(?:\.\d{1,6})?$|^-?0\.\d{1,6}$/;

type Validate = ReturnType<FastifySchemaCompiler<unknown>>;

/**
 * Query-string numbers are coerced by Ajv with `+value`, which also takes `0x10` (16), `1e2`, `Infinity`
 * and `1E400` (Infinity): a parameter declared as a number or integer must first be written as a plain
 * decimal; anything else fails like any schema violation (the route's catalog error for it, 400).
 */
function decimalNumbersOnly(schema: unknown, validate: Validate): Validate {
  const props = (schema as { properties?: Record<string, { type?: unknown }> }).properties ?? {};
  const numeric = Object.entries(props)
    .filter(([, p]) => p.type === 'number' || p.type === 'integer')
    .map(([name, p]) => [name, p.type as string] as const);
  if (numeric.length === 0) return validate;
  const checked: Validate = (data: unknown) => {
    const query = data as Record<string, unknown> | null;
    for (const [name, type] of numeric) {
      if (!query || !Object.hasOwn(query, name)) continue;
      const value = query[name];
      if (typeof value === 'string' && !DECIMAL.test(value)) {
        checked.errors = [{ instancePath: `/${name}`, schemaPath: `#/properties/${name}/type`, keyword: 'type', params: { type }, message: `must be ${type}` }];
        return false;
      }
    }
    const ok = validate(data);
    checked.errors = validate.errors;
    return ok;
  };
  return checked;
}

export interface BuildOptions {
  /** The server's stop (closed by the composition root on SIGTERM); a gate of its own when not given. */
  gate?: StopGate;
}

/**
 * Builds the HTTP application without listening (tests call `inject()`).
 * OpenAPI is generated from the route schemas and served at /docs.
 */
export async function buildApp(services: ServerServices, options: BuildOptions = {}): Promise<FastifyInstance> {
  const gate = options.gate ?? new StopGate();
  const server = services.config.server;
  const trustedProxies = tokenList(server.trustProxy);
  const maxHeaderSize = Math.max(16 * 1024, services.config.search.maxQueryChars * 9 + 8 * 1024);
  const app = Fastify({
    // The cast is not redundant: it makes Fastify's logger type parameter FastifyBaseLogger (not pino's Logger),
    // so the instance has the plain FastifyInstance type every route plugin is written against.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    loggerInstance: services.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    // Fastify binds this handler to the instance.
    clientErrorHandler(this: FastifyInstance, err, socket) {
      if (recoverRawUrl(this, err as unknown as Parameters<typeof recoverRawUrl>[1], socket)) return;
      if (!socket.writable) return void socket.destroy();
      // Node's parser refused the request before there was a request object: the usual body, written by hand.
      const error = parserRefusal(err as unknown as RawClientError, Math.round(maxHeaderSize / 1024));
      const requestId = randomUUID();
      const body = JSON.stringify(errorBody(error, requestId));
      // Responses go out in request order: a pipelined request before this one is answered first.
      afterInFlight(socket, () =>
        socket.end(
          `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? ''}\r\ncontent-type: application/json; charset=utf-8\r\n` +
            `content-length: ${Buffer.byteLength(body)}\r\nx-request-id: ${requestId}\r\n${RAW_SECURITY_HEADERS}connection: close\r\n\r\n${body}`,
          // Closed, not half-closed: a client that keeps sending (a slow one) must not keep the connection.
          () => socket.destroy(),
        ),
      );
    },
    // Errors of the router, before any route or hook: the usual error body.
    frameworkErrors(err, request, reply) {
      // No hook ran for this request: the security headers are set here.
      void reply.headers(SECURITY_HEADERS);
      void sendError(
        reply,
        request,
        err.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? E.REQUEST_PATH_TOO_LONG.error({ max: MAX_PARAM_LENGTH })
          : E.REQUEST_MALFORMED.error({ problem: 'percent_encoding' }),
      );
    },
    // Long GET queries: up to search.maxQueryChars Korean characters, 9 URL bytes each, plus headers.
    // A client that trickles its headers is cut off after headersTimeout (checked every second, not Node's 30 s).
    http: { maxHeaderSize, headersTimeout: server.headersTimeoutSeconds * 1000, connectionsCheckingInterval: 1000 },
    requestTimeout: server.requestTimeoutSeconds * 1000,
    keepAliveTimeout: server.keepAliveTimeoutSeconds * 1000,
    bodyLimit: server.bodyLimit,
    // Only the configured proxies may say who the client is (X-Forwarded-For); nobody when none is configured.
    trustProxy: trustedProxies.length > 0 ? trustedProxies : false,
    // Our own id check instead of Fastify's, which would take any X-Request-Id verbatim.
    requestIdHeader: false,
    genReqId: (req) => requestIdOf(req.headers['x-request-id']),
    // While stopping, new requests get the StopGate's 503 (the catalog's body, logged), never Fastify's generic one.
    return503OnClosing: false,
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.server.maxConnections = server.maxConnections;
  // Query strings and paths are text, so their values are coerced to the schema's types
  // (page=2 → 2, court_level=a&court_level=b → a list). JSON bodies already carry types:
  // {"q": 123} is an error there, not the string "123".
  const buildValidator = AjvCompiler();
  const coercing = buildValidator({}, { customOptions: { coerceTypes: 'array', removeAdditional: false, allErrors: false } });
  const exact = buildValidator({}, { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } });
  // Every /api route refuses query parameters it does not know (a misspelt filter must not silently do nothing),
  // including those without any: `?constructor=1` on the health check is a 400 too, not ignored.
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/')) return;
    const schema = (route.schema ??= {}) as { querystring?: unknown };
    const query = (schema.querystring ??= Type.Object({}, { additionalProperties: false })) as { additionalProperties?: unknown };
    query.additionalProperties ??= false;
  });
  app.setValidatorCompiler((route) =>
    route.httpPart === 'body' ? exact(route) : route.httpPart === 'querystring' ? decimalNumbersOnly(route.schema, coercing(route)) : coercing(route),
  );
  // No text/plain parser: a body that is not JSON is 415, whatever its type.
  app.removeContentTypeParser('text/plain');

  // First of all hooks: every response carries the security headers, whichever later hook refuses the request.
  registerSecurityHeaders(app);
  const methods = new MethodIndex(app, MAX_PARAM_LENGTH);
  registerErrorHandling(app, services.config.server.bodyLimit, (request) => {
    const path = request.url.split('?')[0] ?? '/';
    const allowed = methods.allowed(path);
    return allowed.length > 0
      ? E.METHOD_NOT_ALLOWED.error({ method: request.method, path, allowed }, { allowed }).withHeaders({ Allow: allowed.join(', ') })
      : E.NOT_FOUND.error({ method: request.method, path });
  });
  // The rest of the request (hooks, handler, the queue, the store) runs inside its log context.
  app.addHook('onRequest', (request, _reply, done) => logContext.run({ request_id: String(request.id) }, done));
  // While the server stops: 503 SERVER_STOPPING before anything else is checked (health and /metrics go on).
  gate.register(app);
  // The query parser tolerates broken %-escapes (it would pass `%E0%A4%A` on as text); the router rejects them in paths.
  // Queries get the same answer as paths: 400 REQUEST_MALFORMED.
  app.addHook('onRequest', (request, _reply, done) => {
    const q = request.url.indexOf('?');
    if (q >= 0 && request.url.includes('%', q)) {
      try {
        decodeURIComponent(request.url.slice(q + 1));
      } catch {
        return done(E.REQUEST_MALFORMED.error({ problem: 'percent_encoding' }));
      }
    }
    done();
  });
  await registerLoadShedding(app, server.maxEventLoopDelayMs);
  const auth = new KeyAuth(services.keys, services.config.auth, services.logger, services.clock);
  await registerRateLimit(app, server.rateLimit, auth);
  auth.register(app);
  observeResponses(app, services);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addSchema(ErrorBody);

  await app.register(swagger, {
    // Responses whose schema has no description get the Korean meaning of their status.
    transformObject: (doc) => {
      if (!('openapiObject' in doc)) return doc.swaggerObject;
      const openapiObject = doc.openapiObject;
      for (const item of Object.values(
        (openapiObject as { paths?: Record<string, Record<string, { responses?: Record<string, { description?: string }> }>> }).paths ?? {},
      )) {
        for (const op of Object.values(item)) {
          for (const [status, response] of Object.entries(op.responses ?? {})) {
            if (response.description === 'Default Response') response.description = RESPONSE_MEANING[status] ?? response.description;
          }
        }
      }
      return openapiObject;
    },
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'ALaw AI-Backend API',
        version: VERSION,
        description: '한국 판례 검색·사건번호 조회 API. 모든 오류는 `{ "error": { "code", "message" } }` 형식이며 code는 안정된 값입니다.',
      },
      tags: [
        { name: '검색', description: '판례 검색, 유사 판례, 점수 설명' },
        { name: '판례', description: '판례 전문과 사건번호 조회' },
        { name: '분석', description: '사건 설명으로 유사 판례 기반 분석 (비동기 작업)' },
        { name: '운영', description: '서비스·색인·작업 큐 상태' },
      ],
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description:
              'API 키 (`alaw keys create`로 발급, 또는 ALAW_ADMIN_TOKEN/ALAW_USER_TOKENS). 키가 하나도 없으면 같은 컴퓨터의 요청만 키 없이 받습니다.',
          },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'Authorization 헤더 대신 쓸 수 있습니다.' },
        },
      },
      security: [{ bearer: [] }, { apiKey: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: DOCS_CSP });

  await app.register(rootRoutes, { services });
  await app.register(searchRoutes, { services });
  await app.register(precedentRoutes, { services });
  await app.register(queueRoutes, { services });
  await app.register(analysisRoutes, { services, gate });
  await app.register(adminRoutes, { services });
  if (services.metrics) await app.register(metricsRoutes, { services, metrics: services.metrics });
  return app;
}
