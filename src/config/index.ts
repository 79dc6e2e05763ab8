/** Every setting of the service, validated in one place (the defaults are the schema's). */
export { ConfigError, loadConfig } from './load.ts';
export { CORES, type Config, configSchema } from './schema.ts';
