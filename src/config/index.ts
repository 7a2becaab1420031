export { ConfigSchema, type Config, type SearchConfig, type FieldName } from './schema.js';
export { loadConfig, ConfigError, envNameOf, type LoadConfigOptions } from './load.js';
