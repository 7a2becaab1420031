import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { tokenList, type Config } from '../config/index.js';
import { AlawError } from '../errors.js';

export type Role = 'admin' | 'user';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * Bearer tokens from the configuration (`ALAW_ADMIN_TOKEN`, `ALAW_USER_TOKENS`).
 * Only SHA-256 digests are kept, compared in constant time.
 */
export class TokenAuth {
  private readonly tokens: { digest: Buffer; role: Role }[];

  constructor(auth: Readonly<Config['auth']>) {
    this.tokens = [
      ...tokenList(auth.adminTokens).map((t) => ({ digest: digest(t), role: 'admin' as const })),
      ...tokenList(auth.userTokens).map((t) => ({ digest: digest(t), role: 'user' as const })),
    ];
  }

  get hasAdmin(): boolean {
    return this.tokens.some((t) => t.role === 'admin');
  }

  roleOf(token: string): Role | null {
    const d = digest(token);
    let role: Role | null = null;
    for (const t of this.tokens) if (timingSafeEqual(t.digest, d) && role !== 'admin') role = t.role;
    return role;
  }

  /** Throws 401 without a valid bearer token, 403 when the token is not an admin's. Returns a label for logs. */
  requireAdmin(request: FastifyRequest): string {
    const header = request.headers.authorization;
    const m = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!m) {
      throw new AlawError(
        'ALAW_ERR_AUTH_REQUIRED',
        401,
        this.hasAdmin
          ? '관리자 토큰이 필요합니다. Authorization: Bearer <토큰> 헤더를 보내 주세요.'
          : '관리자 토큰이 필요합니다. 서버에 관리자 토큰이 설정되어 있지 않으니 ALAW_ADMIN_TOKEN(16자 이상)을 설정하고 다시 시작하세요. 서버에 접속할 수 있다면 `npx alaw queue clear --yes`로도 비울 수 있습니다.',
      ).withHeaders({ 'WWW-Authenticate': 'Bearer realm="alaw"' });
    }
    const role = this.roleOf(m[1]!);
    if (role === null) {
      throw new AlawError('ALAW_ERR_AUTH_INVALID', 401, '토큰이 올바르지 않습니다.').withHeaders({ 'WWW-Authenticate': 'Bearer realm="alaw", error="invalid_token"' });
    }
    if (role !== 'admin') throw new AlawError('ALAW_ERR_AUTH_FORBIDDEN', 403, '이 작업은 관리자 토큰으로만 할 수 있습니다.');
    // A short fingerprint identifies which token acted without logging the token.
    return `admin:${digest(m[1]!).toString('hex').slice(0, 8)}`;
  }
}
