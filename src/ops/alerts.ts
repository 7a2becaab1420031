import { systemClock, unrefTimer, type Clock, type Timer } from '../clock.js';
import os from 'node:os';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Config } from '../config/index.js';
import type { AuthFailureSample } from './authFailures.js';
import type { Logger } from './logger.js';

/**
 * Alerts of the operations guide: a Mattermost/Slack-compatible incoming
 * webhook (`{"text","channel","username"}`, the guide's alert.sh) and e-mail
 * over SMTP (nodemailer; the guide's email_alert.py), each configured by
 * environment or file. `AlertMonitor` turns the server's own state into
 * alerts: health turning unhealthy (and a recovery notice when it comes
 * back), a saturated queue, high memory, a high rate of 5xx responses —
 * each raised once when its condition has lasted long enough, repeated at
 * most every `repeatMinutes` while it lasts, and cleared with a notice —
 * and a client address failing authentication (401/403) more than
 * `authFailureCount` times within `authFailureWindowSeconds` (named with its
 * count; repeated per address at most every `repeatMinutes`).
 */

export type AlertSeverity = 'critical' | 'warning' | 'resolved' | 'test';

export interface AlertMessage {
  key: string;
  severity: AlertSeverity;
  title: string;
  detail: string;
}

export interface ChannelResult {
  channel: string;
  ok: boolean;
  error?: string;
}

interface Channel {
  readonly name: string;
  send(m: AlertMessage): Promise<void>;
}

const ICON: Record<AlertSeverity, string> = { critical: '🚨', warning: '⚠️', resolved: '✅', test: '🔔' };

function text(m: AlertMessage, instance: string): string {
  return `${ICON[m.severity]} ${m.title}\n${m.detail}\n(인스턴스 ${instance}, ${os.hostname()}, ${new Date().toISOString()})`;
}

class WebhookChannel implements Channel {
  readonly name = 'webhook';
  constructor(
    private readonly url: string,
    private readonly channel: string,
    private readonly username: string,
    private readonly instance: string,
  ) {}

  async send(m: AlertMessage): Promise<void> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: text(m, this.instance), channel: this.channel, username: this.username }),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`웹훅이 HTTP ${res.status}을(를) 돌려주었습니다: ${(await res.text()).slice(0, 200)}`);
  }
}

class EmailChannel implements Channel {
  readonly name = 'email';
  private readonly transport: Transporter;
  constructor(
    private readonly a: Readonly<Config['alerts']>,
    private readonly instance: string,
  ) {
    this.transport = nodemailer.createTransport({
      host: a.smtpHost,
      port: a.smtpPort,
      secure: a.smtpSecure,
      // Never AUTH or send over cleartext unless the operator allowed a relay without TLS.
      requireTLS: !a.smtpSecure && !a.smtpAllowInsecure,
      auth: a.smtpUser ? { user: a.smtpUser, pass: a.smtpPassword } : undefined,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 20_000,
    });
  }

  async send(m: AlertMessage): Promise<void> {
    await this.transport.sendMail({
      from: this.a.from,
      to: this.a.to.split(',').map((x) => x.trim()),
      subject: `[ALaw AI] ${m.title}`,
      text: text(m, this.instance),
    });
  }
}

/** The configured channels; an alert goes to all of them, and one failing does not stop the others. */
export class Alerter {
  private readonly channels: Channel[] = [];

  constructor(
    a: Readonly<Config['alerts']>,
    private readonly instance: string,
    private readonly logger?: Logger,
  ) {
    if (a.webhookUrl) this.channels.push(new WebhookChannel(a.webhookUrl, a.webhookChannel, a.webhookUsername, instance));
    if (a.smtpHost) this.channels.push(new EmailChannel(a, instance));
  }

  get configured(): string[] {
    return this.channels.map((c) => c.name);
  }

  async send(m: AlertMessage): Promise<ChannelResult[]> {
    return Promise.all(
      this.channels.map(async (c) => {
        try {
          await c.send(m);
          this.logger?.warn({ alert: m.key, severity: m.severity, channel: c.name }, `알림을 보냈습니다: ${m.title}`);
          return { channel: c.name, ok: true };
        } catch (err) {
          const error = (err as Error).message;
          this.logger?.error({ alert: m.key, channel: c.name, err }, `알림을 보내지 못했습니다 (${c.name}): ${error}`);
          return { channel: c.name, ok: false, error };
        }
      }),
    );
  }
}

