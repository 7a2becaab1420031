import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { gzipFile } from './gzipFiles.js';

/** The log files of the operations guide (`logs/app.log`, `access.log`, `error.log`, `performance.log`). */
export const LOG_NAMES = ['app', 'access', 'error', 'performance'] as const;
export type LogName = (typeof LOG_NAMES)[number];

export interface LogFileLimits {
  /** Rotate when the file grows past this many bytes. */
  maxBytes: number;
  /** Compressed rotated files kept in `archive/`. */
  keep: number;
}

type Destination = ReturnType<typeof pino.destination>;

const BATCH_BYTES = 4096;
const FLUSH_MS = 1000;
const RETRY_MS = 30_000;

/**
 * One log file, rotated by size into `<dir>/archive/<name>.log.<UTC time>.gz`
 * (the newest `keep` kept), and reopened on demand (SIGHUP, after an external
 * logrotate moved it). Writes go through pino's own SonicBoom destination;
 * rotation renames the file, reopens the destination (SonicBoom finishes the
 * write in flight first, so no line is split or lost), then compresses the
 * renamed file once the old descriptor is closed.
 *
 * Written here rather than taken from a library: rotating-file-stream and
 * pino-roll rotate but cannot reopen a file that logrotate moved (the guide's
 * `kill -HUP`); SonicBoom reopens but does not rotate.
 *
 * A file that cannot be written (missing permission, full disk) never stops
 * the service: its lines go to standard output instead and `problem` says why.
 */
export class RotatingLogFile {
  readonly file: string;
  private readonly archive: string;
  private dest: Destination | null = null;
  private bytes = 0;
  private rotating = false;
  private flusher: NodeJS.Timeout | null = null;
  /** While the file cannot be written, it is tried again every RETRY_MS (a full disk freed, a directory restored). */
  private retry: NodeJS.Timeout | null = null;
  private closed = false;
  /** Why this file is not written (lines go to stdout instead); null while it works. */
  problem: string | null = null;
  /** Rotations finished (compressed and pruned), for tests and status. */
  rotations = 0;
  /** Why the last rotated file could not be compressed or old archives pruned (the live file is fine); null when they could. */
  archiveProblem: string | null = null;

  constructor(
    dir: string,
    readonly name: LogName,
    private readonly limits: LogFileLimits,
    private readonly onProblem: (file: RotatingLogFile) => void = () => undefined,
    /** Where lines go when the file cannot be written: stdout, or nowhere (they are on stdout already). */
    private readonly fallbackToStdout = true,
  ) {
    this.file = path.join(dir, `${name}.log`);
    this.archive = path.join(dir, 'archive');
    this.open();
  }

  /** Opens (or, after a failure, tries again to open) the file for appending. */
  private open(): boolean {
    try {
      fs.mkdirSync(this.archive, { recursive: true });
      // Fail now, not on the first asynchronous write, when the file cannot be opened for appending.
      fs.closeSync(fs.openSync(this.file, 'a'));
      this.bytes = fs.statSync(this.file).size;
      // Lines are written in batches of 4 KB (one write system call for ~15 access lines under load) and
      // at least once a second, so a quiet service's lines still reach the file promptly.
      const dest = pino.destination({ dest: this.file, sync: false, mkdir: true, minLength: BATCH_BYTES });
      dest.on('error', (err: Error) => this.fail(err));
      this.dest = dest;
      this.problem = null;
      if (this.retry) clearInterval(this.retry);
      this.retry = null;
      this.flusher = setInterval(() => this.flushSoon(), FLUSH_MS);
      this.flusher.unref();
      return true;
    } catch (err) {
      this.fail(err as Error);
      return false;
    }
  }

  /** pino (multi)stream interface. */
  write(line: string): boolean {
    if (!this.dest) return this.fallbackToStdout ? process.stdout.write(line) : true;
    this.bytes += Buffer.byteLength(line);
    const ok = this.dest.write(line);
    if (this.bytes >= this.limits.maxBytes && !this.rotating) void this.rotate();
    return ok;
  }

  /** Reopens the file by its name (after logrotate moved it away). */
  reopen(): void {
    if (!this.dest) return;
    try {
      this.dest.reopen();
      this.bytes = fs.existsSync(this.file) ? fs.statSync(this.file).size : 0;
    } catch (err) {
      this.fail(err as Error);
    }
  }

