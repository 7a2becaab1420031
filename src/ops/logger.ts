import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * The application logger: JSON lines (pino). The service logs to stdout; the
 * CLI passes a destination of stderr so its own output stays clean.
 */
export function createLogger(level: string, destination: 1 | 2 = 1): Logger {
  return pino(
    {
      level,
      base: { service: 'alaw-ai-backend', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    pino.destination({ fd: destination, sync: destination === 2 }),
  );
}