/** What the monitor looks at, each time it checks. */
export interface MonitorState {
  health: 'healthy' | 'degraded' | 'unhealthy';
  reasons: string[];
  /** Per type: is the queue full (pending ≥ max_queue_size) or turning requests away since the last check? */
  saturated: string[];
  memoryPercent: number;
  /** Requests and 5xx responses counted so far (monotonic). */
  requests: number;
  errors5xx: number;
  /** 401/403 per client address since the last reading (the HTTP layer's counter, drained). */
  authFailures?: AuthFailureSample;
}

/** Addresses named in one auth-failure alert; the rest are counted. */
const AUTH_ALERT_ADDRESSES = 10;

interface Condition {
  since: number | null;
  raised: boolean;
  lastSent: number;
}

/** Turns the server's state into alerts: raised after their duration, repeated at most every repeatMinutes, cleared with a notice. */
export class AlertMonitor {
  private readonly conditions = new Map<string, Condition>();
  private readonly window: { at: number; requests: number; errors: number }[] = [];
  /** The auth-failure readings of the last authFailureWindowSeconds. */
  private readonly authWindow: { at: number; sample: AuthFailureSample }[] = [];
  /** When each address was last named in an auth-failure alert (kept for repeatMinutes). */
  private readonly authAlerted = new Map<string, number>();
  private timer: Timer | null = null;
  private checking = false;

  constructor(
    private readonly alerter: Alerter,
    private readonly a: Readonly<Config['alerts']>,
    private readonly read: () => Promise<MonitorState>,
    private readonly logger?: Logger,
    /** Time for the check interval and the durations and repeats of conditions. */
    private readonly clock: Clock = systemClock,
  ) {}

  start(): void {
    if (this.alerter.configured.length === 0 || this.timer) return;
    this.timer = this.clock.setInterval(() => void this.check(), this.a.checkSeconds * 1000);
    unrefTimer(this.timer);
  }

  stop(): void {
    if (this.timer) this.clock.clearInterval(this.timer);
    this.timer = null;
  }

  /** One evaluation (the timer calls it; tests may too, with the time to evaluate at). */
  async check(now = this.clock.now()): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      let s: MonitorState;
      let readOk = true;
      try {
        s = await this.read();
      } catch (err) {
        readOk = false;
        s = {
          health: 'unhealthy',
          reasons: [`상태를 읽을 수 없습니다: ${(err as Error).message}`],
          saturated: [],
          memoryPercent: 0,
          requests: 0,
          errors5xx: 0,
        };
      }
      // Only real counter readings go into the error-rate window (a failed read has none).
      if (readOk) this.window.push({ at: now, requests: s.requests, errors: s.errors5xx });
      if (this.window.length === 0) this.window.push({ at: now, requests: 0, errors: 0 });
      while (this.window.length > 1 && this.window[1]!.at <= now - this.a.errorRateWindowSeconds * 1000) this.window.shift();
      const first = this.window[0]!;
      const requests = readOk ? s.requests - first.requests : 0;
      const errors = readOk ? s.errors5xx - first.errors : 0;
      const rate = requests > 0 ? (errors / requests) * 100 : 0;

