import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config/index.js';
import { pidAlive } from '../queue/index.js';
import type { Logger } from './logger.js';

/**
 * The lock by which a running service holds its data directory: `server-<instanceId>.lock` beside the
 * application database, written right after the service listens (pid, port, host, start time) and removed
 * when the process exits. `alaw restore` reads these before it replaces anything: a lock whose pid is alive
 * means a service is using the files; a lock left by a process that no longer exists (kill -9) is stale and
 * ignored (and removed).
 */

export interface DataLock {
  instance_id: string;
  pid: number;
  port: number;
  host: string;
  started_at: string;
  /** The lock file. */
  file: string;
}

const LOCK_NAME = /^server-[A-Za-z0-9._:-]{1,80}\.lock$/u;

/** The directories a service holds: where the application database and the queue database live. */
export function dataDirsOf(config: Readonly<Config>): string[] {
  const dirs = [path.dirname(path.resolve(config.paths.database))];
  if (!config.queue.databaseUrl) dirs.push(path.dirname(path.resolve(config.paths.queueDatabase)));
  return [...new Set(dirs)];
}

/** Writes this process's lock into the data directory and removes it when the process exits. */
export function holdDataLock(config: Readonly<Config>, instanceId: string, port: number, logger?: Logger): DataLock | null {
  const dir = dataDirsOf(config)[0]!;
  const file = path.join(dir, `server-${instanceId.replace(/[^A-Za-z0-9._:-]/gu, '-').slice(0, 80)}.lock`);
  const lock: DataLock = { instance_id: instanceId, pid: process.pid, port, host: os.hostname(), started_at: new Date().toISOString(), file };
  try {
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify({ ...lock, file: undefined }) + '\n', { mode: 0o640 });
    fs.renameSync(tmp, file);
  } catch (err) {
    logger?.warn({ err, file }, `데이터 디렉터리 잠금 파일을 쓸 수 없습니다 (alaw restore가 이 서버를 알아보지 못합니다): ${file}`);
    return null;
  }
  process.once('exit', () => releaseDataLock(lock));
  return lock;
}

/** Removes a lock file if it is still this process's. */
export function releaseDataLock(lock: DataLock): void {
  try {
    const held = JSON.parse(fs.readFileSync(lock.file, 'utf8')) as { pid?: unknown };
    if (held.pid === lock.pid) fs.rmSync(lock.file, { force: true });
  } catch {
    // already gone
  }
}

/** The locks of live services holding these directories; stale locks (dead pid) are removed and left out. */
export function liveDataLocks(dirs: readonly string[]): DataLock[] {
  const out: DataLock[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names.filter((n) => LOCK_NAME.test(n))) {
      const file = path.join(dir, name);
      let lock: DataLock;
      try {
        lock = { ...(JSON.parse(fs.readFileSync(file, 'utf8')) as Omit<DataLock, 'file'>), file };
      } catch {
        continue;
      }
      // A lock from another machine (a shared directory) cannot be checked by pid: it counts as live.
      const sameHost = lock.host === os.hostname();
      if (!sameHost || pidAlive(lock.pid)) out.push(lock);
      else fs.rmSync(file, { force: true });
    }
  }
  return out;
}

/**
 * Asks the service of a lock to stop (SIGTERM, its clean stop) and waits until the process is gone, up to
 * `timeoutMs`. True when it has exited.
 */
export async function stopLockHolder(lock: DataLock, timeoutMs: number, pollMs = 100): Promise<{ stopped: boolean; reason?: string }> {
  try {
    process.kill(lock.pid, 'SIGTERM');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return { stopped: true };
    return { stopped: false, reason: (err as Error).message };
  }
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (!pidAlive(lock.pid)) return { stopped: true };
    await new Promise((r) => setTimeout(r, pollMs));
  }
  return { stopped: !pidAlive(lock.pid), reason: 'timeout' };
}
