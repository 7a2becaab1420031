import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { E } from '../errors/index.js';

/** The lock file of the index directory, held while a process writes the index. */
export const WRITE_LOCK_FILE = 'write.lock';

interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs `fn` holding the index directory's write lock, so two writers (an
 * import and `alaw index`, or a server start) never interleave their
 * commits: an incremental update must see the manifest it extends.
 *
 * Hand-written rather than proper-lockfile: builds are synchronous and run
 * for minutes, so a lock kept alive by a timer refreshing its mtime would go
 * stale mid-build. The lock file names its owner's pid and host; a lock
 * whose owner on this host has died is taken over.
 */
export function withIndexWriteLock<T>(dir: string, fn: () => T): T {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, WRITE_LOCK_FILE);
  const me: LockOwner = { pid: process.pid, host: os.hostname(), since: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(me), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let owner: Partial<LockOwner> = {};
      try {
        owner = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockOwner>;
      } catch {
        // Unreadable (being written, or a crash mid-write): treated as a dead owner below.
      }
      const dead = typeof owner.pid !== 'number' || (owner.host === me.host && (owner.pid === me.pid || !alive(owner.pid)));
      if (!dead || attempt > 0) throw E.INDEX_BUSY.error({ dir, pid: owner.pid ?? 0, since: owner.since ?? '?' });
      fs.rmSync(file, { force: true });
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(file, { force: true });
  }
}
