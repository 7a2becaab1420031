import type { FastifyInstance } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';

/**
 * `curl 'localhost:8997/api/search?q=취득시효'` sends the Korean bytes
 * unencoded, and Node's HTTP parser rejects such a request line
 * (HPE_INVALID_URL) before any route sees it. For GET and HEAD we recover:
 * percent-encode the raw target, run the request through the normal router
 * with `inject()`, and write the response on the socket (then close it).
 * Everything else about the request (routes, validation, errors) is unchanged.
 */
export function recoverRawUrl(app: FastifyInstance, err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Socket): boolean {
  const raw = err.rawPacket;
  if (err.code !== 'HPE_INVALID_URL' || !raw || !socket.writable) return false;
  const headerEnd = raw.indexOf('\r\n\r\n');
  const lineEnd = raw.indexOf('\r\n');
  if (headerEnd < 0 || lineEnd < 0) return false;
  const line = raw.subarray(0, lineEnd);
  const m = /^(GET|HEAD) (\S+) HTTP\/1\.[01]$/u.exec(line.toString('latin1'));
  if (!m) return false;
  const targetStart = m[1]!.length + 1;
  const target = line.subarray(targetStart, targetStart + Buffer.byteLength(m[2]!, 'latin1'));
  let url = '';
  for (const byte of target) {
    url += byte >= 0x80 || byte <= 0x20 || byte === 0x7f ? `%${byte.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(byte);
  }
  const headers: Record<string, string> = {};
  for (const h of raw.subarray(lineEnd + 2, headerEnd).toString('latin1').split('\r\n')) {
    const i = h.indexOf(':');
    if (i > 0) headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
  }
  app
    .inject({ method: m[1] as 'GET' | 'HEAD', url, headers })
    .then((res) => {
      if (!socket.writable) return;
      let head = `HTTP/1.1 ${res.statusCode} ${STATUS_CODES[res.statusCode] ?? ''}\r\n`;
      for (const [k, v] of Object.entries(res.headers)) {
        if (k === 'connection' || k === 'transfer-encoding' || k === 'keep-alive' || v === undefined) continue;
        for (const value of Array.isArray(v) ? v : [v]) head += `${k}: ${String(value)}\r\n`;
      }
      head += 'connection: close\r\n\r\n';
      socket.end(m[1] === 'HEAD' ? Buffer.from(head, 'latin1') : Buffer.concat([Buffer.from(head, 'latin1'), res.rawPayload]));
    })
    .catch(() => socket.destroy());
  return true;
}
