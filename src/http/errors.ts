import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { E, isAlawError, validationError, type AlawError, type ErrorSpec, type ValidationFailure } from '../errors/index.js';

/** The catalog entry a schema violation of each parameter gets (`<param>.required` for a missing one). */
export type ParamErrors = Readonly<Record<string, ErrorSpec<never>>>;

/** Route option: which catalog entry a schema violation of each parameter gets. */
export interface RouteErrorCodes {
  paramErrors?: ParamErrors;
}

interface ErrorPayload {
  error: { code: string; message: string; details?: Record<string, unknown> };
  request_id: string;
}

/** The one error body, `{ error: { code, message, details? }, request_id }`, from a catalog error, with its status and headers. */
export function errorBody(err: AlawError, requestId: string): ErrorPayload {
  return { error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) }, request_id: requestId };
}

/** The catalog code each errored request was answered with (the access log's `error_code`). */
const sentCodes = new WeakMap<FastifyRequest, string>();

/** The catalog code a request was answered with, or null when it was not an error answer. */
export const errorCodeOf = (request: FastifyRequest): string | null => sentCodes.get(request) ?? null;

/** Per app: what observes an answer that no onResponse hook sees (the router's errors). */
const unhookedObservers = new WeakMap<FastifyInstance, (request: FastifyRequest, reply: FastifyReply) => void>();

/** Registers what sees the router's error answers, which Fastify sends without running the app's hooks. */
export function observeUnhookedErrors(app: FastifyInstance, observe: (request: FastifyRequest, reply: FastifyReply) => void): void {
  unhookedObservers.set(app, observe);
}

/**
 * Sends an error of the router (Fastify's `frameworkErrors`: a path parameter too long, a broken `%`-escape
 * in the path) as the one error body. Fastify answers those outside the route's hooks, so no onResponse hook
 * sees them: the observer registered with {@link observeUnhookedErrors} is called when the answer is written.
 * Errors inside a request's lifecycle go through the error handler instead.
 */
export function sendError(reply: FastifyReply, request: FastifyRequest, err: AlawError): FastifyReply {
  const observe = unhookedObservers.get(request.server);
  if (observe) reply.raw.once('finish', () => observe(request, reply));
  return answerError(reply, request, err);
}

/** Sends a catalog error as the one error body (status, headers, `x-request-id` from the onSend hook). */
function answerError(reply: FastifyReply, request: FastifyRequest, err: AlawError): FastifyReply {
  sentCodes.set(request, err.code);
  if (err.headers) void reply.headers(err.headers);
  // Also set by the app's onSend hook; set here too for the router's errors, which some hooks never see.
  void reply.header('x-request-id', String(request.id));
  return reply
    .status(err.status)
    .type('application/json; charset=utf-8')
    .send(errorBody(err, String(request.id)));
}

const TYPE_NAMES: Record<string, string> = {
  integer: '정수',
  number: '수',
  string: '문자열',
  boolean: 'true 또는 false',
  array: '목록',
  object: 'JSON 객체',
  null: 'null',
};

/** Why a value failed its schema, in Korean, by AJV keyword. */
const AJV_MESSAGES: Record<string, (p: Record<string, unknown>) => string> = {
  type: (p) =>
    `${String(p.type)
      .split(',')
      .map((t) => TYPE_NAMES[t] ?? t)
      .join(' 또는 ')}이어야 합니다`,
  minimum: (p) => `${String(p.limit)} 이상이어야 합니다`,
  maximum: (p) => `${String(p.limit)} 이하여야 합니다`,
  exclusiveMinimum: (p) => `${String(p.limit)}보다 커야 합니다`,
  minLength: (p) => `${String(p.limit)}자 이상이어야 합니다`,
  maxLength: (p) => `${String(p.limit)}자 이하여야 합니다`,
  maxItems: (p) => `${String(p.limit)}개 이하여야 합니다`,
  required: () => '필수 항목이 없습니다',
  additionalProperties: () => '알 수 없는 항목입니다 (오타인지 확인하세요; 쓸 수 있는 항목은 /docs 에 있습니다)',
  pattern: () => '형식이 올바르지 않습니다',
  format: () => '형식이 올바르지 않습니다',
  const: (p) => `${JSON.stringify(p.allowedValue)}이어야 합니다`,
  anyOf: () => '허용된 값이 아닙니다',
  enum: (p) => `${JSON.stringify(p.allowedValues)} 중 하나여야 합니다`,
};