  /** Moves the current file into the archive, compressed, and starts a new one. */
  async rotate(): Promise<void> {
    const dest = this.dest;
    if (!dest || this.rotating) return;
    this.rotating = true;
    const stamp = new Date().toISOString().replace(/[-:]/gu, '').replace('T', '-').replace(/\..*$/u, '');
    let target: string;
    try {
      // The archive directory may have been removed since start-up.
      fs.mkdirSync(this.archive, { recursive: true });
      target = path.join(this.archive, `${this.name}.log.${stamp}`);
      for (let i = 1; fs.existsSync(`${target}.gz`) || fs.existsSync(target); i++) target = path.join(this.archive, `${this.name}.log.${stamp}-${i}`);
      fs.renameSync(this.file, target);
    } catch {
      target = ''; // moved away by someone else (logrotate), or no archive: keep writing, compress nothing
    }
    this.bytes = 0;
    try {
      const reopened = new Promise<void>((resolve, reject) => {
        dest.once('ready', () => resolve());
        dest.once('error', reject);
      });
      dest.reopen();
      await reopened;
    } catch (err) {
      // The log file itself cannot be reopened (its directory is gone, the disk is full): stdout from now on.
      this.rotating = false;
      this.fail(err as Error);
      return;
    }
    // Compressing and pruning old archives concern only the archive: a failure there never stops the live file.
    try {
      if (target) {
        await gzipFile(target, `${target}.gz`);
        fs.unlinkSync(target);
      }
      this.prune();
      this.archiveProblem = null;
    } catch (err) {
      this.archiveProblem = `${this.archive}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
    }
    this.rotations += 1;
    this.rotating = false;
    // Lines written meanwhile may already fill the new file.
    if (this.dest && this.bytes >= this.limits.maxBytes) await this.rotate();
  }

  /** Keeps the newest `keep` archives of this file. */
  private prune(): void {
    const mine = fs
      .readdirSync(this.archive)
      .filter((f) => f.startsWith(`${this.name}.log.`) && f.endsWith('.gz'))
      .sort();
    for (const f of mine.slice(0, Math.max(0, mine.length - this.limits.keep))) fs.rmSync(path.join(this.archive, f), { force: true });
  }

  private fail(err: Error): void {
    const code = (err as NodeJS.ErrnoException).code;
    this.problem = `${this.file}: ${code ?? err.message}`;
    const dest = this.dest;
    this.dest = null;
    if (this.flusher) clearInterval(this.flusher);
    this.flusher = null;
    try {
      dest?.destroy();
    } catch {
      // already broken
    }
    this.onProblem(this);
    if (!this.retry && !this.closed) {
      this.retry = setInterval(() => void this.open(), RETRY_MS);
      this.retry.unref();
    }
  }

  /** Writes what is buffered, without blocking. */
  private flushSoon(): void {
    const dest = this.dest;
    if (!dest) return;
    try {
      dest.flush();
    } catch {
      // a write is in flight or the file is being reopened: the next tick of the timer flushes
    }
  }

  flush(): void {
    try {
      this.dest?.flushSync();
    } catch {
      // nothing left to do at exit
    }
  }

  close(): void {
    this.closed = true;
    if (this.retry) clearInterval(this.retry);
    this.retry = null;
    if (this.flusher) clearInterval(this.flusher);
    this.flusher = null;
    this.flush();
    const dest = this.dest;
    this.dest = null;
    dest?.end();
  }
}

/** The four files, with the limits of the operations guide by default (app 50 MB × 5, error 10 MB × 10). */
export class LogFiles {
  readonly files: Record<LogName, RotatingLogFile>;

  constructor(
    readonly dir: string,
    limits: Record<LogName, LogFileLimits>,
    onProblem: (file: RotatingLogFile) => void = () => undefined,
    /** The application log also goes to stdout: app.log and error.log lines need no second copy there when their file fails. */
    appOnStdout = true,
  ) {
    this.files = Object.fromEntries(
      LOG_NAMES.map((n) => [n, new RotatingLogFile(dir, n, limits[n], onProblem, !(appOnStdout && (n === 'app' || n === 'error')))]),
    ) as Record<LogName, RotatingLogFile>;
  }

  /** Files that fell back to standard output, and why. */
  get problems(): string[] {
    return LOG_NAMES.flatMap((n) => [this.files[n].problem, this.files[n].archiveProblem]).filter((p): p is string => p !== null);
  }

  reopen(): void {
    for (const n of LOG_NAMES) this.files[n].reopen();
  }

  close(): void {
    for (const n of LOG_NAMES) this.files[n].close();
  }
}
