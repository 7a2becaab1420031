export { ConfigSchema, type Config, type SearchConfig, type FieldName } from './schema.js';
export { loadConfig, configFileOf, ConfigError, envNameOf, tokenList, type LoadConfigOptions } from './load.js';

/**
 * Files the service and `alaw` create (databases, logs, backups, the index) are not readable by other
 * users: owner read-write, group read, others nothing (0640 files, 0750 directories). The systemd units
 * set the same UMask; this covers `npm start`, `alaw …` from a shell, and containers.
 */
export const FILE_UMASK = 0o027;

export function restrictNewFiles(): void {
  process.umask(process.umask() | FILE_UMASK);
}
