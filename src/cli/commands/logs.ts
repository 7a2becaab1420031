import fs from 'node:fs';
import { buildLogReport, formatLogReport } from '../../ops/index.js';
import { E, EXIT } from '../../errors/index.js';
import { cliConfig, type GlobalOptions } from '../context.js';

/** `alaw logs report [--hours 24] [--json] [--dir logs]`: the guide's log_analyzer.py over logs/ and logs/archive/. */
export async function runLogsReport(opts: GlobalOptions & { hours: string; json?: boolean; dir?: string }): Promise<number> {
  const hours = Number(opts.hours);
  if (!/^\d+(\.\d+)?$/u.test(opts.hours) || !(hours > 0) || hours > 24 * 366) throw E.LOGS_HOURS_INVALID.error({ option: '--hours', value: opts.hours });
  const dir = opts.dir ?? cliConfig(opts).log.dir;
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw E.LOGS_DIR_MISSING.error({ dir });
  const report = await buildLogReport(dir, hours);
  process.stdout.write((opts.json ? JSON.stringify(report, null, 2) : formatLogReport(report)) + '\n');
  return EXIT.ok;
}
