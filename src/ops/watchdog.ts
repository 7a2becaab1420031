import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import type { Config } from '../config/index.js';
import type { Alerter } from './alerts.js';

/**
 * The guide's `auto_recovery.sh`: check `/api/queue/health`; when it fails,
 * run the restart command and wait for health, then the redeploy command and
 * wait again, then alert that manual intervention is needed. Every step is
 * appended to the recovery log (`YYYY-MM-DD HH:MM:SS - message`, as the
 * script writes it). Waiting polls health every second up to the wait, so a
 * service back in five seconds is seen in five seconds, not thirty.
 */

/** `skipped`: another watchdog of the same URL was checking or recovering it (see {@link Watchdog.round}). */
export type WatchdogOutcome = 'healthy' | 'recovered_by_restart' | 'recovered_by_redeploy' | 'failed' | 'skipped';

/** After a command's shell exits, its output is read this much longer (the last lines in flight), not until EOF. */
const DRAIN_MS = 1000;
/** Output kept of a command (the log shows its last 500 characters). */
const OUTPUT_CHARS = 4000;

interface RunResult {
  /** null: killed after the timeout, or could not be started. */
  code: number | null;
  output: string;
  /** The command ended but something it started still holds its output open. */
  leftOpen: boolean;
}

/** A lock not refreshed for this long belongs to a watchdog that died; it is taken over. */
const LOCK_STALE_MS = 30_000;

export interface WatchdogDeps {
  settings: Readonly<Config['watchdog']>;
  alerter?: Alerter | null;
  /** Defaults to a fetch of `${url}/api/queue/health` (2xx is healthy). */
  check?: () => Promise<{ ok: boolean; detail: string }>;
  now?: () => Date;
  /** While the service stays down, the manual-intervention alert is repeated at most this often. */
  repeatMinutes?: number;
}

