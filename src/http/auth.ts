import type { FastifyInstance, FastifyRequest } from 'fastify';
import { systemClock, type Clock } from '../clock.js';
import { RepeatedErrorLog } from '../logRepeats.js';
import { tokenList, type Config } from '../config/index.js';
import { E, isAlawError } from '../errors/index.js';
import type { Logger } from '../ops/index.js';
import { envKeyId, keyDigest, LOCAL_PRINCIPAL as LOCAL, type ApiKeyStore, type Principal } from '../auth/index.js';

/**
 * What a route needs, in its `config.access`:
 * - `public`: nothing (`/`, /docs, health);
 * - `local`: nothing from this machine, a key from elsewhere (the guide's `curl localhost:8997/api/queue/status/json`);
 * - `key` (the default): any valid key; with no key configured, requests from this machine only;
 * - `admin`: an admin key.
 */
export type Access = 'public' | 'local' | 'key' | 'admin';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

const NEGATIVE_CACHE_LIMIT = 10_000;

/** Requests that presented a key nobody has (unknown or revoked): `invalid:` and 8 hex digits of its digest. */
const rejectedKeys = new WeakMap<FastifyRequest, string>();

/**
 * The key a request is known by in the access log: the principal's id (`key_…`, `env:…`, `local`) — also
 * when an admin route refused it (403) —, `invalid:<8 hex digits of the SHA-256 digest>` for a key nobody
 * has (the same wrong key is recognizable across lines; the key itself is never logged), or null.
 */
export const keyIdOf = (request: FastifyRequest): string | null => request.principal?.id ?? rejectedKeys.get(request) ?? null;

const isLoopback = (ip: string): boolean => ip === '::1' || ip.startsWith('127.') || ip.startsWith('::ffff:127.');

/**
 * Whether a Host header names this machine: `localhost` (and `*.localhost`), 127.x.x.x or [::1], with any
 * port; no Host at all (HTTP/1.0) also counts, as no browser sends such a request. A page on another site
 * whose name was re-pointed at 127.0.0.1 (DNS rebinding) carries its own name here and is refused.
 */
export function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined) return true;
  const h = host.trim().toLowerCase();
  const name = h.startsWith('[') ? h.slice(0, h.indexOf(']') + 1) : h.replace(/:\d*$/, '');
  if (name === 'localhost' || name.endsWith('.localhost') || name === '[::1]') return true;
  return /^127(\.\d{1,3}){3}$/.test(name);
}

/** The key a request presents: `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
function presentedKey(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return m ? m[1]! : header; // a malformed Authorization header is an invalid key, not a missing one
  }
  const x = request.headers['x-api-key'];
  return typeof x === 'string' && x.length > 0 ? x.trim() : null;
}

/**
 * API keys: those created with `alaw keys create` (stored hashed in the queue
 * database, shared by every instance) and those given in the environment.
 * Lookups are cached for `auth.keyCacheSeconds` so a request costs no database
 * round trip; a revoked key stops working within that time.
 */
export class KeyAuth {
  private readonly envKeys = new Map<string, Principal>();
  private readonly cache = new Map<string, { principal: Principal | null; at: number }>();
  private anyKey: { value: boolean; at: number } | null = null;
  private readonly ttlMs: number;
  /** Key database failures: one full log line, then a count per minute (an outage fails every request). */
  private readonly lookupErrors?: RepeatedErrorLog;

  constructor(
    private readonly store: ApiKeyStore,
    auth: Readonly<Config['auth']>,
    private readonly logger?: Logger,
    /** Time for the lookup cache (a revocation takes effect within auth.keyCacheSeconds). */
    private readonly clock: Clock = systemClock,
  ) {
    this.ttlMs = auth.keyCacheSeconds * 1000;
    this.lookupErrors = logger ? new RepeatedErrorLog(logger, clock) : undefined;
    for (const [list, role] of [
      [auth.adminTokens, 'admin'],
      [auth.userTokens, 'user'],
    ] as const) {
      for (const t of tokenList(list)) {
        const d = keyDigest(t);
        if (!this.envKeys.has(d) || role === 'admin')
          this.envKeys.set(d, { id: envKeyId(t), role, name: role === 'admin' ? 'ALAW_ADMIN_TOKEN' : 'ALAW_USER_TOKENS' });
      }
    }
  }

