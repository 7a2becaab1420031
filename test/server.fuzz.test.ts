import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exchange, fuzzRequests } from './support/fuzz.js';
import { sampleEnv, tempDir } from './helpers.js';
import { startServer, type ServerProcess } from './process.js';

/**
 * Issue 13's fuzz proof: at least 10,000 generated malformed requests (methods, paths, headers, query
 * strings, bodies, encodings; see support/fuzz.ts) on raw sockets against the real service process.
 * No 5xx other than an intended 503 with its code, the server still healthy afterwards, memory bounded.
 * Seeded: a failure prints its seed; `ALAW_FUZZ_SEED=<seed> npx vitest run test/server.fuzz.test.ts`
 * replays it (ALAW_FUZZ_COUNT changes the number).
 */

const SEED = Number(process.env.ALAW_FUZZ_SEED ?? Date.now() % 2 ** 31);
const COUNT = Number(process.env.ALAW_FUZZ_COUNT ?? 10_000);
const CONCURRENCY = 32;
/** Half the requests carry it: the admin routes and everything behind a key are fuzzed too, and requests without it are refused as they should be. */
const ADMIN_KEY = 'fuzz-admin-key-0123456789';

const tmp = tempDir();
let server: ServerProcess;

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

beforeAll(async () => {
  // The in-app rate limit does not apply to loopback clients (its own test is in http.hardening.test.ts).
  server = await startServer(sampleEnv(tmp.dir, { ALAW_ADMIN_TOKEN: ADMIN_KEY }));
});
afterAll(async () => {
  await server?.stop();
  tmp.cleanup();
});

describe(`fuzzing the HTTP server (seed ${SEED})`, () => {
  it(`answers ${COUNT} hostile requests without a 5xx, stays healthy, memory bounded`, { timeout: 240_000 }, async () => {
    const requests = fuzzRequests(SEED, COUNT, ADMIN_KEY);
    // Warm up, then take the memory baseline.
    for (const r of requests.slice(0, 200)) await exchange(server.port, r.raw, 2000);
    const rssBefore = rssMb(server.child.pid!);
    const failures: string[] = [];
    const statusCounts = new Map<number, number>();
    let next = 0;
    let answered = 0;
    const worker = async (): Promise<void> => {
      while (next < requests.length) {
        const i = next++;
        const req = requests[i]!;
        const res = await exchange(server.port, req.raw, 2000);
        if (res.statuses.length > 0) answered++;
        for (const status of res.statuses) {
          statusCounts.set(status, (statusCounts.get(status) ?? 0) + 1);
          const intended503 = status === 503 && /"code":"ALAW_ERR_[A-Z_]+"/.test(res.text);
          if (status >= 500 && !intended503)
            failures.push(`#${i} ${req.label} → ${status}: ${res.text.slice(0, 300)} [raw base64 ${req.raw.toString('base64').slice(0, 400)}]`);
        }
        // Nothing the client sent may come back as a header line of its own (response splitting).
        if (/\r\n(x-injected|set-cookie):/i.test(res.text)) failures.push(`#${i} ${req.label}: injected header`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const rssAfter = rssMb(server.child.pid!);
    const summary = [...statusCounts.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([s, n]) => `${s}:${n}`)
      .join(' ');
    expect(failures, `seed ${SEED}; statuses ${summary}\n${failures.slice(0, 10).join('\n')}`).toEqual([]);
    // Most requests get an answer (the rest are cut off mid-body on purpose and are closed by the server's timeouts).
    expect(answered, summary).toBeGreaterThan(COUNT * 0.9);
    // Every kind of refusal was exercised, not just one.
    for (const status of [200, 400, 401, 404, 405]) expect(statusCounts.get(status) ?? 0, `${status} in ${summary}`).toBeGreaterThan(0);
    const health = await fetch(`http://127.0.0.1:${server.port}/api/queue/health`);
    expect(health.status).toBe(200);
    expect(server.child.exitCode).toBeNull();
    expect(rssAfter - rssBefore, `RSS ${rssBefore.toFixed(0)} → ${rssAfter.toFixed(0)} MB`).toBeLessThan(150);
  });
});
