import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Where an instance's id came from: the configuration, the file beside the queue database, or made now. */
export type InstanceIdSource = 'configured' | 'persisted' | 'created';

export interface InstanceIdentity {
  id: string;
  source: InstanceIdSource;
  /** The file that keeps it (null when configured). */
  file: string | null;
  /** Why a made id could not be kept (it then changes at the next start), if so. */
  persistError?: string;
}

const VALID = /^[A-Za-z0-9._:-]{1,64}$/u;

/** `INSTANCE_ID` form of a host name: other characters become `-`, at most 40 kept. */
function hostPart(host: string): string {
  return (host.replace(/[^A-Za-z0-9._-]+/gu, '-').replace(/^-+|-+$/gu, '') || 'alaw').slice(0, 40);
}

/**
 * The id this instance keeps across restarts: the configured `INSTANCE_ID`, else the one in `file` (beside
 * the queue database), else a new `<hostname>-<8 hex>` written there (write-then-rename, so a crash leaves
 * either no file or a whole one). With a stable id, a restarted instance recognises the tasks its previous
 * life held and recovers them at once instead of waiting for their leases to expire.
 */
export function resolveInstanceId(configured: string, file: string, host = os.hostname()): InstanceIdentity {
  if (configured) return { id: configured, source: 'configured', file: null };
  try {
    const kept = fs.readFileSync(file, 'utf8').trim();
    if (VALID.test(kept)) return { id: kept, source: 'persisted', file };
  } catch {
    // no file yet (or unreadable): make one
  }
  const id = `${hostPart(host)}-${randomBytes(4).toString('hex')}`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${id}\n`, { mode: 0o640 });
    fs.renameSync(tmp, file);
    return { id, source: 'created', file };
  } catch (err) {
    return { id, source: 'created', file, persistError: (err as Error).message };
  }
}

/** The file that keeps the id of the instance whose queue database is `queueDatabase`. */
export function instanceIdFile(queueDatabase: string): string {
  return path.join(path.dirname(path.resolve(queueDatabase)), 'instance-id');
}
