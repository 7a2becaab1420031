import { AlawError, E } from '../errors/index.js';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Value } from 'typebox/value';
import { ConfigSchema, type Config } from './schema.js';

/** A configuration problem, reported with the setting's name so an operator can fix it. */
export class ConfigError extends AlawError {
  constructor(readonly problems: string[]) {
    super(E.CONFIG_INVALID, E.CONFIG_INVALID.message({ problems }), { problems });
  }
}

/** Short environment names people expect, besides the generic ALAW_<SECTION>_<KEY>. */
const ALIASES: Record<string, string> = {
  PORT: 'server.port',
  ALAW_PORT: 'server.port',
  ALAW_HOST: 'server.host',
  ALAW_DB_PATH: 'paths.database',
  ALAW_INDEX_DIR: 'paths.indexDir',
  ALAW_LOG_LEVEL: 'log.level',
  ALAW_LOG_DIR: 'log.dir',
  ALAW_BACKUP_DIR: 'backup.dir',
  INSTANCE_ID: 'server.instanceId',
  ALAW_TRUST_PROXY: 'server.trustProxy',
  DATABASE_URL: 'queue.databaseUrl',
  ALAW_QUEUE_DB_PATH: 'paths.queueDatabase',
  ALAW_ADMIN_TOKEN: 'auth.adminTokens',
  ALAW_ADMIN_TOKENS: 'auth.adminTokens',
  ALAW_USER_TOKENS: 'auth.userTokens',
};

const MIN_TOKEN_CHARS = 16;

/** The guide's tuning section names the analysis type `case_analysis`: accept it wherever `analysis` is a key. */
function foldCaseAnalysis(raw: Record<string, unknown>): void {
  const queue = raw.queue as Record<string, unknown> | undefined;
  if (!queue || typeof queue !== 'object') return;
  for (const key of ['limits', 'optimizedLimits', 'retentionHours']) {
    const set = queue[key] as Record<string, unknown> | undefined;
    if (!set || typeof set !== 'object' || !('case_analysis' in set)) continue;
    const alias = set.case_analysis;
    delete set.case_analysis;
    set.analysis =
      typeof alias === 'object' && alias !== null && typeof set.analysis === 'object' && set.analysis !== null
        ? { ...alias, ...set.analysis }
        : (set.analysis ?? alias);
  }
}

/** `search.fields.full_text.b` → `ALAW_SEARCH_FIELDS_FULL_TEXT_B`. */
export function envNameOf(settingPath: string): string {
  return (
    'ALAW_' +
    settingPath
      .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
      .replace(/\./g, '_')
      .toUpperCase()
  );
}

/** Every leaf setting path of the schema, e.g. `server.port`. */
function leafPaths(schema: unknown, prefix = ''): string[] {
  const s = schema as { type?: string; properties?: Record<string, unknown> };
  if (s.type === 'object' && s.properties) {
    return Object.entries(s.properties).flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k));
  }
  return [prefix];
}

function setPath(target: Record<string, unknown>, settingPath: string, value: unknown): void {
  const keys = settingPath.split('.');
  let obj = target;
  for (const k of keys.slice(0, -1)) {
    if (typeof obj[k] !== 'object' || obj[k] === null) obj[k] = {};
    obj = obj[k] as Record<string, unknown>;
  }
  obj[keys[keys.length - 1]!] = value;
}

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  /** JSON file with a (partial) config object; defaults to $ALAW_CONFIG_FILE. */
  file?: string;
  /** Settings that win over file and environment (tests, CLI flags). */
  overrides?: Record<string, unknown>;
}

/** The configuration file a load with these options reads (`options.file`, else $ALAW_CONFIG_FILE), or null. */
export function configFileOf(options: Pick<LoadConfigOptions, 'file' | 'env'> = {}): string | null {
  return options.file ?? (options.env ?? process.env).ALAW_CONFIG_FILE ?? null;
}

/**
 * Loads the configuration once: embedded defaults, then the optional JSON
 * file, then environment variables, then explicit overrides. Validates and
 * freezes the result. This is the only place that reads `process.env` for
 * settings.
 */
