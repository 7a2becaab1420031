import { simpleParser } from 'mailparser';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.js';
import { buildApp } from '../src/http/index.js';
import { Alerter, AlertMonitor, AuthFailureCounter, type MonitorState } from '../src/ops/index.js';
import { sampleEnv, sampleServices, tempDir } from './helpers.js';
import { manualClock } from './support/clock.js';
import { run, startServer } from './process.js';
import { startSmtp, startWebhook } from './support/alert-receivers.js';

/** Alerts through a real local webhook receiver and a real local SMTP server, with the real client code. */
let webhook: Awaited<ReturnType<typeof startWebhook>>;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
beforeAll(async () => {
  webhook = await startWebhook();
  smtp = await startSmtp();
});
afterAll(async () => {
  await webhook.close();
  await smtp.close();
});

const env = () => ({
  ALAW_ALERTS_WEBHOOK_URL: webhook.url,
  ALAW_ALERTS_SMTP_HOST: '127.0.0.1',
  ALAW_ALERTS_SMTP_PORT: String(smtp.port),
  ALAW_ALERTS_SMTP_USER: 'alerts',
  ALAW_ALERTS_SMTP_PASSWORD: 'smtp-secret',
  // The test relay offers no STARTTLS, like a local postfix: allowed explicitly.
  ALAW_ALERTS_SMTP_ALLOW_INSECURE: 'true',
  ALAW_ALERTS_TO: 'admin@alaw.ai, oncall@alaw.ai',
});
const config = (over: Record<string, unknown> = {}) => loadConfig({ env: env(), overrides: over });
const texts = () => webhook.posts.map((p) => String(p.text));

