import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importFile } from '../src/app/importer.js';
import { keyDigest } from '../src/auth/index.js';
import { createBackup, pruneBackups, restoreBackup, verifyBackup } from '../src/ops/index.js';
import { LAWGO_FIXTURE, sampleEnv, sampleServices, tempDir } from './helpers.js';
import { run } from './process.js';
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
    expect(manifest.files.map((f) => f.file)).toEqual([`alaw_${manifest.stamp}.db.gz`, `queue_${manifest.stamp}.db.gz`, `index_${manifest.stamp}.idx.gz`]);
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
    } finally {
      await services.close();
    }
    const verify = await alaw(dir, ['backup', 'verify', manifest.stamp]);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toContain('정상');
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
