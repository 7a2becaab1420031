export { ConfigSchema, type Config, type SearchConfig, type FieldName } from './schema.js';
export { loadConfig, ConfigError, envNameOf, tokenList, type LoadConfigOptions } from './load.js';
