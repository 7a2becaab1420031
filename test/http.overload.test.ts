import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerServices } from '../src/app/index.js';
import { buildApp } from '../src/http/index.js';
import { sampleServices, tempDir } from './helpers.js';

/** Blocks the event loop, as a runaway computation or a stalled machine would. */
function block(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

describe('load shedding when the event loop lags (@fastify/under-pressure)', () => {
  const dir = tempDir('alaw-overload-');
  let services: ServerServices;
  let app: FastifyInstance;
  beforeAll(async () => {
    services = await sampleServices(dir.dir, { 'server.maxEventLoopDelayMs': 5 });
    app = await buildApp(services);
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await services.close();
    dir.cleanup();
  });

  it('refuses new searches and analyses with 503 ALAW_ERR_SERVER_OVERLOADED and Retry-After, while health and the rest still answer', async () => {
    expect((await app.inject({ url: '/api/search', query: { q: '사기' } })).statusCode).toBe(200);
    let shed: Awaited<ReturnType<typeof app.inject>> | undefined;
    for (let round = 0; round < 5 && !shed; round++) {
      block(1200);
      for (let i = 0; i < 40 && !shed; i++) {
        const r = await app.inject({ url: '/api/search', query: { q: '사기' } });
        if (r.statusCode === 503) {
          shed = r;
          // Under the same pressure: the health check, the metrics and a decision lookup are answered.
          expect((await app.inject('/api/queue/health')).statusCode).toBe(200);
          expect((await app.inject('/metrics')).statusCode).toBe(200);
          const analysis = await app.inject({ method: 'POST', url: '/api/analysis', payload: { description: '임대차 보증금을 돌려받지 못했습니다' } });
          expect([503, 202]).toContain(analysis.statusCode);
          if (analysis.statusCode === 503) expect(analysis.json<{ error: { code: string } }>().error.code).toBe('ALAW_ERR_SERVER_OVERLOADED');
        } else expect(r.statusCode).toBe(200);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    expect(shed, 'no search was shed after the event loop was blocked').toBeDefined();
    const body = shed!.json<{ error: { code: string; message: string } }>();
    expect(body.error.code).toBe('ALAW_ERR_SERVER_OVERLOADED');
    expect(body.error.message).toMatch(/새 검색·분석을 잠시 받지 않습니다.*초 후 다시 시도/);
    expect(Number(shed!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Once the loop is quiet again, searches are served.
    await new Promise((r) => setTimeout(r, 600));
    expect((await app.inject({ url: '/api/search', query: { q: '사기' } })).statusCode).toBe(200);
  });

  it('is off with server.maxEventLoopDelayMs = 0', async () => {
    const d = tempDir('alaw-overload-off-');
    const s = await sampleServices(d.dir, { 'server.maxEventLoopDelayMs': 0 });
    const a = await buildApp(s);
    try {
      // The same stall that sheds with a 5 ms limit: every search is still served.
      block(1200);
      for (let i = 0; i < 30; i++) {
        expect((await a.inject({ url: '/api/search', query: { q: '사기' } })).statusCode).toBe(200);
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      await a.close();
      await s.close();
      d.cleanup();
    }
  });
});
