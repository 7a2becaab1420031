import pino, { type Logger } from 'pino';
import type { Config } from '../config/index.js';
import { logContext } from '../context.js';
import { LogFiles, LOG_NAMES, type LogName } from './logFiles.js';

export type { Logger } from 'pino';

const BASE = { service: 'alaw-ai-backend', pid: process.pid };

/**
 * The application logger: JSON lines (pino). The CLI passes a destination of
 * stderr so its own output stays clean.
 */
export function createLogger(level: string, destination: 1 | 2 = 1): Logger {
  return pino({ level, base: BASE, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ fd: destination, sync: destination === 2 }));
}

/** What the server logs with: the application log, access.log, performance.log, and the files behind them. */
export interface ServerLogging {
  logger: Logger;
  /** One line per request (null when `log.files` or `log.access` is off). */
  access: Logger | null;
  /** Slow requests and tasks (null when `log.files` is off). */
  performance: Logger | null;
  files: LogFiles | null;
}

/**
 * The server's logs as the operations guide lays them out: the application
 * log on stdout and in `logs/app.log`, errors also in `logs/error.log`,
 * requests in `logs/access.log`, slow requests and tasks in
 * `logs/performance.log`; each rotated by size into `logs/archive/`, gzip.
 * A log directory that cannot be written falls back to stdout (and says so).
 */
export function createServerLogging(log: Readonly<Config['log']>): ServerLogging {
  if (!log.files) return { logger: createLogger(log.level), access: null, performance: null, files: null };
  const limits = Object.fromEntries(
    LOG_NAMES.map((n: LogName) => [n, { maxBytes: Math.round(log.maxMegabytes[n] * 1024 * 1024), keep: log.keep[n] }]),
  ) as ConstructorParameters<typeof LogFiles>[1];
  let logger: Logger | null = null;
  const reported = new Set<string>();
  const files = new LogFiles(
    log.dir,
    limits,
    (f) => {
      if (!f.problem || reported.has(f.problem)) return;
      reported.add(f.problem);
      const message = `로그 파일 ${f.file}에 쓸 수 없어 ${f.name === 'app' || f.name === 'error' ? '표준 출력에만' : '표준 출력으로'} 기록합니다 (${f.problem}). 서비스는 계속됩니다.`;
      if (logger) logger.error({ log_file: f.file, problem: f.problem }, message);
      else
        process.stdout.write(`${JSON.stringify({ level: 50, time: new Date().toISOString(), ...BASE, log_file: f.file, problem: f.problem, msg: message })}\n`);
    },
    log.stdout,
  );
  const streams: pino.StreamEntry[] = [
    { level: 'trace', stream: files.files.app },
    { level: 'error', stream: files.files.error },
  ];
  if (log.stdout) streams.push({ level: 'trace', stream: pino.destination({ fd: 1, sync: false }) });
  // Every line written while serving a request or running its task carries the request id (and task id).
  logger = pino(
    { level: log.level, base: BASE, timestamp: pino.stdTimeFunctions.isoTime, mixin: () => ({ ...logContext.getStore() }) },
    pino.multistream(streams),
  );
  const plain = { base: null, timestamp: pino.stdTimeFunctions.isoTime, level: 'info' as const };
  return {
    logger,
    access: log.access ? pino(plain, files.files.access) : null,
    performance: pino({ ...plain, base: BASE }, files.files.performance),
    files,
  };
}
