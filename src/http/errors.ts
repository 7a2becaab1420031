import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isAlawError } from '../errors.js';

/** Route option: which error code a schema violation of each parameter gets (`<param>.required` for a missing one). */
export interface RouteErrorCodes {
  paramErrorCodes?: Record<string, string>;
}

interface ErrorPayload {
  error: { code: string; message: string; details?: Record<string, unknown> };
  request_id: string;
}

/** The one error body, `{ error: { code, message, details? }, request_id }`, with its status. */
export function sendError(
  reply: FastifyReply,
  request: FastifyRequest,
  status: number,
  code: string,
  message: string,
  details?: Record<string, unknown>,
): FastifyReply {
  const body: ErrorPayload = { error: { code, message, ...(details ? { details } : {}) }, request_id: String(request.id) };
  return reply.status(status).type('application/json; charset=utf-8').send(body);
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

const AJV_MESSAGES: Record<string, (p: Record<string, unknown>) => string> = {
  type: (p) =>
    `${String(p.type)
      .split(',')
      .map((t) => TYPE_NAMES[t] ?? t)
      .join(' 또는 ')}이어야 합니다`,
  minimum: (p) => `${String(p.limit)} 이상이어야 합니다`,
  maximum: (p) => `${String(p.limit)} 이하여야 합니다`,
  minLength: (p) => `${String(p.limit)}자 이상이어야 합니다`,
  maxLength: (p) => `${String(p.limit)}자 이하여야 합니다`,
  maxItems: (p) => `${String(p.limit)}개 이하여야 합니다`,
  required: () => '필수 항목이 없습니다',
  additionalProperties: () => '알 수 없는 항목입니다 (오타인지 확인하세요; 쓸 수 있는 항목은 /docs 에 있습니다)',
  pattern: () => '형식이 올바르지 않습니다',
  const: (p) => `${JSON.stringify(p.allowedValue)}이어야 합니다`,
  anyOf: () => '허용된 값이 아닙니다',
  enum: (p) => `${JSON.stringify(p.allowedValues)} 중 하나여야 합니다`,
};

/**
 * Maps every error to the one error body: our AlawErrors keep their code and
 * status; schema violations become 400s with the parameter named (and the
 * route's code for that parameter when it declares one); malformed JSON,
 * oversized bodies and unknown routes get their own codes; anything else is a
 * logged 500 without internals in the response.
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (isAlawError(err)) {
      if (err.status >= 500 && err.status !== 503 && err.status !== 504) request.log.error({ err }, err.message);
      if (err.headers) void reply.headers(err.headers);
      return sendError(reply, request, err.status, err.code, err.message, err.details);
    }
    if (err.validation) {
      const first = err.validation[0]!;
      const param =
        (first.params as { missingProperty?: string }).missingProperty ??
        (first.instancePath ?? '').split('/').filter(Boolean)[0] ??
        (first.params as { additionalProperty?: string }).additionalProperty ??
        '';
      const codes = (request.routeOptions.config as RouteErrorCodes | undefined)?.paramErrorCodes ?? {};
      // A union of literals fails with one `const` error per allowed value: name them all.
      const allowed =
        first.keyword === 'const'
          ? err.validation
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
            : (AJV_MESSAGES[first.keyword]?.(first.params) ?? first.message ?? '값이 올바르지 않습니다');
      const where = err.validationContext === 'body' ? '요청 본문' : err.validationContext === 'params' ? '경로' : '요청 값';
      const code = (first.keyword === 'required' ? codes[`${param}.required`] : undefined) ?? codes[param] ?? 'ALAW_ERR_REQUEST_INVALID';
      return sendError(reply, request, 400, code, `${where}이 올바르지 않습니다: ${param ? `${param} — ` : ''}${why}.`, {
        parameter: param || undefined,
        location: err.validationContext,
      });
    }
    switch (err.code) {
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return sendError(reply, request, 400, 'ALAW_ERR_REQUEST_JSON', '요청 본문이 올바른 JSON이 아닙니다.');
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return sendError(reply, request, 413, 'ALAW_ERR_REQUEST_TOO_LARGE', '요청 본문이 너무 큽니다.');
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return sendError(reply, request, 415, 'ALAW_ERR_REQUEST_MEDIA_TYPE', '지원하지 않는 Content-Type입니다. application/json으로 보내 주세요.');
      default:
        break;
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return sendError(reply, request, err.statusCode, 'ALAW_ERR_REQUEST_INVALID', '요청을 처리할 수 없습니다. 요청 형식을 확인해 주세요.');
    }
    request.log.error({ err }, 'unhandled error');
    return sendError(
      reply,
      request,
      500,
      'ALAW_ERR_INTERNAL',
      '서버 내부 오류가 발생했습니다. 잠시 후 다시 시도하고, 계속되면 관리자에게 request_id를 알려 주세요.',
    );
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(reply, request, 404, 'ALAW_ERR_NOT_FOUND', `${request.method} ${request.url.split('?')[0]} 경로가 없습니다. API 문서는 /docs 에 있습니다.`),
  );
}
