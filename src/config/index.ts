export { ConfigError, loadConfig } from './load.ts';
export { classifierOptions } from './classifier-options.ts';
export { type Config, CORES, configSchema } from './schema.ts';
