import { afterAll, describe, expect, it } from 'vitest';
import { sampleEnv, tempDir } from './helpers.js';
import { run, startServer, type ServerProcess } from './process.js';

/**
 * `alaw keys` against the queue database that a real server process reads:
 * a key made on the command line works on the running server, and one
 * revoked there stops working.
 */
const tmp = tempDir('alaw-cli-keys-');
const env = sampleEnv(tmp.dir, { ALAW_AUTH_KEY_CACHE_SECONDS: '0' });
const alaw = (args: string[], extra: Record<string, string> = {}) => run('src/cli/main.ts', args, { ...env, ...extra });
let server: ServerProcess | undefined;
afterAll(async () => {
  await server?.stop();
  tmp.cleanup();
});

const search = (key?: string) =>
  fetch(`http://127.0.0.1:${server!.port}/api/search?q=${encodeURIComponent('사기')}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });

describe('alaw keys', () => {
  it('validates its arguments with exit code 2', async () => {
    const noName = await alaw(['keys', 'create']);
    expect(noName.code).toBe(2);
    expect(noName.stderr).toContain('--name');
    const role = await alaw(['keys', 'create', '--name', 'x', '--role', 'root']);
    expect(role.code).toBe(2);
    expect(role.stderr).toContain('--role은 user 또는 admin');
    const badId = await alaw(['keys', 'revoke', 'abc']);
    expect(badId.code).toBe(2);
    const env = await alaw(['keys', 'revoke', 'env:12345678']);
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('환경 변수');
  });

  it('a running server with no key is open to loopback and says so; a key made on the command line then guards it until revoked', async () => {
    const empty = await alaw(['keys', 'list']);
    expect(empty.code).toBe(0);
    expect(empty.stdout).toContain('API 키가 없습니다');

    server = await startServer(env);
    expect(server.logs()).toContain('"auth":"open-loopback"');
    expect((await search()).status).toBe(200);

    const created = await alaw(['keys', 'create', '--name', '김변호사 노트북']);
    expect(created.code).toBe(0);
    const key = /\s(alaw_[A-Za-z0-9_-]{32})\n/.exec(created.stdout)?.[1];
    expect(key).toBeDefined();
    expect(created.stdout).toContain('한 번만');
    const id = /(key_[0-9a-f]{12})/.exec(created.stdout)![1]!;

    expect((await search()).status).toBe(401);
    expect((await search(key)).status).toBe(200);

    const list = JSON.parse((await alaw(['keys', 'list', '--json'], { ALAW_ADMIN_TOKEN: 'env-admin-token-0123456789' })).stdout) as Record<string, unknown>[];
    expect(list.map((k) => k.role)).toEqual(['admin', 'user']);
    expect(list[1]).toMatchObject({ id, name: '김변호사 노트북', role: 'user', revoked_at: null });
    expect(list[1]!.last_used_at).not.toBeNull();
    // Neither the key nor its hash is ever printed again.
    expect(JSON.stringify(list)).not.toContain(key!.slice(13));
    expect(list[1]).not.toHaveProperty('token_hash');

    const revoked = await alaw(['keys', 'revoke', id]);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain('폐기했습니다');
    expect((await search(key)).status).toBe(401);
    expect((await alaw(['keys', 'revoke', 'key_000000000000'])).code).toBe(1);
    expect(JSON.parse((await alaw(['keys', 'list', '--all', '--json'])).stdout)[0].revoked_at).not.toBeNull();
  });
});
