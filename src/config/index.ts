export { ConfigSchema, type Config, type SearchConfig, type FieldName } from './schema.js';
export { loadConfig, configFileOf, ConfigError, envNameOf, tokenList, type LoadConfigOptions } from './load.js';
