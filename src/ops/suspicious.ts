/**
 * Request targets only scanners and attackers send: paths of other software
 * (`/.env`, `/wp-admin`, `/.git/`, `/phpmyadmin`, `*.php` …), directory
 * traversal (`..`, `%2e%2e`) and injection-shaped parameters (`' OR 1=1`,
 * `UNION SELECT`, `<script`, `${jndi:`). This service has none of those paths
 * and no reason to receive those strings, so a hit is a probe, not a user.
 *
 * The HTTP layer classifies each request's raw target (query included) and
 * puts only the kinds in the access log (`suspicious`), never the query text;
 * the log report classifies the logged path of lines written before that.
 */

export const SUSPICIOUS_KINDS = ['scanner_path', 'traversal', 'sql_injection', 'xss', 'jndi'] as const;
export type SuspiciousKind = (typeof SUSPICIOUS_KINDS)[number];

/** Korean names of the kinds (report text). */
export const SUSPICIOUS_NAMES: Record<SuspiciousKind, string> = {
  scanner_path: '스캐너 경로 (/.env, /wp-admin, /.git/ …)',
  traversal: '경로 탐색 (.., %2e%2e)',
  sql_injection: "SQL 인젝션 모양 (' OR 1=1, UNION SELECT)",
  xss: '스크립트 삽입 (<script)',
  jndi: 'JNDI 조회 (${jndi:)',
};

const RULES: [SuspiciousKind, RegExp][] = [
  [
    'scanner_path',
    /\/(?:\.env\b|\.git(?:\/|$)|\.svn\/|\.aws\/|\.ssh\/|\.ds_store|wp-admin|wp-login\.php|wp-content\/|wp-includes\/|xmlrpc\.php|phpmyadmin|pma\/|cgi-bin\/|vendor\/phpunit|actuator\b|server-status|boaform\/|hnap1)|\.(?:php|asp|aspx|jsp|cgi)(?:[/?#]|$)/iu,
  ],
  ['traversal', /(?:^|[/\\?=&])\.\.(?:[/\\]|$)|%2e%2e|\.\.%2f|\.\.%5c|%252e%252e/iu],
  [
    'sql_injection',
    /['"`]\s*\)?\s*(?:or|and)\s+['"`]?\w+['"`]?\s*(?:=|like)\s*['"`]?\w+|\bunion(?:\s|\/\*.*?\*\/)+(?:all(?:\s|\/\*.*?\*\/)+)?select\b|;\s*(?:drop|delete|insert|update)\s+\w|\b(?:sleep|benchmark|pg_sleep)\s*\(\s*\d|['"`]\s*--/iu,
  ],
  ['xss', /<\s*script\b|javascript\s*:|\bon(?:error|load)\s*=/iu],
  ['jndi', /\$\{\s*(?:jndi|\$\{|(?:lower|upper|env|sys|date)\s*:)/iu],
];

/** Percent-decoding that never throws (a broken escape leaves the text as it is); `+` is a space in queries. */
function decoded(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/gu, ' '));
  } catch {
    return s;
  }
}

/**
 * The kinds of probe a request target (path and query as sent) looks like; empty for ordinary requests.
 * Decoded up to twice, so `%252e%252e` and `%27%20OR%201%3D1` are seen as what they hide.
 */
export function classifyTarget(target: string): SuspiciousKind[] {
  const once = decoded(target);
  const twice = once.includes('%') ? decoded(once) : once;
  const texts = twice === target ? [target] : once === twice ? [target, once] : [target, once, twice];
  const kinds: SuspiciousKind[] = [];
  for (const [kind, re] of RULES) if (texts.some((t) => re.test(t))) kinds.push(kind);
  return kinds;
}
