import os from 'node:os';
import { Alerter } from '../../ops/index.js';
import { E, EXIT } from '../../errors/index.js';
import { cliConfig, type GlobalOptions } from '../context.js';

/** `alaw alert test`: sends a test message to every configured channel and says which worked. */
export async function runAlertTest(opts: GlobalOptions & { json?: boolean }): Promise<number> {
  const config = cliConfig(opts);
  const alerter = new Alerter(config.alerts, config.server.instanceId || os.hostname());
  if (alerter.configured.length === 0) {
    throw E.ALERT_NO_CHANNEL.error();
  }
  const results = await alerter.send({
    key: 'test',
    severity: 'test',
    title: 'ALaw AI-Backend 알림 시험',
    detail: `alaw alert test (${os.userInfo().username}@${os.hostname()})에서 보낸 시험 알림입니다.`,
  });
  if (opts.json) process.stdout.write(JSON.stringify(results, null, 2) + '\n');
  else for (const r of results) process.stdout.write(`${r.ok ? '✓' : '✗'} ${r.channel}${r.ok ? ': 보냈습니다' : `: 실패 — ${r.error}`}\n`);
  return results.every((r) => r.ok) ? EXIT.ok : EXIT.failure;
}