const pad = (n: number): string => String(n).padStart(2, '0');
const localStamp = (d: Date): string =>
  `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;

export class Watchdog {
  private readonly s: Readonly<Config['watchdog']>;
  private alertedAt: number | null = null;
  /** False after the state file could not be written: the in-memory alert time is then the truth. */
  private stateSaved = true;
  private readonly repeatMs: number;

  constructor(private readonly deps: WatchdogDeps) {
    this.s = deps.settings;
    this.repeatMs = (deps.repeatMinutes ?? 30) * 60_000;
  }

  /** `YYYY-MM-DD HH:MM:SS - message` appended to the recovery log (and returned). */
  log(message: string): string {
    const line = `${localStamp(this.deps.now?.() ?? new Date())} - ${message}`;
    try {
      fs.mkdirSync(path.dirname(path.resolve(this.s.logFile)), { recursive: true });
      fs.appendFileSync(this.s.logFile, `${line}\n`);
    } catch (err) {
      process.stderr.write(`복구 로그 ${this.s.logFile}에 쓸 수 없습니다: ${(err as Error).message}\n`);
    }
    return line;
  }

  async health(): Promise<{ ok: boolean; detail: string }> {
    if (this.deps.check) return this.deps.check();
    const url = `${this.s.url.replace(/\/+$/u, '')}/api/queue/health`;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(this.s.timeoutSeconds * 1000) });
      const body = await res.text();
      let status = '';
      try {
        status = (JSON.parse(body) as { status?: string }).status ?? '';
      } catch {
        // not our JSON: the status code decides
      }
      return { ok: res.ok, detail: `HTTP ${res.status}${status ? ` (${status})` : ''}` };
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      return {
        ok: false,
        detail: (err as Error).name === 'TimeoutError' ? `${this.s.timeoutSeconds}초 안에 응답 없음` : `연결 실패${cause ? ` (${cause})` : ''}`,
      };
    }
  }

  /** Polls health every second for up to `seconds`. */
  private async waitHealthy(seconds: number): Promise<boolean> {
    const end = Date.now() + seconds * 1000;
    for (;;) {
      if ((await this.health()).ok) return true;
      if (Date.now() >= end) return false;
      await new Promise((r) => setTimeout(r, Math.min(1000, Math.max(0, end - Date.now()))));
    }
  }

  /**
   * Runs a recovery command with a timeout, whatever it is. One still running after
   * `commandTimeoutSeconds` is killed with its whole process group, and the answer does not wait for its
   * output to end. One that ends is not waited for beyond {@link DRAIN_MS} either: a restart command
   * that starts the service in the background (`sh -c 'server &'`) leaves it holding the output pipe,
   * and that pipe may never close. Such a process is left running (it is the restarted service): the
   * pipes are still read, and discarded, so its writes do not fail, but they keep nothing waiting.
   */
  private run(command: string): Promise<RunResult> {
    return new Promise((resolve) => {
      const child = spawn('sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      let output = '';
      let settled = false;
      let drain: NodeJS.Timeout | null = null;
      const pipes = [child.stdout, child.stderr];
      const append = (d: Buffer): void => void (output = (output + d.toString()).slice(-OUTPUT_CHARS));
      for (const p of pipes) p.on('data', append);
      const finish = (code: number | null, note: string, leftOpen = false): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (drain) clearTimeout(drain);
        for (const p of pipes) {
          p.removeListener('data', append);
          p.resume();
          (p as unknown as { unref?: () => void }).unref?.();
        }
        child.unref();
        resolve({ code, output: `${output}${note}`.trim().slice(-500), leftOpen });
      };
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL'); // the shell and everything it started in its group
        } catch {
          child.kill('SIGKILL');
        }
        // A process that left the group (setsid) may hold the pipes: stop reading them rather than wait.
        for (const p of pipes) p.destroy();
        finish(null, `\n${this.s.commandTimeoutSeconds}초 안에 끝나지 않아 중단했습니다`);
      }, this.s.commandTimeoutSeconds * 1000);
      child.on('error', (err) => finish(null, `\n${err.message}`));
      child.on('exit', (code) => {
        drain = setTimeout(() => finish(code, '', true), DRAIN_MS);
      });
      child.on('close', (code) => finish(code, ''));
    });
  }

  /**
   * Where this URL's lock and alert state live: `watchdog-127.0.0.1-8997-<hash>.lock`
   * (a directory, proper-lockfile's) and `.state.json`. The hash is of the
   * whole URL, so two services behind one host and port (different paths) do
   * not share them.
   */
  private stateBase(): string {
    const u = new URL(this.s.url);
    const port = u.port || (u.protocol === 'https:' ? '443' : '80');
    const id = createHash('sha256').update(u.href.replace(/\/+$/u, '')).digest('hex').slice(0, 8);
    return path.join(this.s.stateDir, `watchdog-${`${u.hostname}-${port}`.replace(/[^A-Za-z0-9.-]/gu, '_')}-${id}`);
  }

  /**
   * One round, as the only watchdog of this URL on this machine: cron's
   * `--once` runs that overlap a long recovery, or a cron job beside the
   * service, must not restart the service twice. A round that finds another
   * one running is skipped. The time of the last "manual intervention" alert
   * is kept in the state file, so one-shot runs alert once per outage too.
   * When the lock or the state cannot be used (an unwritable state
   * directory), the round still runs: watching matters more than deduplicating.
   */
  async round(): Promise<WatchdogOutcome> {
    const base = this.stateBase();
    const stateFile = `${base}.state.json`;
    let release: (() => Promise<void>) | null = null;
    try {
      fs.mkdirSync(this.s.stateDir, { recursive: true });
      release = await lockfile.lock(stateFile, {
        realpath: false,
        lockfilePath: `${base}.lock`,
        stale: LOCK_STALE_MS,
        update: LOCK_STALE_MS / 3,
        // Losing the lock (its directory removed by hand, a frozen process) must not crash the watchdog.
        onCompromised: (err) => void this.log(`점검 잠금을 잃었습니다 (${err.message})`),
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ELOCKED') {
        this.log('다른 watchdog이 이 서비스를 점검·복구하는 중이라 이번 회차는 건너뜁니다');
        return 'skipped';
      }
      this.log(`점검 잠금을 쓸 수 없어 잠금 없이 점검합니다 (${this.s.stateDir}: ${(err as Error).message})`);
    }
    try {
      // After a failed write the file is older than what this process knows.
      if (this.stateSaved) this.alertedAt = readAlertedAt(stateFile);
      return await this.checkAndRecover();
    } finally {
      try {
        fs.writeFileSync(stateFile, JSON.stringify({ alerted_at: this.alertedAt === null ? null : new Date(this.alertedAt).toISOString() }) + '\n');
        this.stateSaved = true;
      } catch (err) {
        if (this.stateSaved) this.log(`상태 파일 ${stateFile}에 쓸 수 없습니다: ${(err as Error).message}`);
        this.stateSaved = false;
      }
      await release?.().catch(() => undefined);
    }
  }

  /** One round of the guide's check_and_recover (without the lock: see {@link round}). */
  async checkAndRecover(): Promise<WatchdogOutcome> {
    this.log('헬스체크 시작');
    const first = await this.health();
    if (first.ok) {
      this.log('서비스 정상');
      this.alertedAt = null;
      return 'healthy';
    }
    this.log(`서비스 장애 감지, 복구 시작 (${this.s.url}: ${first.detail})`);
    const steps: [string, string, number, WatchdogOutcome, string][] = [
      ['재시작', this.s.restartCommand, this.s.restartWaitSeconds, 'recovered_by_restart', '재시작으로 복구 완료'],
      ['재배포', this.s.redeployCommand, this.s.redeployWaitSeconds, 'recovered_by_redeploy', '완전 재배포로 복구 완료'],
    ];
    for (const [name, command, wait, outcome, done] of steps) {
      if (this.alertedAt !== null && Date.now() - this.alertedAt < this.repeatMs) break; // already given up on this outage: only watch
      if (!command) {
        this.log(`${name} 명령이 설정되지 않아 건너뜁니다`);
        continue;
      }
      this.log(`${name}: ${command}`);
      const r = await this.run(command);
      if (r.code !== 0) this.log(`${name} 명령 실패 (종료 코드 ${r.code ?? '실행 불가'})${r.output ? `: ${r.output}` : ''}`);
      if (r.leftOpen)
        this.log(
          `${name} 명령은 끝났지만 그 명령이 띄운 프로세스가 출력을 열어 두고 있어 기다리지 않고 진행합니다 (백그라운드로 띄우는 프로세스의 출력은 파일로 돌리세요: … > 파일 2>&1 &)`,
        );
      if (await this.waitHealthy(wait)) {
        this.log(done);
        return outcome;
      }
      this.log(`${name} 후 ${wait}초 안에 정상이 되지 않았습니다 (${(await this.health()).detail})`);
    }
    this.log('자동 복구 실패, 수동 개입 필요');
    // Running continuously, one outage is one alert (repeated at most every alerts.repeatMinutes).
    const now = Date.now();
    if (this.alertedAt !== null && now - this.alertedAt < this.repeatMs) return 'failed';
    this.alertedAt = now;
    await this.deps.alerter?.send({
      key: 'watchdog_failed',
      severity: 'critical',
      title: 'ALaw AI-Backend 자동 복구 실패, 수동 개입 필요',
      detail: `${this.s.url} 헬스체크 실패(${first.detail}) 후 재시작·재배포로도 복구되지 않았습니다. 복구 로그: ${path.resolve(this.s.logFile)}`,
    });
    return 'failed';
  }
}

/** The last alert's time from the state file; a missing or unreadable file means none. */
function readAlertedAt(file: string): number | null {
  try {
    const v = (JSON.parse(fs.readFileSync(file, 'utf8')) as { alerted_at?: unknown }).alerted_at;
    const t = typeof v === 'string' ? Date.parse(v) : NaN;
    return Number.isFinite(t) ? t : null;
  } catch {
    return null;
  }
}
