import type { FastifyInstance } from 'fastify';
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { E, type AlawError } from '../errors/index.js';

/**
 * `curl 'localhost:8997/api/search?q=취득시효'` sends the Korean bytes
 * unencoded, and Node's HTTP parser rejects such a request line
 * (HPE_INVALID_URL) before any route sees it; so does a request line with
 * literal spaces in the target. For GET and HEAD we recover:
 * percent-encode the raw target, run the request through the normal router
 * with `inject()`, and write the response on the socket (then close it).
 * Everything else about the request (routes, validation, errors) is unchanged.
 */
/**
 * Runs `then` once the response to an earlier request on this connection (HTTP pipelining) has been
 * written, or at once when there is none. Node keeps the response being written as the socket's
 * `_httpMessage`; without waiting, a hand-written answer would overtake it and be taken for its reply.
 */
export function afterInFlight(socket: Socket, then: () => void): void {
  const current = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (!current || current.writableFinished || current.destroyed) return then();
  let done = false;
  const once = (): void => {
    if (done) return;
    done = true;
    then();
  };
  current.once('finish', once);
  current.once('close', once);
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

export function recoverRawUrl(app: FastifyInstance, err: RawClientError, socket: Socket): boolean {
  if (!socket.writable) return false;
  const recovered = recoverableRequest(err);
  if (!recovered) return false;
  const { method, url, headers } = recovered;
  app
    // The client's address goes along: access rules that trust loopback must see the real peer, not inject()'s 127.0.0.1.
    .inject({ method, url, headers, remoteAddress: socket.remoteAddress ?? '0.0.0.0' })
    .then((res) => {
      if (!socket.writable) return;
      let head = `HTTP/1.1 ${res.statusCode} ${STATUS_CODES[res.statusCode] ?? ''}\r\n`;
      for (const [k, v] of Object.entries(res.headers)) {
        if (k === 'connection' || k === 'transfer-encoding' || k === 'keep-alive' || v === undefined) continue;
        for (const value of Array.isArray(v) ? v : [v]) head += `${k}: ${String(value)}\r\n`;
      }
      head += 'connection: close\r\n\r\n';
      const bytes = method === 'HEAD' ? Buffer.from(head, 'latin1') : Buffer.concat([Buffer.from(head, 'latin1'), res.rawPayload]);
      afterInFlight(socket, () => socket.end(bytes, () => socket.destroy()));
    })
    .catch(() => socket.destroy());
  return true;
}

/**
 * How a request Node's parser refused is answered (and logged): 431 when the headers or URL are too long,
 * 408 when they did not arrive in time (slow clients), 400 otherwise. One decision for both.
 */
export function parserRefusal(err: RawClientError, maxHeaderKb: number): AlawError {
  if (err.code === 'HPE_HEADER_OVERFLOW') return E.REQUEST_TOO_LONG.error({ maxKb: maxHeaderKb });
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || err.code === 'HPE_HEADER_TIMEOUT') return E.REQUEST_TIMEOUT.error();
  return E.REQUEST_MALFORMED.error({ problem: 'http' });
}

/** A request Node's parser refused, with the bytes it had read. */
export type RawClientError = NodeJS.ErrnoException & { rawPacket?: Buffer };

/** The GET or HEAD request {@link recoverRawUrl} answers through the router, or null when it does not. */
export function recoverableRequest(err: RawClientError): { method: 'GET' | 'HEAD'; url: string; headers: Record<string, string> } | null {
  const raw = err.rawPacket;
  if (err.code !== 'HPE_INVALID_URL' || !raw) return null;
  const headerEnd = raw.indexOf('\r\n\r\n');
  const lineEnd = raw.indexOf('\r\n');
  if (headerEnd < 0 || lineEnd < 0) return null;
  // Parse bytes, not a latin1 string: UTF-8 bytes such as 0xA0 (in 신) would
  // look like whitespace to a regular expression.
  const line = raw.subarray(0, lineEnd);
  // The packet may begin with earlier pipelined requests that were already answered; only a packet whose
  // first request line is itself the one the parser refused is recovered, so nothing is ever run twice.
  const spaces = line.reduce((n, b) => n + (b === 0x20 ? 1 : 0), 0);
  if (spaces === 2 && !line.some((b) => b >= 0x80 || b < 0x20 || b === 0x7f)) return null;
  const firstSpace = line.indexOf(0x20);
  const method = line.subarray(0, firstSpace).toString('latin1');
  if (method !== 'GET' && method !== 'HEAD') return null;
  const tail = line.subarray(line.length - 9).toString('latin1');
  if (tail !== ' HTTP/1.1' && tail !== ' HTTP/1.0') return null;
  const target = line.subarray(firstSpace + 1, line.length - 9);
  if (target.length === 0 || target[0] !== 0x2f) return null; // origin-form only: /path?query
  let url = '';
  for (const byte of target) {
    url += byte >= 0x80 || byte <= 0x20 || byte === 0x7f ? `%${byte.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(byte);
  }
  const headers: Record<string, string> = {};
  for (const h of raw
    .subarray(lineEnd + 2, headerEnd)
    .toString('latin1')
    .split('\r\n')) {
    const i = h.indexOf(':');
    const name = h.slice(0, i);
    const value = h.slice(i + 1).trim();
    // A header Node's parser would refuse (bare CR or LF, NUL, a name that is not a token) is not recovered:
    // such bytes must never reach a header we echo (X-Request-Id) or a log line.
    if (i <= 0 || !HEADER_NAME.test(name) || !HEADER_VALUE.test(value)) return null;
    headers[name.toLowerCase()] = value;
  }
  return { method, url, headers };
}