  /** Whether any key exists (environment or database); without one the service is open to this machine only. */
  async hasKeys(): Promise<boolean> {
    if (this.envKeys.size > 0) return true;
    const now = this.clock.now();
    if (this.anyKey && now - this.anyKey.at < this.ttlMs) return this.anyKey.value;
    const value = (await this.store.countActive()) > 0;
    this.anyKey = { value, at: now };
    return value;
  }

  /** The principal of a key, or null when it is unknown or revoked. */
  async resolve(token: string): Promise<Principal | null> {
    const d = keyDigest(token);
    const env = this.envKeys.get(d);
    if (env) return env;
    const now = this.clock.now();
    const hit = this.cache.get(d);
    if (hit && now - hit.at < this.ttlMs) return hit.principal;
    const key = await this.store.findActive(d);
    const principal = key ? { id: key.id, role: key.role, name: key.name } : null;
    if (this.cache.size >= NEGATIVE_CACHE_LIMIT) this.cache.clear();
    this.cache.set(d, { principal, at: now });
    if (key) {
      this.store.touch(key.id, new Date(now)).catch((err: unknown) => this.logger?.warn({ err, key: key.id }, 'API 키 마지막 사용 시각을 기록하지 못했습니다'));
    }
    return principal;
  }

  /**
   * A request from this machine: the TCP peer (not `request.ip`, which a trusted proxy lets the client
   * choose through X-Forwarded-For) is loopback, and no proxy header says it was forwarded. A proxy on
   * this machine that adds no such header makes its clients look local: put keys in place before
   * exposing the service through one (docs/OPERATIONS.md).
   */
  static isLocal(request: FastifyRequest): boolean {
    const peer = request.socket?.remoteAddress ?? '';
    if (!isLoopback(peer)) return false;
    const h = request.headers;
    return h['x-forwarded-for'] === undefined && h.forwarded === undefined && h['x-real-ip'] === undefined && h.via === undefined;
  }

  /** The principal of the key a request presents, if it is a valid one; never throws (the rate limit's key). */
  async knownPrincipal(request: FastifyRequest): Promise<Principal | null> {
    const token = presentedKey(request);
    if (token === null) return null;
    try {
      return await this.resolve(token);
    } catch {
      return null;
    }
  }

  /** Decides a request; throws 401/403 (or 503 when the key database cannot be read). */
  async authorize(request: FastifyRequest, access: Access): Promise<Principal | null> {
    if (access === 'public') return null;
    const token = presentedKey(request);
    let principal: Principal | null;
    try {
      if (token !== null) {
        principal = await this.resolve(token);
        if (!principal) {
          rejectedKeys.set(request, `invalid:${keyDigest(token).slice(0, 8)}`);
          throw E.AUTH_INVALID.error();
        }
      } else if (KeyAuth.isLocal(request) && (access === 'local' || !(await this.hasKeys()))) {
        // From this machine, but a browser may have been sent here by another site's name (DNS rebinding).
        if (!isLoopbackHost(request.headers.host)) throw E.AUTH_HOST_NOT_LOCAL.error();
        principal = LOCAL;
      } else if (!(await this.hasKeys())) {
        throw E.AUTH_NOT_CONFIGURED.error();
      } else {
        throw E.AUTH_REQUIRED.error({ admin: false });
      }
    } catch (err) {
      if (isAlawError(err)) throw err;
      this.lookupErrors?.error('key-store', err, 'API 키 데이터베이스를 읽지 못했습니다');
      throw E.AUTH_UNAVAILABLE.error();
    }
    if (access === 'admin' && principal.role !== 'admin') {
      // The access log names the key that was refused.
      request.principal = principal;
      if (principal === LOCAL) {
        throw E.AUTH_REQUIRED.error({ admin: true });
      }
      throw E.AUTH_FORBIDDEN.error();
    }
    return principal;
  }

  /** Checks every routed request against its route's `config.access` (default: `key` under /api/, `public` elsewhere: `/`, /docs). */
  register(app: FastifyInstance): void {
    app.decorateRequest('principal', null);
    app.addHook('onRequest', async (request) => {
      const url = request.routeOptions.url;
      if (url === undefined) return; // no such route: 404, not 401
      const access = (request.routeOptions.config as { access?: Access }).access ?? (url.startsWith('/api/') ? 'key' : 'public');
      request.principal = await this.authorize(request, access);
    });
  }
}
