import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { sampleEnv, tempDir } from './helpers.js';
import { startServer, type ServerProcess } from './process.js';

/**
 * Slow clients (slowloris): 200 connections that trickle their headers a byte at a time must not hold
 * the service hostage. Health keeps answering within 100 ms, the server closes them by its headers
 * timeout, and SIGTERM finishes within the shutdown grace period even with them connected.
 */

const tmp = tempDir();
let server: ServerProcess | undefined;
afterAll(async () => {
  await server?.stop('SIGKILL');
  tmp.cleanup();
});

interface Slow {
  socket: net.Socket;
  closedAt: Promise<number>;
}

/** A connection that sends a request line and then one header byte every `everyMs`, never finishing. */
function slowClient(port: number, everyMs: number): Slow {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  socket.on('connect', () => {
    socket.write('GET /api/queue/health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ');
    timer = setInterval(() => socket.writable && socket.write('a'), everyMs);
  });
  const closedAt = new Promise<number>((resolve) =>
    socket.on('close', () => {
      clearInterval(timer);
      resolve(performance.now());
    }),
  );
  return { socket, closedAt };
}

async function healthMs(port: number): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`http://127.0.0.1:${port}/api/queue/health`);
  await res.arrayBuffer();
  expect(res.status).toBe(200);
  return performance.now() - t0;
}

function connected(port: number, count: number, everyMs: number): Promise<Slow[]> {
  const clients = Array.from({ length: count }, () => slowClient(port, everyMs));
  return Promise.all(clients.map((c) => new Promise<Slow>((resolve) => (c.socket.connecting ? c.socket.once('connect', () => resolve(c)) : resolve(c)))));
}

describe('slow clients', () => {
  it('200 trickling connections: health answers within 100 ms, the headers timeout closes them all', { timeout: 60_000 }, async () => {
    server = await startServer(sampleEnv(tmp.dir, { ALAW_SERVER_HEADERS_TIMEOUT_SECONDS: '4', ALAW_QUEUE_SHUTDOWN_GRACE_SECONDS: '2' }));
    const port = server.port;
    await healthMs(port); // warm
    const t0 = performance.now();
    const slow = await connected(port, 200, 200);
    const samples: number[] = [];
    for (let i = 0; i < 20; i++) {
      samples.push(await healthMs(port));
      await new Promise((r) => setTimeout(r, 100));
    }
    samples.sort((a, b) => a - b);
    expect(samples[samples.length - 1], `health latencies ${samples.map((s) => s.toFixed(1)).join(', ')}`).toBeLessThan(100);
    const closed = await Promise.all(slow.map((c) => c.closedAt));
    const last = Math.max(...closed) - t0;
    // 4 s headers timeout, checked every second: all closed by the server, none kept alive by trickling.
    expect(last).toBeGreaterThan(3_000);
    expect(last).toBeLessThan(7_000);
    await server.stop('SIGKILL');
    server = undefined;
  });

  it('SIGTERM with 200 trickling connections finishes within the grace period', { timeout: 60_000 }, async () => {
    // The headers timeout (10 s, the default) is longer than the grace (2 s): the shutdown must not wait for it.
    server = await startServer(sampleEnv(tmp.dir, { ALAW_QUEUE_SHUTDOWN_GRACE_SECONDS: '2' }));
    const slow = await connected(server.port, 200, 200);
    await healthMs(server.port);
    const t0 = performance.now();
    const code = await server.stop('SIGTERM');
    const took = performance.now() - t0;
    expect(code).toBe(0);
    expect(took, server.logs().slice(-2000)).toBeLessThan(2_000 + 1_500);
    await Promise.all(slow.map((c) => c.closedAt));
    server = undefined;
  });
});
