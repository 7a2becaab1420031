import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { specOf } from '../src/errors/index.js';
import { sampleApp } from './helpers.js';

/**
 * Every error of every route has the one shape: JSON `{ error: { code,
 * message, details? }, request_id }`, the same id in `x-request-id`, a code
 * from the catalog with the status the catalog gives it, and a Korean message.
 * The errors Node's parser answers before a request exists (431, a broken
 * request line) are checked on a real socket in server.test.ts.
 */

let app: FastifyInstance;
let close: () => Promise<void>;

beforeAll(async () => {
  const s = await sampleApp();
  app = s.app;
  close = s.close;
});
afterAll(() => close());

function expectErrorShape(res: LightMyRequestResponse, what: string): { code: string; message: string } {
  expect(res.statusCode, what).toBeGreaterThanOrEqual(400);
  expect(res.headers['content-type'], what).toMatch(/^application\/json/);
  const body = res.json<{ error: { code: string; message: string; details?: unknown }; request_id: string }>();
  expect(Object.keys(body).sort(), what).toEqual(['error', 'request_id']);
  expect(typeof body.request_id, what).toBe('string');
  expect(res.headers['x-request-id'], what).toBe(body.request_id);
  const spec = specOf(body.error.code);
  expect(spec, `${what}: ${body.error.code} is not in the catalog`).toBeDefined();
  expect(res.statusCode, `${what}: ${body.error.code}`).toBe(spec!.status);
  expect(body.error.message, what).toMatch(/[가-힣]/);
  if (res.statusCode === 401) expect(res.headers['www-authenticate'], what).toMatch(/^Bearer realm="alaw"/);
  return body.error;
}

