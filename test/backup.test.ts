import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importFile } from '../src/app/importer.js';
import { keyDigest } from '../src/auth/index.js';
import { createBackup, pruneBackups, restoreBackup, verifyBackup } from '../src/ops/index.js';
import { LAWGO_FIXTURE, sampleEnv, sampleServices, tempDir } from './helpers.js';
import { run, startServer } from './process.js';
import { createTestDatabase, type TestDatabase } from './support/pg.js';

/**
 * Round trips on both backends: data written, backed up, changed, restored,
 * equal to the backup; the checks around it (checksums, confirmation, a
 * running server, retention).
 */
const tmp = tempDir('alaw-backup-');
let pgDb: TestDatabase | undefined;
afterAll(async () => {
  await pgDb?.drop();
  tmp.cleanup();
});

const alaw = (dir: string, args: string[]) => run('src/cli/main.ts', args, sampleEnv(dir, { ALAW_BACKUP_DIR: path.join(dir, 'backups') }));

describe('backup and restore on SQLite', () => {
  const dir = path.join(tmp.dir, 'sqlite');
  fs.mkdirSync(dir, { recursive: true });

  it('restores exactly what was backed up, after a safety backup, and only with --yes while no server runs', async () => {
    let services = await sampleServices(dir);
    const kept = await services.keys.create('kept', 'user');
    const task = await services.queue.submit('analysis', { description: '백업 전에 들어온 분석 요청입니다. 충분히 긴 설명.' });
    // Written through the live connection (still in the WAL): the online backup sees it.
    const { manifest } = await createBackup(services.config, { dir: path.join(dir, 'backups'), withIndex: true, keepDays: 30 });
    const app = manifest.files.find((f) => f.kind === 'app')!;
    const queue = manifest.files.find((f) => f.kind === 'queue')!;
    expect(app.rows).toMatchObject({ precedents: 300 });
    expect(queue.rows).toMatchObject({ tasks: 1, api_keys: 1 });
    // The index: its segment files, then its manifest (restored last, as the commit of the index).
    expect(manifest.files.map((f) => f.file)).toEqual([
      `alaw_${manifest.stamp}.db.gz`,
      `queue_${manifest.stamp}.db.gz`,
      `index_${manifest.stamp}.seg-000001-0001.seg.gz`,
      `index_${manifest.stamp}.idx.gz`,
    ]);
    expect(app.sha256).toMatch(/^[0-9a-f]{64}$/u);

    // Changes after the backup.
    await services.keys.revoke(kept.key.id);
    const added = await services.keys.create('added', 'admin');
    await importFile(services.store, LAWGO_FIXTURE);
    expect(services.store.count()).toBeGreaterThan(300);

    // A server is running (this process's queue heartbeats): refused.
    const live = await alaw(dir, ['restore', manifest.stamp, '--yes']);
    expect(live.code).toBe(1);
    expect(live.stderr).toContain('실행 중인 서버');
    await services.close();
    // The heartbeat row stays for up to 90 s after a clean stop in another process; ours removed it on close.

    const ask = await alaw(dir, ['restore', manifest.stamp]);
    expect(ask.code).toBe(2);
    expect(ask.stderr).toContain('--yes');

    const done = await alaw(dir, ['restore', manifest.stamp, '--yes']);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain('복원 완료');
    const safety = fs.readdirSync(path.join(dir, 'backups')).filter((f) => f.startsWith('manifest_')).length;
    expect(safety).toBe(2); // the backup and the safety backup taken just before restoring

    services = await sampleServices(dir);
    try {
      expect(services.store.count()).toBe(300);
      expect(await services.keys.findActive(keyDigest(kept.token))).toMatchObject({ id: kept.key.id, revoked_at: null });
      expect(await services.keys.findActive(keyDigest(added.token))).toBeNull();
      expect((await services.queue.store.get(task.id))?.status).toBe('pending');
      // The restored index serves the restored corpus as it is: loaded, not rebuilt.
      expect(services.search.status()).toMatchObject({ documents: 300, rebuilt_because: null });
    } finally {
      await services.close();
    }
    const verify = await alaw(dir, ['backup', 'verify', manifest.stamp]);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toContain('정상');
    // Backing up, verifying and restoring leave nothing of SQLite's behind in the backup or data directory.
    const stray = (d: string) => fs.readdirSync(d).filter((f) => /-(?:wal|shm|journal)$|\.tmp-|\.restore-|^\.verify-/u.test(f));
    expect(stray(path.join(dir, 'backups'))).toEqual([]);
    expect(stray(dir).filter((f) => !/^(?:alaw|queue)\.db-(?:wal|shm)$/u.test(f))).toEqual([]);
  });

  it('backup, backup verify, backup list and restore honour --dir (before or after the subcommand), and list shows what was verified', async () => {
    const elsewhere = path.join(dir, 'elsewhere');
    const made = await alaw(dir, ['backup', '--dir', elsewhere, '--keep-days', '0', '--json']);
    expect(made.code, made.stderr).toBe(0);
    const stamp = (JSON.parse(made.stdout) as { stamp: string }).stamp;
    expect(fs.existsSync(path.join(elsewhere, `manifest_${stamp}.json`))).toBe(true);
    expect(fs.readdirSync(elsewhere).filter((f) => /-(?:wal|shm)$|\.tmp-/u.test(f))).toEqual([]);
    // Not in the default directory (ALAW_BACKUP_DIR): without --dir it is not found, with it it is. The default
    // here is a directory of its own: the previous test's backups in dir/backups can carry the same stamp (the
    // same second).
    const missing = await run('src/cli/main.ts', ['backup', 'verify', stamp], sampleEnv(dir, { ALAW_BACKUP_DIR: path.join(dir, 'default-backups') }));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('ALAW_ERR_BACKUP_NOT_FOUND');
    const listedBefore = JSON.parse((await alaw(dir, ['backup', 'list', '--dir', elsewhere, '--json'])).stdout) as {
      backups: { stamp: string; verified_at: string | null; bytes: number; complete: boolean }[];
    };
    expect(listedBefore.backups.map((b) => b.stamp)).toEqual([stamp]);
    expect(listedBefore.backups[0]).toMatchObject({ verified_at: null, complete: true });
    expect(listedBefore.backups[0]!.bytes).toBeGreaterThan(1000);
    const after = await alaw(dir, ['backup', 'verify', stamp, '--dir', elsewhere, '--json']);
    expect(after.code, after.stderr).toBe(0);
    expect(JSON.parse(after.stdout)).toMatchObject({ ok: true, stamp });
    const before = await alaw(dir, ['backup', '--dir', elsewhere, 'verify', stamp]);
    expect(before.code, before.stderr).toBe(0);
    expect(fs.readdirSync(elsewhere).filter((f) => /-(?:wal|shm)$|^\.verify-/u.test(f))).toEqual([]);

    // A second, newer run: the list is newest first, in a Korean table, and says which were verified.
    const second = JSON.parse((await alaw(dir, ['backup', '--dir', elsewhere, '--keep-days', '0', '--json'])).stdout) as { stamp: string };
    const table = await alaw(dir, ['backup', 'list', '--dir', elsewhere]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain('최신순 2개');
    expect(table.stdout).toMatch(/백업\s+만든 시각\(UTC\)\s+내용\s+크기\s+검증/u);
    const lines = table.stdout.split('\n');
    const first = lines.findIndex((l) => l.startsWith(second.stamp));
    const older = lines.findIndex((l) => l.startsWith(stamp));
    expect(first).toBeGreaterThan(0);
    expect(older).toBeGreaterThan(first);
    expect(lines[older]).toContain('검증됨');
    expect(lines[first]).toContain('검증 안 함');
    const listed = JSON.parse((await alaw(dir, ['backup', '--dir', elsewhere, 'list', '--json'])).stdout) as { backups: { stamp: string }[] };
    expect(listed.backups.map((b) => b.stamp)).toEqual([second.stamp, stamp]);

    // restore --dir (both names of the command), --yes, --json; a bad --stop-timeout is refused before anything.
    const ask = await alaw(dir, ['backup', 'restore', stamp, '--dir', elsewhere]);
    expect(ask.code).toBe(2);
    expect(ask.stderr).toContain('ALAW_ERR_CLI_CONFIRM_REQUIRED');
    const badTimeout = await alaw(dir, ['restore', stamp, '--dir', elsewhere, '--yes', '--stop-server', '--stop-timeout', 'soon']);
    expect(badTimeout.code).toBe(2);
    expect(badTimeout.stderr).toContain('--stop-timeout');
    const done = await alaw(dir, ['backup', 'restore', stamp, '--dir', elsewhere, '--yes', '--json']);
    expect(done.code, done.stderr).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ stamp });
    // --force no longer exists: it never bypasses the check for a running server.
    const force = await alaw(dir, ['restore', stamp, '--dir', elsewhere, '--yes', '--force']);
    expect(force.code).toBe(2);
    expect(force.stderr).toContain('ALAW_ERR_CLI_USAGE');
  });

  it('a damaged backup fails verification and is not restored', async () => {
    const out = await alaw(dir, ['backup', '--json']);
    expect(out.code, out.stderr).toBe(0);
    const m = JSON.parse(out.stdout) as { stamp: string; files: { file: string }[] };
    const file = path.join(dir, 'backups', m.files[0]!.file);
    const bytes = fs.readFileSync(file);
    const middle = bytes.length >> 1;
    bytes[middle] = bytes[middle]! ^ 0xff;
    fs.writeFileSync(file, bytes);
    const verify = await alaw(dir, ['backup', 'verify', m.stamp]);
    expect(verify.code).toBe(1);
    expect(verify.stderr).toContain('체크섬');
    const before = fs.statSync(path.join(dir, 'alaw.db')).mtimeMs;
    const restore = await alaw(dir, ['restore', m.stamp, '--yes']);
    expect(restore.code).toBe(1);
    expect(fs.statSync(path.join(dir, 'alaw.db')).mtimeMs).toBe(before);
    expect((await alaw(dir, ['restore', 'no-such-backup', '--yes'])).stderr).toContain('찾을 수 없습니다');
  });

  it('changes nothing when a restore cannot complete, and restores onto a machine that has no data yet', async () => {
    const services = await sampleServices(dir);
    const { manifest } = await createBackup(services.config, { dir: path.join(dir, 'backups') });
    const config = services.config;
    await services.close();
    // The backup holds a SQLite queue, the configuration names PostgreSQL: refused before anything is replaced.
    const appBefore = fs.readFileSync(path.join(dir, 'alaw.db'));
    await expect(
      restoreBackup(manifest.stamp, path.join(dir, 'backups'), { ...config, queue: { ...config.queue, databaseUrl: 'postgres://x@127.0.0.1:1/none' } }),
    ).rejects.toThrow(/아무것도 바꾸지 않았습니다/u);
    expect(fs.readFileSync(path.join(dir, 'alaw.db')).equals(appBefore)).toBe(true);

    const fresh = path.join(tmp.dir, 'fresh');
    const freshConfig = {
      ...config,
      paths: { ...config.paths, database: path.join(fresh, 'alaw.db'), queueDatabase: path.join(fresh, 'queue.db'), indexDir: path.join(fresh, 'index') },
    };
    const r = await restoreBackup(manifest.stamp, path.join(dir, 'backups'), freshConfig);
    expect(r.restored.find((x) => x.kind === 'app')!.rows).toMatchObject({ precedents: 300 });
    expect(fs.existsSync(path.join(fresh, 'queue.db'))).toBe(true);
  });

  it('prunes runs older than the retention, and nothing newer', () => {
    const b = path.join(tmp.dir, 'prune');
    fs.mkdirSync(b);
    const old = ['alaw_20200101_000000.db.gz', 'backup_20200101_000000.sql.gz', 'manifest_20200101_000000.json'];
    const recent = ['alaw_20261128_000000.db.gz', 'manifest_20261128_000000.json', 'notes.txt'];
    for (const f of [...old, ...recent]) fs.writeFileSync(path.join(b, f), 'x');
    expect(pruneBackups(b, 30, new Date('2026-11-29T00:00:00Z')).sort()).toEqual([...old].sort());
    expect(fs.readdirSync(b).sort()).toEqual([...recent].sort());
  });
});

