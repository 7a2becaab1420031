import os from 'node:os';
import { loadConfig } from '../../config/index.js';
import { E, EXIT } from '../../errors/index.js';
import { Alerter, Watchdog } from '../../ops/index.js';
import type { GlobalOptions } from '../context.js';

export interface WatchdogOptions extends GlobalOptions {
  once?: boolean;
  url?: string;
  interval?: string;
  restartCmd?: string;
  redeployCmd?: string;
  restartWait?: string;
  redeployWait?: string;
  logFile?: string;
}

/**
 * `alaw watchdog`: the guide's auto_recovery.sh. `--once` is one round (for cron: exit 0 when healthy,
 * recovered or skipped because another watchdog of the URL is at work, 1 when manual intervention is
 * needed); without it, a round every `--interval` seconds until SIGTERM.
 */
export async function runWatchdog(opts: WatchdogOptions): Promise<number> {
  const overrides: Record<string, unknown> = {};
  if (opts.db) overrides['paths.database'] = opts.db;
  for (const [flag, key] of [
    ['url', 'watchdog.url'],
    ['interval', 'watchdog.intervalSeconds'],
    ['restartCmd', 'watchdog.restartCommand'],
    ['redeployCmd', 'watchdog.redeployCommand'],
    ['restartWait', 'watchdog.restartWaitSeconds'],
    ['redeployWait', 'watchdog.redeployWaitSeconds'],
    ['logFile', 'watchdog.logFile'],
  ] as const) {
    const v = opts[flag];
    if (v !== undefined) overrides[key] = v;
  }
  const config = loadConfig({ file: opts.config, overrides });
  if (!/^https?:\/\/[^\s/]+/u.test(config.watchdog.url)) throw E.WATCHDOG_URL_INVALID.error({ value: config.watchdog.url });
  const alerter = new Alerter(config.alerts, `watchdog@${os.hostname()}`);
  const dog = new Watchdog({ settings: config.watchdog, alerter, repeatMinutes: config.alerts.repeatMinutes });
  const report = (outcome: string): void => void process.stdout.write(`${outcome}\n`);
  if (opts.once) {
    const outcome = await dog.round();
    report(outcome);
    return outcome === 'failed' ? EXIT.failure : EXIT.ok;
  }
  dog.log(`감시 시작: ${config.watchdog.url}, ${config.watchdog.intervalSeconds}초마다 (알림 채널: ${alerter.configured.join(', ') || '없음'})`);
  let stopping = false;
  let timer: NodeJS.Timeout | null = null;
  let wake: (() => void) | null = null;
  const stop = (): void => {
    stopping = true;
    if (timer) clearTimeout(timer);
    wake?.();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  while (!stopping) {
    report(await dog.round());
    if (stopping) break;
    // A referenced timer: it is what keeps the process alive between rounds.
    await new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, config.watchdog.intervalSeconds * 1000);
    });
  }
  dog.log('감시 종료');
  return EXIT.ok;
}
