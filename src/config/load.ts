/** Reads the configuration once: `.env` (if present) under the real environment, validated by the schema. */
import { config as loadDotenv } from 'dotenv';
import { describeIssues, OperatorError } from '../operator-error.ts';
import { type Config, configSchema } from './schema.ts';

export class ConfigError extends OperatorError {
  override readonly name = 'ConfigError';
}

/** Variables set to '' count as unset, as in most shells' `VAR=` idiom. */
function withoutEmpty(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''),
  );
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, options: { dotenv?: boolean } = {}): Config {
  if (options.dotenv !== false && env === process.env) loadDotenv({ quiet: true });
  const parsed = configSchema.safeParse(withoutEmpty(env));
  if (!parsed.success) throw new ConfigError(`Invalid configuration: ${describeIssues(parsed.error, 5)}`);
  return parsed.data;
}
