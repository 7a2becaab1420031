import { createHash } from 'node:crypto';

export type Role = 'admin' | 'user';
export const ROLES: readonly Role[] = ['admin', 'user'];

/**
 * Who a request acts as. `key_…`: a key from `alaw keys create`; `env:…`: a
 * key from ALAW_ADMIN_TOKEN / ALAW_USER_TOKENS; `local`: an anonymous request
 * from this machine while no key exists at all.
 */
export interface Principal {
  id: string;
  role: Role;
  name: string;
}

/** The anonymous principal of a request from this machine while no key exists. */
export const LOCAL_PRINCIPAL: Principal = { id: 'local', role: 'user', name: '로컬 (키 없음)' };

/** SHA-256 of a key, hex: what is stored and looked up. Keys are 192 random bits, so a fast hash is enough (as for GitHub tokens). */
export const keyDigest = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** The id a key given in the environment (ALAW_ADMIN_TOKEN, ALAW_USER_TOKENS) is known by: `env:` and 8 hex digits of its digest. */
export const envKeyId = (token: string): string => `env:${keyDigest(token).slice(0, 8)}`;

/** A label for logs and task records that says which key acted, without the key. */
export const actorOf = (p: Principal): string => `${p.role}:${p.id}`;

/** Who submitted a task: the principal id kept in its payload (`local` for tasks from before keys, or without one). */
export function submitterOf(payload: unknown): string {
  const by = (payload as { submitted_by?: unknown } | null)?.submitted_by;
  return typeof by === 'string' ? by : 'local';
}

/**
 * A task is visible to the key that submitted it and to admin keys; to others it does not exist (404, not
 * 403: ids are not confirmed). No principal (a route that skipped the key check) sees nothing.
 */
export function canSee(principal: Principal | null, task: { payload: unknown }): boolean {
  return principal !== null && (principal.role === 'admin' || submitterOf(task.payload) === principal.id);
}
