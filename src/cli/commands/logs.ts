import fs from 'node:fs';
import { buildLogReport, formatLogReport } from '../../ops/index.js';
import { CliError, cliConfig, EXIT, type GlobalOptions } from '../context.js';

/** `alaw logs report [--hours 24] [--json] [--dir logs]`: the guide's log_analyzer.py over logs/ and logs/archive/. */
export async function runLogsReport(opts: GlobalOptions & { hours: string; json?: boolean; dir?: string }): Promise<number> {
  const hours = Number(opts.hours);
  if (!/^\d+(\.\d+)?$/u.test(opts.hours) || !(hours > 0) || hours > 24 * 366)
    throw new CliError(`--hours는 0보다 크고 8784(1년) 이하인 수여야 합니다 (받은 값: ${opts.hours}).`, EXIT.usage);
  const dir = opts.dir ?? cliConfig(opts).log.dir;
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory())
    throw new CliError(`로그 디렉터리 ${dir}이(가) 없습니다 (--dir 또는 ALAW_LOG_DIR).`, EXIT.failure);
  const report = await buildLogReport(dir, hours);
  process.stdout.write((opts.json ? JSON.stringify(report, null, 2) : formatLogReport(report)) + '\n');
  return EXIT.ok;
}
