import type { FastifyInstance } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';

/**
 * `curl 'localhost:8997/api/search?q=취득시효'` sends the Korean bytes
 * unencoded, and Node's HTTP parser rejects such a request line
 * (HPE_INVALID_URL) before any route sees it; so does a request line with
 * literal spaces in the target. For GET and HEAD we recover:
 * percent-encode the raw target, run the request through the normal router
 * with `inject()`, and write the response on the socket (then close it).
 * Everything else about the request (routes, validation, errors) is unchanged.
 */
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
      socket.end(method === 'HEAD' ? Buffer.from(head, 'latin1') : Buffer.concat([Buffer.from(head, 'latin1'), res.rawPayload]));
    })
    .catch(() => socket.destroy());
  return true;
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
    if (i > 0) headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
  }
  return { method, url, headers };
}