      await this.evaluate(now, 'unhealthy', s.health === 'unhealthy', 0, {
        severity: 'critical',
        title: 'ALaw AI-Backend 서비스 장애 감지',
        detail: `헬스체크가 unhealthy입니다: ${s.reasons.join('; ') || '이유 없음'}`,
        resolved: 'ALaw AI-Backend 서비스 복구',
      });
      await this.evaluate(now, 'queue_saturated', s.saturated.length > 0, this.a.queueSaturatedSeconds, {
        severity: 'warning',
        title: 'ALaw AI-Backend 작업 큐 포화',
        detail: `${s.saturated.join(', ')} 대기열이 ${this.a.queueSaturatedSeconds}초 넘게 가득 차 요청을 거절하고 있습니다 (429). /api/queue/status/json을 확인하세요.`,
        resolved: 'ALaw AI-Backend 작업 큐 정상화',
      });
      await this.evaluate(now, 'memory_high', s.memoryPercent >= this.a.memoryPercent, this.a.memorySeconds, {
        severity: 'warning',
        title: 'ALaw AI-Backend 메모리 사용량 높음',
        detail: `메모리 사용률 ${s.memoryPercent.toFixed(1)}%가 ${this.a.memorySeconds}초 넘게 ${this.a.memoryPercent}% 이상입니다.`,
        resolved: 'ALaw AI-Backend 메모리 사용량 정상화',
      });
      await this.evaluate(now, 'error_rate', requests >= this.a.errorRateMinRequests && rate >= this.a.errorRatePercent, 0, {
        severity: 'critical',
        title: 'ALaw AI-Backend 오류율 높음',
        detail: `최근 ${this.a.errorRateWindowSeconds}초 요청 ${requests}건 중 ${errors}건(${rate.toFixed(1)}%)이 5xx입니다 (기준 ${this.a.errorRatePercent}%). logs/error.log를 확인하세요.`,
        resolved: 'ALaw AI-Backend 오류율 정상화',
      });
      if (readOk && s.authFailures) await this.checkAuthFailures(now, s.authFailures);
    } finally {
      this.checking = false;
    }
  }

  /**
   * Addresses with more than authFailureCount 401/403 answers within authFailureWindowSeconds: one alert
   * naming them (the most failing first) and their counts; an address is named again at most every
   * repeatMinutes. No recovery notice: failures are events, not a state that ends.
   */
  private async checkAuthFailures(now: number, sample: AuthFailureSample): Promise<void> {
    const windowMs = this.a.authFailureWindowSeconds * 1000;
    const repeatMs = this.a.repeatMinutes * 60_000;
    this.authWindow.push({ at: now, sample });
    while (this.authWindow.length > 0 && this.authWindow[0]!.at <= now - windowMs) this.authWindow.shift();
    for (const [ip, at] of this.authAlerted) if (now - at >= repeatMs) this.authAlerted.delete(ip);
    const totals = new Map<string, number>();
    let overflow = 0;
    for (const { sample: s } of this.authWindow) {
      overflow += s.overflow;
      for (const [ip, n] of s.counts) totals.set(ip, (totals.get(ip) ?? 0) + n);
    }
    const due = [...totals].filter(([ip, n]) => n > this.a.authFailureCount && !this.authAlerted.has(ip)).sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
    if (due.length === 0) return;
    for (const [ip] of due) this.authAlerted.set(ip, now);
    const seconds = this.a.authFailureWindowSeconds;
    const named = due.slice(0, AUTH_ALERT_ADDRESSES);
    const detail =
      (due.length === 1
        ? `주소 ${due[0]![0]}에서 최근 ${seconds}초 동안 인증 실패(401/403)가 ${due[0]![1]}회 있었습니다`
        : `최근 ${seconds}초 동안 인증 실패(401/403)가 많은 주소 ${due.length}곳: ${named.map(([ip, n]) => `${ip} ${n}회`).join(', ')}${due.length > named.length ? ` 외 ${due.length - named.length}곳` : ''}`) +
      ` (기준 ${this.a.authFailureCount}회 초과).` +
      (overflow > 0 ? ` 주소가 너무 많아 주소별로 세지 못한 실패도 ${overflow}회 있습니다.` : '') +
      ' 키를 잘못 설정한 클라이언트인지 키를 추측하는 공격인지 `alaw logs report`의 보안 항목과 logs/access.log에서 확인하고, 공격이면 방화벽에서 막으세요.';
    await this.alerter.send({ key: 'auth_failures', severity: 'warning', title: 'ALaw AI-Backend 인증 실패 반복', detail });
  }

  private async evaluate(
    now: number,
    key: string,
    active: boolean,
    forSeconds: number,
    m: { severity: AlertSeverity; title: string; detail: string; resolved: string },
  ): Promise<void> {
    const c = this.conditions.get(key) ?? { since: null, raised: false, lastSent: 0 };
    this.conditions.set(key, c);
    if (!active) {
      if (c.raised) {
        c.raised = false;
        await this.alerter.send({ key, severity: 'resolved', title: m.resolved, detail: `${m.title} 상태가 끝났습니다.` });
      }
      c.since = null;
      return;
    }
    c.since ??= now;
    if (now - c.since < forSeconds * 1000) return;
    if (!c.raised || now - c.lastSent >= this.a.repeatMinutes * 60_000) {
      c.raised = true;
      c.lastSent = now;
      await this.alerter.send({ key, severity: m.severity, title: m.title, detail: m.detail });
    }
  }
}
