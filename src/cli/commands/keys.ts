import { ApiKeyStore, envKeyId, ROLES, type ApiKeyRecord, type Role } from '../../auth/index.js';
import { tokenList } from '../../config/index.js';
import { E, EXIT } from '../../errors/index.js';
import { cliConfig, type GlobalOptions } from '../context.js';
import { withStore } from './queue.js';

const NAME_MAX = 100;

function parseRole(role: string | undefined): Role {
  if (role === undefined) return 'user';
  if ((ROLES as readonly string[]).includes(role)) return role as Role;
  throw E.KEY_ROLE_INVALID.error({ value: role });
}

function parseName(name: string | undefined): string {
  const n = (name ?? '').trim();
  if (!n) throw E.KEY_NAME_REQUIRED.error();
  // eslint-disable-next-line no-control-regex
  if (n.length > NAME_MAX || /[\u0000-\u001f\u007f]/.test(n)) throw E.KEY_NAME_INVALID.error({ max: NAME_MAX });
  return n;
}

/** `alaw keys create --name N [--role user|admin]`: prints the key once; only its SHA-256 is stored. */
export async function runKeysCreate(opts: GlobalOptions & { name?: string; role?: string; json?: boolean }): Promise<number> {
  const role = parseRole(opts.role);
  const name = parseName(opts.name);
  return withStore(
    opts,
    async (store) => {
      const { key, token } = await new ApiKeyStore(store.shared).create(name, role);
      if (opts.json) {
        process.stdout.write(JSON.stringify({ ...key, key: token }) + '\n');
      } else {
        process.stdout.write(
          [
            `${role === 'admin' ? '관리자' : '사용자'} 키를 만들었습니다: ${key.id} (${name})`,
            '',
            `  ${token}`,
            '',
            '이 키는 지금 한 번만 보여 줍니다. 안전한 곳에 보관하세요 (서버에는 해시만 저장됩니다).',
            `사용: curl -H "Authorization: Bearer <위 키>" "http://localhost:8997/api/search?q=…"`,
            `폐기: alaw keys revoke ${key.id}`,
          ].join('\n') + '\n',
        );
      }
      return EXIT.ok;
    },
    true,
  );
}

/** Keys given in the environment (ALAW_ADMIN_TOKEN, ALAW_USER_TOKENS), listed next to the stored ones. */
function envKeys(g: GlobalOptions): ApiKeyRecord[] {
  const auth = cliConfig(g).auth;
  const out: ApiKeyRecord[] = [];
  for (const [list, role, name] of [
    [auth.adminTokens, 'admin', 'ALAW_ADMIN_TOKEN'],
    [auth.userTokens, 'user', 'ALAW_USER_TOKENS'],
  ] as const) {
    for (const t of tokenList(list))
      out.push({ id: envKeyId(t), name: `${name} (환경 변수)`, role, prefix: '-', created_at: '-', last_used_at: null, revoked_at: null });
  }
  return out;
}

/** `alaw keys list [--all] [--json]`. */
export async function runKeysList(opts: GlobalOptions & { all?: boolean; json?: boolean }): Promise<number> {
  return withStore(
    opts,
    async (store) => {
      const keys = [...envKeys(opts), ...(await new ApiKeyStore(store.shared).list(opts.all))];
      if (opts.json) {
        process.stdout.write(JSON.stringify(keys, null, 2) + '\n');
        return EXIT.ok;
      }
      if (keys.length === 0) {
        process.stdout.write(
          'API 키가 없습니다. 이 상태에서 서버는 같은 컴퓨터(127.0.0.1)에서 온 요청만 키 없이 받습니다.\n키 만들기: alaw keys create --name 이름 [--role admin]\n',
        );
        return EXIT.ok;
      }
      const lines = keys.map((k) =>
        [
          k.id.padEnd(18),
          k.role.padEnd(6),
          k.prefix.padEnd(14),
          k.created_at.slice(0, 19).padEnd(20),
          (k.last_used_at?.slice(0, 19) ?? '-').padEnd(20),
          k.revoked_at ? `폐기 ${k.revoked_at.slice(0, 19)}` : '유효',
          ' ',
          k.name,
        ].join(' '),
      );
      process.stdout.write(
        [`${'id'.padEnd(18)} ${'역할'.padEnd(5)} ${'앞부분'.padEnd(12)} ${'만든 시각(UTC)'.padEnd(16)} ${'마지막 사용'.padEnd(15)} 상태   이름`, ...lines].join(
          '\n',
        ) + '\n',
      );
      return EXIT.ok;
    },
    true,
  );
}

/** `alaw keys revoke ID`: the key stops working on every instance within `auth.keyCacheSeconds`. */
export async function runKeysRevoke(id: string, opts: GlobalOptions & { json?: boolean }): Promise<number> {
  if (id.startsWith('env:')) throw E.KEY_FROM_ENVIRONMENT.error();
  if (!/^key_[0-9a-f]{12}$/.test(id)) throw E.KEY_ID_INVALID.error({ id });
  return withStore(opts, async (store) => {
    const key = await new ApiKeyStore(store.shared).revoke(id);
    if (!key) throw E.KEY_NOT_FOUND.error({ id });
    const seconds = cliConfig(opts).auth.keyCacheSeconds;
    if (opts.json) process.stdout.write(JSON.stringify(key) + '\n');
    else process.stdout.write(`키 ${key.id} (${key.name})를 폐기했습니다 (${key.revoked_at}). 실행 중인 서버에는 ${seconds}초 안에 반영됩니다.\n`);
    return EXIT.ok;
  });
}