describe('alert channels', () => {
  it('sends the guide’s webhook body and an e-mail with the Korean alert text', async () => {
    webhook.posts.length = 0;
    smtp.mails.length = 0;
    const results = await new Alerter(config().alerts, 'api-1').send({
      key: 'unhealthy',
      severity: 'critical',
      title: 'ALaw AI-Backend 서비스 장애 감지',
      detail: '작업 큐 데이터베이스에 접근할 수 없습니다',
    });
    expect(results).toEqual([
      { channel: 'webhook', ok: true },
      { channel: 'email', ok: true },
    ]);
    expect(webhook.posts[0]).toMatchObject({ channel: 'alerts', username: 'monitoring-bot' });
    expect(texts()[0]).toMatch(/^🚨 ALaw AI-Backend 서비스 장애 감지\n작업 큐 데이터베이스에 접근할 수 없습니다\n\(인스턴스 api-1, /u);
    const mail = smtp.mails[0]!;
    expect(mail).toMatchObject({ from: 'alerts@alaw.ai', to: ['admin@alaw.ai', 'oncall@alaw.ai'], user: 'alerts' });
    const parsed = await simpleParser(mail.raw);
    expect(parsed.subject).toBe('[ALaw AI] ALaw AI-Backend 서비스 장애 감지');
    expect(parsed.text).toContain('작업 큐 데이터베이스에 접근할 수 없습니다');
  });

  it('sends no credentials and no mail to a relay without TLS unless allowed', async () => {
    smtp.mails.length = 0;
    smtp.authAttempts.length = 0;
    const results = await new Alerter(config({ 'alerts.smtpAllowInsecure': false }).alerts, 'api-1').send({
      key: 'unhealthy',
      severity: 'critical',
      title: '평문 릴레이',
      detail: '보내지면 안 됩니다',
    });
    expect(results.find((r) => r.channel === 'email')?.ok).toBe(false);
    expect(smtp.authAttempts).toEqual([]);
    expect(smtp.mails).toEqual([]);
    // The same relay, explicitly allowed: delivered, with the login.
    const allowed = await new Alerter(config().alerts, 'api-1').send({ key: 'unhealthy', severity: 'critical', title: '허용된 릴레이', detail: '보냅니다' });
    expect(allowed.find((r) => r.channel === 'email')?.ok).toBe(true);
    expect(smtp.authAttempts).toEqual(['alerts']);
  });

  it('reports a failing channel without stopping the others', async () => {
    webhook.failWith = 500;
    try {
      const results = await new Alerter(config({ 'alerts.smtpPassword': 'wrong' }).alerts, 'api-1').send({
        key: 'x',
        severity: 'warning',
        title: 't',
        detail: 'd',
      });
      expect(results[0]).toMatchObject({ channel: 'webhook', ok: false });
      expect(results[0]!.error).toContain('HTTP 500');
      expect(results[1]).toMatchObject({ channel: 'email', ok: false });
    } finally {
      webhook.failWith = null;
    }
  });

  it('alaw alert test sends to every channel; without a channel it says how to configure one', async () => {
    webhook.posts.length = 0;
    smtp.mails.length = 0;
    const r = await run('src/cli/main.ts', ['alert', 'test'], env());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('✓ webhook: 보냈습니다');
    expect(r.stdout).toContain('✓ email: 보냈습니다');
    expect(texts()[0]).toContain('ALaw AI-Backend 알림 시험');
    expect(smtp.mails).toHaveLength(1);
    const none = await run('src/cli/main.ts', ['alert', 'test'], {});
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('ALAW_ALERTS_WEBHOOK_URL');
    const failing = await run('src/cli/main.ts', ['alert', 'test'], { ALAW_ALERTS_WEBHOOK_URL: 'http://127.0.0.1:1/none' });
    expect(failing.code).toBe(1);
    expect(failing.stdout).toContain('✗ webhook');
    const badTo = await run('src/cli/main.ts', ['alert', 'test'], { ALAW_ALERTS_SMTP_HOST: 'x', ALAW_ALERTS_TO: 'not-an-address' });
    expect(badTo.code).toBe(2);
  });
});

describe('AlertMonitor', () => {
  const state: MonitorState = { health: 'healthy', reasons: [], saturated: [], memoryPercent: 30, requests: 0, errors5xx: 0 };
  const monitor = () =>
    new AlertMonitor(
      new Alerter(config({ 'alerts.smtpHost': '' }).alerts, 'api-1'),
      config({ 'alerts.queueSaturatedSeconds': 30, 'alerts.memorySeconds': 60, 'alerts.repeatMinutes': 10, 'alerts.errorRateWindowSeconds': 300 }).alerts,
      async () => ({ ...state }),
    );

  it('alerts once when health turns unhealthy, repeats only after repeatMinutes, and sends a recovery notice', async () => {
    webhook.posts.length = 0;
    const m = monitor();
    const t0 = 1_000_000;
    await m.check(t0);
    state.health = 'unhealthy';
    state.reasons = ['작업 큐 데이터베이스(postgres)에 접근할 수 없습니다'];
    await m.check(t0 + 15_000);
    await m.check(t0 + 30_000);
    await m.check(t0 + 5 * 60_000);
    expect(texts()).toHaveLength(1);
    expect(texts()[0]).toContain('🚨 ALaw AI-Backend 서비스 장애 감지');
    expect(texts()[0]).toContain('postgres');
    await m.check(t0 + 11 * 60_000);
    expect(texts()).toHaveLength(2);
    state.health = 'healthy';
    await m.check(t0 + 12 * 60_000);
    expect(texts().at(-1)).toContain('✅ ALaw AI-Backend 서비스 복구');
    await m.check(t0 + 13 * 60_000);
    expect(texts()).toHaveLength(3);
  });

  it('waits for a saturated queue and high memory to last, and computes the 5xx rate over its window', async () => {
    webhook.posts.length = 0;
    const m = monitor();
    const t0 = 5_000_000;
    state.saturated = ['search'];
    await m.check(t0);
    await m.check(t0 + 20_000);
    expect(texts()).toHaveLength(0); // not yet 30 s
    await m.check(t0 + 31_000);
    expect(texts()[0]).toContain('작업 큐 포화');
    state.saturated = [];
    state.memoryPercent = 95;
    await m.check(t0 + 40_000); // recovery of the queue, memory just started
    expect(texts()[1]).toContain('작업 큐 정상화');
    await m.check(t0 + 101_000);
    expect(texts()[2]).toContain('메모리 사용량 높음');
    state.memoryPercent = 30;
    // 100 requests, 10 of them 5xx, within the window: 10 % ≥ 5 %.
    state.requests = 100;
    state.errors5xx = 10;
    await m.check(t0 + 110_000);
    expect(texts().some((t) => t.includes('오류율 높음') && t.includes('요청 100건 중 10건(10.0%)'))).toBe(true);
  });
});

describe('AlertMonitor: repeated authentication failures', () => {
  const sample = (counts: Record<string, number>, overflow = 0) => ({ counts: new Map(Object.entries(counts)), overflow });
  // Built when a test runs: the webhook receiver starts in beforeAll.
  const settings = () =>
    config({ 'alerts.smtpHost': '', 'alerts.authFailureCount': 20, 'alerts.authFailureWindowSeconds': 300, 'alerts.repeatMinutes': 10 }).alerts;

  it('alerts when one address fails more than authFailureCount times within the window, naming it, and repeats only after repeatMinutes', async () => {
    webhook.posts.length = 0;
    const readings: MonitorState[] = [];
    const base: MonitorState = { health: 'healthy', reasons: [], saturated: [], memoryPercent: 30, requests: 0, errors5xx: 0 };
    const m = new AlertMonitor(new Alerter(settings(), 'api-1'), settings(), async () => readings.shift()!);
    const at = async (t: number, counts: Record<string, number>, overflow = 0) => {
      readings.push({ ...base, authFailures: sample(counts, overflow) });
      await m.check(t);
    };
    const t0 = 10_000_000;
    await at(t0, { '198.51.100.7': 15, '203.0.113.5': 3 });
    await at(t0 + 60_000, { '198.51.100.7': 5 });
    expect(texts()).toHaveLength(0); // 20 is not more than 20
    await at(t0 + 120_000, { '198.51.100.7': 1 });
    expect(texts()).toHaveLength(1);
    expect(texts()[0]).toMatch(
      /^⚠️ ALaw AI-Backend 인증 실패 반복\n주소 198\.51\.100\.7에서 최근 300초 동안 인증 실패\(401\/403\)가 21회 있었습니다 \(기준 20회 초과\)\./u,
    );
    await at(t0 + 180_000, { '198.51.100.7': 30 });
    expect(texts()).toHaveLength(1); // the same address within repeatMinutes: no second alert
    // Another address crossing the line is alerted at once, with the failures not attributed to an address.
    await at(t0 + 200_000, { '192.0.2.9': 40 }, 7);
    expect(texts()).toHaveLength(2);
    expect(texts()[1]).toContain('주소 192.0.2.9에서 최근 300초 동안 인증 실패(401/403)가 40회');
    expect(texts()[1]).toContain('주소별로 세지 못한 실패도 7회');
    // After repeatMinutes, still failing: named again, with the count of the last 300 s only.
    await at(t0 + 13 * 60_000, { '198.51.100.7': 25 });
    expect(texts()).toHaveLength(3);
    expect(texts()[2]).toContain('주소 198.51.100.7에서 최근 300초 동안 인증 실패(401/403)가 25회');
  });

  it('does not add up failures further apart than authFailureWindowSeconds', async () => {
    webhook.posts.length = 0;
    const readings: MonitorState[] = [];
    const m = new AlertMonitor(new Alerter(settings(), 'api-1'), settings(), async () => readings.shift()!);
    const t0 = 50_000_000;
    for (const [t, n] of [
      [t0, 15],
      [t0 + 301_000, 15],
      [t0 + 602_000, 15],
    ] as const) {
      readings.push({
        health: 'healthy',
        reasons: [],
        saturated: [],
        memoryPercent: 30,
        requests: 0,
        errors5xx: 0,
        authFailures: sample({ '198.51.100.7': n }),
      });
      await m.check(t);
    }
    expect(texts()).toHaveLength(0);
  });

  it('keeps at most maxAddresses addresses between readings; the rest are counted together', () => {
    const c = new AuthFailureCounter(2);
    for (const ip of ['a', 'b', 'c', 'a', 'd']) c.record(ip);
    const s = c.drain();
    expect([...s.counts]).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
    expect(s.overflow).toBe(2);
    expect(c.drain()).toEqual({ counts: new Map(), overflow: 0 });
  });

  it('end to end: 401s answered by the HTTP app reach the webhook through the monitor on its clock', async () => {
    webhook.posts.length = 0;
    const tmp = tempDir('alaw-alert-auth-');
    const clock = manualClock();
    const services = await sampleServices(tmp.dir, { 'auth.adminTokens': 'admin-token-for-alerts-0123456789' }, { clock });
    const app = await buildApp(services);
    const alerts = config({ 'alerts.smtpHost': '', 'alerts.checkSeconds': 15, 'alerts.authFailureCount': 5, 'alerts.authFailureWindowSeconds': 60 }).alerts;
    const monitor = new AlertMonitor(
      new Alerter(alerts, 'api-1'),
      alerts,
      async () => ({
        health: 'healthy',
        reasons: [],
        saturated: [],
        memoryPercent: 30,
        requests: services.traffic.requests,
        errors5xx: services.traffic.errors5xx,
        authFailures: services.traffic.authFailures.drain(),
      }),
      undefined,
      clock,
    );
    monitor.start();
    try {
      const attempt = (remoteAddress: string) =>
        app.inject({ url: '/api/search?q=x', headers: { authorization: 'Bearer guessed-key-000000000000' }, remoteAddress });
      for (let i = 0; i < 3; i++) expect((await attempt('198.51.100.7')).statusCode).toBe(401);
      await attempt('203.0.113.5');
      await clock.advance(15_000, 5_000);
      for (let i = 0; i < 3; i++) await attempt('198.51.100.7');
      expect(texts()).toHaveLength(0); // 3 counted so far, 6 not yet read
      await clock.advance(15_000, 5_000);
      await until(() => texts().length === 1);
      expect(texts()[0]).toContain('주소 198.51.100.7에서 최근 60초 동안 인증 실패(401/403)가 6회 있었습니다 (기준 5회 초과)');
      expect(texts()[0]).not.toContain('203.0.113.5');
    } finally {
      monitor.stop();
      await app.close();
      await services.close();
      tmp.cleanup();
    }
  });
});

describe('a running server', () => {
  it('alerts through its webhook when its search queue turns requests away, and when that ends', async () => {
    const tmp = tempDir('alaw-alert-server-');
    webhook.posts.length = 0;
    const queueDb = path.join(tmp.dir, 'queue.db');
    const server = await startServer({
      ...sampleEnv(tmp.dir),
      ALAW_QUEUE_DB_PATH: queueDb,
      ALAW_QUEUE_PROFILE: 'conservative',
      ALAW_QUEUE_LIMITS_SEARCH_MAX_CONCURRENT: '1',
      ALAW_QUEUE_LIMITS_SEARCH_MAX_QUEUE_SIZE: '0',
      ALAW_ALERTS_WEBHOOK_URL: webhook.url,
      ALAW_ALERTS_CHECK_SECONDS: '0.2',
      ALAW_ALERTS_QUEUE_SATURATED_SECONDS: '0',
    });
    try {
      expect(server.logs()).toContain('알림 채널: webhook');
      // One search at a time and nothing may wait: searches sent together get 429 (the others are served).
      let refused = 0;
      for (let round = 0; round < 50 && refused === 0; round++) {
        const statuses = await Promise.all(
          Array.from({ length: 40 }, (_, i) => fetch(`http://127.0.0.1:${server.port}/api/search?q=손해배상+${i}`).then((r) => r.status)),
        );
        refused += statuses.filter((st) => st === 429).length;
      }
      expect(refused).toBeGreaterThan(0);
      await until(() => texts().some((t) => t.includes('작업 큐 포화') && t.includes('search')));
      // No request is turned away any more: a recovery notice.
      await until(() => texts().some((t) => t.includes('작업 큐 정상화')));
    } finally {
      await server.stop();
      tmp.cleanup();
    }
  });
});

async function until(check: () => boolean, ms = 8000): Promise<void> {
  for (const end = Date.now() + ms; !check();) {
    if (Date.now() > end) throw new Error(`timed out waiting; webhook got: ${JSON.stringify(texts())}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