describe('error responses', () => {
  it('unknown paths are 404 ALAW_ERR_NOT_FOUND; a known path with another method is 405 with Allow', async () => {
    const missing = await app.inject({ method: 'GET', url: '/api/nothing-here?x=1' });
    expect(expectErrorShape(missing, '404').code).toBe('ALAW_ERR_NOT_FOUND');
    for (const [method, url, allow] of [
      ['DELETE', '/api/search', 'GET, HEAD, POST'],
      ['PUT', '/api/queue/health', 'GET, HEAD'],
      ['POST', '/api/precedents/kr-0123456789abcdef', 'GET, HEAD'],
      ['PATCH', '/api/analysis/00000000-0000-0000-0000-000000000000', 'GET, HEAD, DELETE'],
    ] as const) {
      const res = await app.inject({ method, url });
      expect(expectErrorShape(res, `${method} ${url}`).code).toBe('ALAW_ERR_METHOD_NOT_ALLOWED');
      expect(res.headers.allow).toBe(allow);
    }
  });

  it('bodies: bad JSON 400, not JSON 415, too large 413, wrong types 400 — all the one shape', async () => {
    const cases: [string, InjectOptions, string][] = [
      ['bad JSON', { method: 'POST', url: '/api/search', headers: { 'content-type': 'application/json' }, payload: '{"q": ' }, 'ALAW_ERR_REQUEST_JSON'],
      ['empty JSON', { method: 'POST', url: '/api/search', headers: { 'content-type': 'application/json' }, payload: '' }, 'ALAW_ERR_REQUEST_JSON'],
      ['text body', { method: 'POST', url: '/api/search', headers: { 'content-type': 'text/plain' }, payload: 'q=x' }, 'ALAW_ERR_REQUEST_MEDIA_TYPE'],
      [
        'form body',
        { method: 'POST', url: '/api/analysis', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'description=x' },
        'ALAW_ERR_REQUEST_MEDIA_TYPE',
      ],
      ['too large', { method: 'POST', url: '/api/search', payload: { q: '가'.repeat(2_000_000) } }, 'ALAW_ERR_REQUEST_TOO_LARGE'],
      ['number for q', { method: 'POST', url: '/api/search', payload: { q: 123 } }, 'ALAW_ERR_SEARCH_QUERY_INVALID'],
      ['unknown field', { method: 'POST', url: '/api/search', payload: { q: '사기', zzz: 1 } }, 'ALAW_ERR_REQUEST_INVALID'],
      ['no description', { method: 'POST', url: '/api/analysis', payload: {} }, 'ALAW_ERR_ANALYSIS_DESCRIPTION_REQUIRED'],
    ];
    for (const [what, req, code] of cases) expect(expectErrorShape(await app.inject(req), what).code, what).toBe(code);
  });

  it('query strings and paths: unknown or repeated parameters, bad values, prototype names, bad %-encoding', async () => {
    const cases: [string, string][] = [
      ['/api/search?q=사기&zzz=1', 'ALAW_ERR_REQUEST_INVALID'],
      ['/api/search?q=사기&constructor=1', 'ALAW_ERR_REQUEST_INVALID'],
      ['/api/search?q=사기&__proto__=1', 'ALAW_ERR_REQUEST_INVALID'],
      ['/api/search?q=사기&toString=1', 'ALAW_ERR_REQUEST_INVALID'],
      ['/api/search?q=사기&size=10&size=20', 'ALAW_ERR_SEARCH_SIZE_INVALID'],
      ['/api/search?q=사기&size=Infinity', 'ALAW_ERR_SEARCH_SIZE_INVALID'],
      ['/api/search?q=사기&page=1E400', 'ALAW_ERR_SEARCH_PAGE_INVALID'],
      ['/api/search?q=사기&page=0x10', 'ALAW_ERR_SEARCH_PAGE_INVALID'],
      ['/api/search', 'ALAW_ERR_SEARCH_QUERY_EMPTY'],
      ['/api/search?q=%E0%A4%A', 'ALAW_ERR_REQUEST_MALFORMED'],
      [`/api/precedents/${'a'.repeat(101)}`, 'ALAW_ERR_REQUEST_PATH_TOO_LONG'],
      ['/api/precedents/kr-nope', 'ALAW_ERR_PRECEDENT_NOT_FOUND'],
      ['/api/queue/tasks/not-a-uuid', 'ALAW_ERR_TASK_NOT_FOUND'],
      ['/api/analysis/not-a-uuid', 'ALAW_ERR_ANALYSIS_NOT_FOUND'],
      ['/api/analysis/', 'ALAW_ERR_TASK_ID_INVALID'],
      ['/api/precedents/', 'ALAW_ERR_PRECEDENT_ID_INVALID'],
      ['/api/admin/logs/report?hours=-0', 'ALAW_ERR_AUTH_REQUIRED'],
    ];
    for (const [url, code] of cases) expect(expectErrorShape(await app.inject({ method: 'GET', url }), url).code, url).toBe(code);
  });

  it('every documented route answers a bad request with the one shape', async () => {
    const spec = (await app.inject({ method: 'GET', url: '/docs/json' })).json<{ paths: Record<string, Record<string, unknown>> }>();
    let checked = 0;
    for (const [template, methods] of Object.entries(spec.paths)) {
      // Path parameters get a value no route accepts; every route also gets a parameter it does not know.
      const url = template.replace(/\{[^}]+\}/g, '%00') + '?zzz=%01';
      for (const method of Object.keys(methods)) {
        const res = await app.inject({ method: method.toUpperCase() as 'GET', url, payload: method === 'get' ? undefined : { zzz: 1 } });
        if (res.statusCode < 400) continue; // routes without parameters (health, status) answer anyway
        expectErrorShape(res, `${method.toUpperCase()} ${url}`);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(10);
  });

  it('a domain error from deep inside (the search engine) has the shape too, with details', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/search?q=사기&page=999' });
    const e = expectErrorShape(res, 'page out of range');
    expect(e.code).toBe('ALAW_ERR_SEARCH_PAGE_OUT_OF_RANGE');
    expect(res.json<{ error: { details: { last_page: number } } }>().error.details.last_page).toBeGreaterThan(0);
  });
});