describe('restore while a service holds the data directory (a real server process)', () => {
  it('is refused with the pid and port, changing nothing; --stop-server stops the server cleanly and then restores', async () => {
    const dir = path.join(tmp.dir, 'live');
    fs.mkdirSync(dir, { recursive: true });
    const env = sampleEnv(dir, { ALAW_BACKUP_DIR: path.join(dir, 'backups') });
    const server = await startServer(env);
    try {
      const locks = fs.readdirSync(dir).filter((f) => /^server-.+\.lock$/u.test(f));
      expect(locks).toHaveLength(1);
      const lock = JSON.parse(fs.readFileSync(path.join(dir, locks[0]!), 'utf8')) as { pid: number; port: number };
      expect(lock).toMatchObject({ pid: server.child.pid, port: server.port });

      const made = await alaw(dir, ['backup', '--json']);
      expect(made.code, made.stderr).toBe(0);
      const stamp = (JSON.parse(made.stdout) as { stamp: string }).stamp;
      // Written after the backup, through the live server.
      expect((await fetch(`http://127.0.0.1:${server.port}/api/search?q=${encodeURIComponent('손해배상')}`)).status).toBe(200);

      const snapshot = () => ({ app: fs.readFileSync(path.join(dir, 'alaw.db')), queue: fs.readFileSync(path.join(dir, 'queue.db')) });
      const before = snapshot();
      const manifests = () => fs.readdirSync(path.join(dir, 'backups')).filter((f) => f.startsWith('manifest_')).length;
      const refused = await alaw(dir, ['backup', 'restore', stamp, '--yes']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('ALAW_ERR_CLI_SERVER_RUNNING');
      expect(refused.stderr).toContain(`pid ${server.child.pid}`);
      expect(refused.stderr).toContain(`포트 ${server.port}`);
      expect(refused.stderr).toContain('--stop-server');
      const other = await alaw(dir, ['restore', stamp, '--yes']);
      expect(other.code).toBe(1);
      expect(manifests()).toBe(1); // not even a safety backup
      const after = snapshot();
      expect(after.app.equals(before.app)).toBe(true);
      expect(after.queue.equals(before.queue)).toBe(true);
      expect(server.child.exitCode).toBeNull();
      expect((await fetch(`http://127.0.0.1:${server.port}/api/queue/health`)).status).toBe(200);

      const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
      const stopped = await alaw(dir, ['backup', 'restore', stamp, '--yes', '--stop-server', '--stop-timeout', '40']);
      expect(stopped.code, stopped.stderr).toBe(0);
      expect(stopped.stderr).toContain(`pid ${server.child.pid}`);
      expect(stopped.stdout).toContain('복원 완료');
      expect(await exited).toBe(0); // its own clean stop (SIGTERM), not killed
      expect(fs.readdirSync(dir).filter((f) => /^server-.+\.lock$/u.test(f))).toEqual([]);
      expect(manifests()).toBe(2); // the backup and the safety backup before restoring
    } finally {
      await server.stop('SIGKILL');
    }
  });

  it('a lock left by a process that no longer exists is ignored', async () => {
    const dir = path.join(tmp.dir, 'stale');
    const services = await sampleServices(dir);
    const { manifest } = await createBackup(services.config, { dir: path.join(dir, 'backups') });
    await services.close();
    // A pid that is not running: the highest possible one is never in use on a test machine.
    fs.writeFileSync(
      path.join(dir, 'server-gone.lock'),
      JSON.stringify({ instance_id: 'gone', pid: 4_194_303, port: 1, host: (await import('node:os')).hostname(), started_at: '2026-01-01T00:00:00Z' }),
    );
    const r = await alaw(dir, ['restore', manifest.stamp, '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.existsSync(path.join(dir, 'server-gone.lock'))).toBe(false);
  });
});

describe('backup and restore with the queue on PostgreSQL (pg_dump)', () => {
  it('round trip: keys and tasks restored exactly; verification restores into a scratch database', async () => {
    pgDb = await createTestDatabase();
    const dir = path.join(tmp.dir, 'pg');
    let services = await sampleServices(dir, { 'queue.databaseUrl': pgDb.url });
    const kept = await services.keys.create('kept', 'user');
    const t1 = await services.queue.submit('analysis', { description: '백업 전에 들어온 분석 요청입니다. 충분히 긴 설명.' });
    const backups = path.join(dir, 'backups');
    const { manifest } = await createBackup(services.config, { dir: backups });
    const dump = manifest.files.find((f) => f.kind === 'queue')!;
    expect(dump).toMatchObject({ format: 'postgres', file: `backup_${manifest.stamp}.sql.gz`, rows: { tasks: 1, api_keys: 1 } });
    const verified = await verifyBackup(manifest.stamp, backups, services.config);
    expect(verified.files.find((f) => f.kind === 'queue')!.rows).toMatchObject({ tasks: 1, api_keys: 1 });

    await services.keys.revoke(kept.key.id);
    await services.queue.submit('analysis', { description: '백업 후에 들어온 분석 요청입니다. 충분히 긴 설명.' });
    const config = services.config;
    await services.close();

    const r = await restoreBackup(manifest.stamp, backups, config);
    expect(r.restored.find((x) => x.kind === 'queue')!.rows).toMatchObject({ tasks: 1, api_keys: 1 });
    services = await sampleServices(dir, { 'queue.databaseUrl': pgDb.url });
    try {
      expect(await services.keys.findActive(keyDigest(kept.token))).toMatchObject({ id: kept.key.id });
      const counts = await services.queue.store.counts();
      expect(counts.analysis.pending).toBe(1);
      expect((await services.queue.store.get(t1.id))?.status).toBe('pending');
    } finally {
      await services.close();
    }
  });
});