/** A schema violation (the first of its errors) as the route's catalog error for that parameter. */
function schemaError(err: FastifyError, request: FastifyRequest): AlawError {
  const validation = err.validation!;
  const first = validation[0]!;
  const param =
    (first.params as { missingProperty?: string }).missingProperty ??
    (first.instancePath ?? '').split('/').filter(Boolean)[0] ??
    (first.params as { additionalProperty?: string }).additionalProperty ??
    '';
  const specs = (request.routeOptions.config as RouteErrorCodes | undefined)?.paramErrors ?? {};
  // A union of literals fails with one `const` error per allowed value: name them all.
  const allowed =
    first.keyword === 'const'
      ? validation
          .filter((e) => e.keyword === 'const' && e.instancePath === first.instancePath)
          .map((e) => (e.params as { allowedValue?: unknown }).allowedValue)
      : [];
  // `size=10&size=20` arrives as a list: say that, not "must be a string".
  const given = err.validationContext === 'querystring' && param ? (request.query as Record<string, unknown> | undefined)?.[param] : undefined;
  const why =
    Array.isArray(given) && first.keyword === 'type'
      ? '한 번만 쓸 수 있습니다 (여러 값은 쉼표로: court_level=대법원,고등법원)'
      : allowed.length > 1
        ? `${allowed.map((v) => JSON.stringify(v)).join(', ')} 중 하나여야 합니다`
        : (AJV_MESSAGES[first.keyword]?.(first.params) ?? '값이 올바르지 않습니다');
  const where: ValidationFailure['where'] = err.validationContext === 'body' ? '요청 본문' : err.validationContext === 'params' ? '경로' : '요청 값';
  // Only own keys: a parameter named `constructor` or `__proto__` must not find Object.prototype's members.
  const own = (key: string) => (Object.hasOwn(specs, key) ? specs[key] : undefined);
  const spec = (first.keyword === 'required' ? own(`${param}.required`) : undefined) ?? own(param) ?? E.REQUEST_INVALID;
  return validationError(spec, { where, parameter: param, why }, { parameter: param || undefined, location: err.validationContext });
}

/** Fastify's own errors (body parsing, limits) as catalog errors; null for anything unexpected. */
export function frameworkError(err: FastifyError, bodyLimit: number): AlawError | null {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return E.REQUEST_JSON.error();
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return E.REQUEST_TOO_LARGE.error({ maxBytes: bodyLimit });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return E.REQUEST_MEDIA_TYPE.error();
    default:
      return err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? E.REQUEST_INVALID.error() : null;
  }
}

/**
 * Maps every error to the one error body: our AlawErrors keep their code and
 * status; schema violations become 400s with the parameter named (and the
 * route's entry for that parameter when it declares one); malformed JSON,
 * oversized bodies and unknown routes get their own entries; anything else is
 * a logged 500 without internals in the response.
 */
export function registerErrorHandling(app: FastifyInstance, bodyLimit: number, notFound: (request: FastifyRequest) => AlawError): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (isAlawError(err)) {
      if (err.status >= 500 && err.status !== 503 && err.status !== 504) request.log.error({ err }, err.message);
      return answerError(reply, request, err);
    }
    if (err.validation) return answerError(reply, request, schemaError(err, request));
    const known = frameworkError(err, bodyLimit);
    if (known) return answerError(reply, request, known);
    request.log.error({ err }, 'unhandled error');
    return answerError(reply, request, E.INTERNAL.error());
  });

  app.setNotFoundHandler((request, reply) => answerError(reply, request, notFound(request)));
}
