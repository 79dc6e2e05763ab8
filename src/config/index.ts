export { classifierOptions } from './classifier-options.ts';
export { ConfigError, loadConfig } from './load.ts';
export { CORES, type Config, configSchema } from './schema.ts';
