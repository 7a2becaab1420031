import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.js';
import { Watchdog } from '../src/ops/index.js';
import { sampleEnv, tempDir } from './helpers.js';
import { nodeArgs, run, startServer } from './process.js';
import { startWebhook } from './support/alert-receivers.js';

/**
 * `alaw watchdog` against a real server process that is killed, with a
 * restart command that really starts it again; and a service that stays down,
 * which ends in the "manual intervention" alert through a real webhook.
 */
const tmp = tempDir('alaw-watchdog-');
const pids: number[] = [];
afterAll(() => {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  tmp.cleanup();
});

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
const logLines = (file: string): string[] => fs.readFileSync(file, 'utf8').trim().split('\n');
/** Where the watchdogs of these tests keep their lock and alert state (not the checkout's data/). */
const stateEnv = { ALAW_WATCHDOG_STATE_DIR: path.join(tmp.dir, 'state') };

describe('alaw watchdog', () => {
  it('says healthy when the service is; restarts a dead service with the restart command and sees it come back', async () => {
    const port = await freePort();
    const env = sampleEnv(tmp.dir, { ALAW_PORT: String(port), ALAW_LOG_DIR: path.join(tmp.dir, 'logs') });
    const server = await startServer(env);
    pids.push(server.child.pid!); // killed by afterAll if an assertion fails before the test kills it
    const log = path.join(tmp.dir, 'recovery.log');
    const url = `http://127.0.0.1:${port}`;
    const healthy = await run('src/cli/main.ts', ['watchdog', '--once', '--url', url, '--log-file', log], stateEnv);
    expect(healthy.code).toBe(0);
    expect(healthy.stdout.trim()).toBe('healthy');
    expect(logLines(log).map((l) => l.slice(22))).toEqual(['헬스체크 시작', '서비스 정상']);
    expect(logLines(log)[0]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d - /u);

    // Running continuously: a round every --interval seconds until SIGTERM.
    const loopLog = path.join(tmp.dir, 'loop.log');
    const { spawn } = await import('node:child_process');
    const loop = spawn(process.execPath, nodeArgs('src/cli/main.ts', ['watchdog', '--url', url, '--interval', '1', '--log-file', loopLog]), {
      stdio: 'ignore',
      env: { ...process.env, ...stateEnv },
    });
    // Three rounds (a round every second; generous on a loaded machine).
    const healthyRounds = (): number => (fs.existsSync(loopLog) ? logLines(loopLog).filter((l) => l.endsWith(' - 서비스 정상')).length : 0);
    const until = Date.now() + 20_000;
    while (healthyRounds() < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    expect(loop.exitCode).toBeNull(); // still watching
    loop.kill('SIGTERM');
    const code = await new Promise((r) => loop.once('exit', r));
    expect(code).toBe(0);
    const rounds = logLines(loopLog).map((l) => l.slice(22));
    expect(rounds.filter((l) => l === '서비스 정상').length).toBeGreaterThanOrEqual(3);
    expect(rounds.at(-1)).toBe('감시 종료');

    server.child.kill('SIGKILL');
    await new Promise((r) => server.child.once('exit', r));
    // The restart command starts the service again, in the background, as systemd or docker would.
    const pidFile = path.join(tmp.dir, 'restarted.pid');
    const envs = Object.entries(env)
      .map(([k, v]) => `${k}='${v}'`)
      .join(' ');
    const restart = `cd '${process.cwd()}' && ${envs} nohup '${process.execPath}' ${nodeArgs('src/main.ts')
      .map((a) => `'${a}'`)
      .join(' ')} > '${path.join(tmp.dir, 'restarted.out')}' 2>&1 & echo $! > '${pidFile}'`;
    const r = await run('src/cli/main.ts', ['watchdog', '--once', '--url', url, '--restart-cmd', restart, '--restart-wait', '60', '--log-file', log], stateEnv);
    if (fs.existsSync(pidFile)) pids.push(Number(fs.readFileSync(pidFile, 'utf8')));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('recovered_by_restart');
    const steps = logLines(log)
      .slice(2)
      .map((l) => l.slice(22));
    expect(steps[0]).toBe('헬스체크 시작');
    expect(steps[1]).toMatch(/^서비스 장애 감지, 복구 시작 \(http:\/\/127\.0\.0\.1:\d+: 연결 실패 \(ECONNREFUSED\)\)$/u);
    expect(steps[2]).toMatch(/^재시작: cd /u);
    expect(steps[3]).toBe('재시작으로 복구 완료');
    expect((await fetch(`${url}/api/queue/health`)).status).toBe(200);
  });

  it('runs the redeploy command when the restart does not help, then alerts that manual intervention is needed', async () => {
    const webhook = await startWebhook();
    try {
      const log = path.join(tmp.dir, 'recovery-failed.log');
      const port = await freePort();
      const r = await run(
        'src/cli/main.ts',
        [
          'watchdog',
          '--once',
          '--url',
          `http://127.0.0.1:${port}`,
          '--restart-cmd',
          'true',
          '--restart-wait',
          '1',
          '--redeploy-cmd',
          'echo 빌드 실패 >&2; exit 3',
          '--redeploy-wait',
          '1',
          '--log-file',
          log,
        ],
        { ALAW_ALERTS_WEBHOOK_URL: webhook.url, ...stateEnv },
      );
      expect(r.code).toBe(1);
      expect(r.stdout.trim()).toBe('failed');
      const steps = logLines(log).map((l) => l.slice(22));
      expect(steps).toContain('재시작: true');
      expect(steps.some((s) => s.startsWith('재시작 후 1초 안에 정상이 되지 않았습니다'))).toBe(true);
      expect(steps).toContain('재배포 명령 실패 (종료 코드 3): 빌드 실패');
      expect(steps.at(-1)).toBe('자동 복구 실패, 수동 개입 필요');
      expect(String(webhook.posts[0]?.text)).toContain('🚨 ALaw AI-Backend 자동 복구 실패, 수동 개입 필요');

      // The next cron run, a new process, still knows this outage was alerted: no second alert,
      // and no second restart/redeploy while the alert stands (alerts.repeatMinutes).
      const again = await run(
        'src/cli/main.ts',
        ['watchdog', '--once', '--url', `http://127.0.0.1:${port}`, '--restart-cmd', 'true', '--restart-wait', '1', '--log-file', log],
        { ALAW_ALERTS_WEBHOOK_URL: webhook.url, ...stateEnv },
      );
      expect(again.code).toBe(1);
      expect(again.stdout.trim()).toBe('failed');
      expect(logLines(log).filter((l) => l.endsWith(' - 재시작: true'))).toHaveLength(1);
      expect(webhook.posts).toHaveLength(1);
      // Another service behind the same host and port (another path) has its own state.
      const other = await run(
        'src/cli/main.ts',
        ['watchdog', '--once', '--url', `http://127.0.0.1:${port}/other`, '--restart-cmd', 'true', '--restart-wait', '1', '--log-file', log],
        { ALAW_ALERTS_WEBHOOK_URL: webhook.url, ...stateEnv },
      );
      expect(other.stdout.trim()).toBe('failed');
      expect(logLines(log).filter((l) => l.endsWith(' - 재시작: true'))).toHaveLength(2);
      expect(webhook.posts).toHaveLength(2);
      const bad = await run('src/cli/main.ts', ['watchdog', '--once', '--url', 'localhost:8997'], {});
      expect(bad.code).toBe(2);
    } finally {
      await webhook.close();
    }
  });

  it('one round at a time per service: a cron run during a recovery in progress is skipped', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const log = path.join(tmp.dir, 'recovery-overlap.log');
    const { spawn } = await import('node:child_process');
    const first = spawn(
      process.execPath,
      nodeArgs('src/cli/main.ts', ['watchdog', '--once', '--url', url, '--restart-cmd', 'sleep 4', '--restart-wait', '1', '--log-file', log]),
      {
        stdio: 'ignore',
        env: { ...process.env, ...stateEnv },
      },
    );
    const firstExit = new Promise((r) => first.once('exit', r));
    // Wait until the first run is restarting the service.
    const deadline = Date.now() + 20_000;
    while (!(fs.existsSync(log) && fs.readFileSync(log, 'utf8').includes('재시작: sleep 4')) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    const second = await run('src/cli/main.ts', ['watchdog', '--once', '--url', url, '--restart-cmd', 'true', '--log-file', log], stateEnv);
    expect(second.code).toBe(0);
    expect(second.stdout.trim()).toBe('skipped');
    expect(await firstExit).toBe(1);
    const lines = logLines(log).map((l) => l.slice(22));
    expect(lines).toContain('다른 watchdog이 이 서비스를 점검·복구하는 중이라 이번 회차는 건너뜁니다');
    expect(lines).not.toContain('재시작: true');
    // Released: the next round runs.
    const third = await run('src/cli/main.ts', ['watchdog', '--once', '--url', url, '--log-file', log], stateEnv);
    expect(third.stdout.trim()).toBe('failed');
  });

  it('still checks and recovers when the state directory is unusable', async () => {
    const port = await freePort();
    const log = path.join(tmp.dir, 'recovery-nostate.log');
    const blocker = path.join(tmp.dir, 'not-a-directory');
    fs.writeFileSync(blocker, 'x');
    const r = await run(
      'src/cli/main.ts',
      ['watchdog', '--once', '--url', `http://127.0.0.1:${port}`, '--restart-cmd', 'true', '--restart-wait', '1', '--log-file', log],
      {
        ALAW_WATCHDOG_STATE_DIR: path.join(blocker, 'state'),
      },
    );
    expect(r.stdout.trim()).toBe('failed');
    const lines = logLines(log).map((l) => l.slice(22));
    expect(lines[0]).toMatch(/^점검 잠금을 쓸 수 없어 잠금 없이 점검합니다/u);
    expect(lines).toContain('재시작: true');
  });
});

describe('watchdog commands', () => {
  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const pidIn = (file: string): number => {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    pids.push(pid);
    return pid;
  };
  const dog = async (name: string, restartCommand: string, commandTimeoutSeconds: number) => {
    const logFile = path.join(tmp.dir, `${name}.log`);
    const settings = loadConfig({
      env: {},
      overrides: {
        'watchdog.url': `http://127.0.0.1:${await freePort()}`,
        'watchdog.restartCommand': restartCommand,
        'watchdog.restartWaitSeconds': 1,
        'watchdog.commandTimeoutSeconds': commandTimeoutSeconds,
        'watchdog.logFile': logFile,
        'watchdog.stateDir': path.join(tmp.dir, 'state'),
      },
    }).watchdog;
    return { watchdog: new Watchdog({ settings }), log: () => logLines(logFile).map((l) => l.slice(22)) };
  };

  it('does not wait for the output of a process the restart command left running, and leaves that process alone', async () => {
    const pidFile = path.join(tmp.dir, 'daemon.pid');
    // The service started in the background, its output still on the command's pipe.
    const { watchdog, log } = await dog('left-open', `echo 서비스 시작; sleep 60 & echo $! > '${pidFile}'`, 600);
    const t0 = performance.now();
    expect(await watchdog.checkAndRecover()).toBe('failed'); // nothing listens on the port: it stays down
    const seconds = (performance.now() - t0) / 1000;
    expect(seconds).toBeLessThan(10); // a second of drain and a second of waiting for health, not sleep's 60 s
    const daemon = pidIn(pidFile);
    expect(alive(daemon)).toBe(true);
    const lines = log();
    expect(lines.some((l) => l.startsWith('재시작 명령 실패'))).toBe(false);
    expect(lines).toContain(
      '재시작 명령은 끝났지만 그 명령이 띄운 프로세스가 출력을 열어 두고 있어 기다리지 않고 진행합니다 (백그라운드로 띄우는 프로세스의 출력은 파일로 돌리세요: … > 파일 2>&1 &)',
    );
    process.kill(daemon, 'SIGKILL');
  });

  it('kills a command that outlives commandTimeoutSeconds with its process group, without waiting for a pipe held outside the group', async () => {
    const inGroup = path.join(tmp.dir, 'in-group.pid');
    const escaped = path.join(tmp.dir, 'escaped.pid');
    // `setsid` leaves the process group and keeps the pipe open for 60 s; the shell itself hangs on `wait`.
    const { watchdog, log } = await dog('timeout', `setsid sleep 60 & echo $! > '${escaped}'; sleep 600 & echo $! > '${inGroup}'; wait`, 1);
    const t0 = performance.now();
    expect(await watchdog.checkAndRecover()).toBe('failed');
    const seconds = (performance.now() - t0) / 1000;
    expect(seconds).toBeLessThan(10); // 1 s timeout and 1 s wait for health, not the escaped sleep's 60 s
    const grouped = pidIn(inGroup);
    const outside = pidIn(escaped);
    for (let i = 0; i < 50 && alive(grouped); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive(grouped)).toBe(false);
    expect(log()).toContain('재시작 명령 실패 (종료 코드 실행 불가): 1초 안에 끝나지 않아 중단했습니다');
    process.kill(outside, 'SIGKILL');
  });
});
