import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { keyDigest, type Role } from './principal.js';

/** An API key as operators see it; never the key itself. Times are ISO 8601 UTC. */
export interface ApiKeyRecord {
  id: string;
  name: string;
  role: Role;
  /** The first characters of the key, to tell keys apart (`alaw_AbCd1234`). */
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

interface ApiKeysTable {
  id: string;
  name: string;
  role: string;
  token_hash: string;
  prefix: string;
  created_at: string | Date;
  last_used_at: string | Date | null;
  revoked_at: string | Date | null;
}
interface KeysDatabase {
  api_keys: ApiKeysTable;
}

const KEY_PREFIX = 'alaw_';
const iso = (v: string | Date | null): string | null => (v === null ? null : v instanceof Date ? v.toISOString() : new Date(v).toISOString());

function record(r: Omit<ApiKeysTable, 'token_hash'>): ApiKeyRecord {
  return {
    id: r.id,
    name: r.name,
    role: r.role as Role,
    prefix: r.prefix,
    created_at: iso(r.created_at)!,
    last_used_at: iso(r.last_used_at),
    revoked_at: iso(r.revoked_at),
  };
}

const COLUMNS = ['id', 'name', 'role', 'prefix', 'created_at', 'last_used_at', 'revoked_at'] as const;

/**
 * The auth capability's store: the `api_keys` table, on either dialect. It
 * lives in the queue database because that is the one database every instance
 * shares (a key made or revoked on one machine holds on all of them); the app
 * layer hands this store the queue store's shared connection (`QueueStore.shared`:
 * the SQLite handle or the PostgreSQL pool, through Kysely). The table's
 * migration is in src/queue/migrations.ts with the rest of that database's schema.
 */
export class ApiKeyStore {
  private readonly db: Kysely<KeysDatabase>;

  constructor(db: Kysely<unknown>) {
    this.db = db as unknown as Kysely<KeysDatabase>;
  }

  /** Creates a key; the returned `token` is the only time the key is seen. */
  async create(name: string, role: Role): Promise<{ key: ApiKeyRecord; token: string }> {
    const token = KEY_PREFIX + randomBytes(24).toString('base64url');
    const row = {
      id: `key_${randomBytes(6).toString('hex')}`,
      name,
      role,
      token_hash: keyDigest(token),
      prefix: token.slice(0, KEY_PREFIX.length + 8),
      created_at: new Date().toISOString(),
      last_used_at: null,
      revoked_at: null,
    };
    await this.db.insertInto('api_keys').values(row).execute();
    return { key: record(row), token };
  }

  async list(includeRevoked = false): Promise<ApiKeyRecord[]> {
    let q = this.db.selectFrom('api_keys').select(COLUMNS).orderBy('created_at').orderBy('id');
    if (!includeRevoked) q = q.where('revoked_at', 'is', null);
    return (await q.execute()).map(record);
  }

  /** Revokes a key by id; null when there is no such key. Revoking twice keeps the first time. */
  async revoke(id: string): Promise<ApiKeyRecord | null> {
    await this.db.updateTable('api_keys').set({ revoked_at: new Date().toISOString() }).where('id', '=', id).where('revoked_at', 'is', null).execute();
    const r = await this.db.selectFrom('api_keys').select(COLUMNS).where('id', '=', id).executeTakeFirst();
    return r ? record(r) : null;
  }

  /** The active key with this digest, if any. */
  async findActive(digest: string): Promise<ApiKeyRecord | null> {
    const r = await this.db.selectFrom('api_keys').select(COLUMNS).where('token_hash', '=', digest).where('revoked_at', 'is', null).executeTakeFirst();
    return r ? record(r) : null;
  }

  async countActive(): Promise<number> {
    const r = await this.db
      .selectFrom('api_keys')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('revoked_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.db.updateTable('api_keys').set({ last_used_at: at.toISOString() }).where('id', '=', id).execute();
  }
}