export function loadConfig(options: LoadConfigOptions = {}): Readonly<Config> {
  const env = options.env ?? process.env;
  const raw: Record<string, unknown> = {};
  const problems: string[] = [];

  const file = configFileOf(options);
  if (file) {
    try {
      const parsed: unknown = JSON.parse(fs.readFileSync(path.resolve(file), 'utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        problems.push(`설정 파일 ${file}: JSON 객체여야 합니다.`);
      } else Object.assign(raw, parsed);
    } catch (err) {
      problems.push(`설정 파일 ${file}을(를) 읽을 수 없습니다: ${(err as Error).message}`);
    }
  }

  const byEnv = new Map<string, string>();
  for (const p of leafPaths(ConfigSchema)) byEnv.set(envNameOf(p), p);
  for (const [name, p] of Object.entries(ALIASES)) byEnv.set(name, p);
  for (const [name, p] of [...byEnv]) if (name.includes('_ANALYSIS')) byEnv.set(name.replace('_ANALYSIS', '_CASE_ANALYSIS'), p);
  for (const [name, p] of byEnv) {
    const value = env[name];
    if (value !== undefined && value !== '') setPath(raw, p, value);
    else if (value === '' && p === 'paths.seedCorpus') setPath(raw, p, '');
  }
  if (options.overrides) for (const [p, v] of Object.entries(options.overrides)) setPath(raw, p, v);

  foldCaseAnalysis(raw);
  if (problems.length) throw new ConfigError(problems);
  const withDefaults = Value.Default(ConfigSchema, structuredClone(raw));
  const converted = Value.Convert(ConfigSchema, withDefaults);
  if (!Value.Check(ConfigSchema, converted)) {
    for (const e of Value.Errors(ConfigSchema, converted)) {
      if (e.keyword === 'boolean') continue; // reported again as additionalProperties
      const setting = e.instancePath.slice(1).replace(/\//g, '.');
      if (e.keyword === 'additionalProperties') {
        const extra = (e.params as { additionalProperties?: string[] }).additionalProperties ?? [];
        problems.push(`알 수 없는 설정 ${extra.map((k) => (setting ? `${setting}.${k}` : k)).join(', ')}`);
      } else {
        problems.push(`${setting || '(root)'} (${envNameOf(setting)}): ${e.message}`);
      }
    }
    throw new ConfigError(problems);
  }
  const config = converted;
  for (const key of ['adminTokens', 'userTokens'] as const) {
    const weak = tokenList(config.auth[key]).filter((t) => t.length < MIN_TOKEN_CHARS);
    if (weak.length) problems.push(`auth.${key} (${envNameOf(`auth.${key}`)}): 토큰은 ${MIN_TOKEN_CHARS}자 이상이어야 합니다 (짧은 토큰 ${weak.length}개).`);
  }
  if (config.llm.baseUrl) {
    if (!/^https?:\/\/[^\s/]+/u.test(config.llm.baseUrl))
      problems.push('llm.baseUrl (ALAW_LLM_BASE_URL): http:// 또는 https:// 로 시작하는 주소여야 합니다 (예: http://127.0.0.1:11434/v1).');
    if (!config.llm.model) problems.push('llm.model (ALAW_LLM_MODEL): llm.baseUrl을 설정했으면 모델 이름도 필요합니다.');
  }
  // Secrets may come from files (mounted secrets) instead of the environment.
  const secrets: [Record<string, unknown>, string, string, string][] = [
    [config.alerts, 'alerts', 'webhookUrl', 'webhookUrlFile'],
    [config.alerts, 'alerts', 'smtpPassword', 'smtpPasswordFile'],
    [config.llm, 'llm', 'apiKey', 'apiKeyFile'],
  ];
  for (const [section, name, key, fileKey] of secrets) {
    const file = section[fileKey];
    if (typeof file !== 'string' || !file) continue;
    const setting = `${name}.${fileKey} (${envNameOf(`${name}.${fileKey}`)})`;
    try {
      section[key] = fs.readFileSync(file, 'utf8').trim();
      if (!section[key]) problems.push(`${setting}: ${file}이(가) 비어 있습니다.`);
    } catch (err) {
      problems.push(`${setting}: ${file}을(를) 읽을 수 없습니다 (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`);
    }
  }
  if (config.alerts.webhookUrl && !/^https?:\/\/[^\s/]+/u.test(config.alerts.webhookUrl))
    problems.push('alerts.webhookUrl (ALAW_ALERTS_WEBHOOK_URL): http:// 또는 https:// 주소여야 합니다.');
  if (config.alerts.smtpHost && !config.alerts.to.trim()) problems.push('alerts.to (ALAW_ALERTS_TO): alerts.smtpHost를 설정했으면 받는 사람도 필요합니다.');
  if (config.alerts.to && config.alerts.to.split(',').some((a) => !/^[^\s@]+@[^\s@]+$/u.test(a.trim())))
    problems.push('alerts.to (ALAW_ALERTS_TO): 쉼표로 구분한 이메일 주소여야 합니다.');
  const badProxies = tokenList(config.server.trustProxy).filter((p) => !isProxyAddress(p));
  if (badProxies.length)
    problems.push(
      `server.trustProxy (ALAW_TRUST_PROXY): 믿을 프록시는 IP 주소나 CIDR 범위(예: 127.0.0.1, 172.28.0.0/16) 또는 loopback, linklocal, uniquelocal을 쉼표로 구분해 적어야 합니다 (틀린 값: ${badProxies.join(', ')}).`,
    );
  if (config.queue.instanceDeadSeconds < 3 * config.queue.heartbeatSeconds)
    problems.push(
      `queue.instanceDeadSeconds (ALAW_QUEUE_INSTANCE_DEAD_SECONDS): 하트비트 간격(queue.heartbeatSeconds, ${config.queue.heartbeatSeconds}초)의 3배 이상이어야 합니다. 그보다 짧으면 살아 있는 인스턴스를 중단된 것으로 오판합니다.`,
    );
  if (config.queue.databaseUrl && !/^postgres(ql)?:\/\//.test(config.queue.databaseUrl)) {
    problems.push('queue.databaseUrl (DATABASE_URL): postgres:// 또는 postgresql:// 로 시작해야 합니다.');
  }
  if (problems.length) throw new ConfigError(problems);
  return deepFreeze(config);
}

/** An address, a CIDR range or one of proxy-addr's names (true/`*` would let any client choose its own address). */
function isProxyAddress(value: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(value)) return true;
  const [addr, bits, ...rest] = value.split('/');
  const family = net.isIP(addr ?? '');
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

/** `a, b` → [`a`, `b`]. */
export function tokenList(value: string): string[] {
  return value
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
}

function deepFreeze<T>(obj: T): T {
  if (obj && typeof obj === 'object') {
    for (const v of Object.values(obj)) deepFreeze(v);
    Object.freeze(obj);
  }
  return obj;
}
