/** What every command gets: the validated configuration, a logger on stderr, and where to print results. */

import { openClassifier as openConfiguredClassifier } from '../app/index.ts';
import { type Config, loadConfig } from '../config/index.ts';
import { createLogger, type Logger } from '../ops/index.ts';
import type { Classifier, ClassifierOptions } from '../vision/index.ts';

export interface CliContext {
  config: Config;
  logger: Logger;
  out: NodeJS.WritableStream;
}

export interface CliFlags {
  /** `--verbose`: what the service would log at info level too (the device in use, a worker's start). */
  verbose?: boolean;
}

export function createCliContext(flags: CliFlags = {}): CliContext {
  const config = loadConfig();
  // Results go to stdout; logs to stderr, quiet unless asked (--verbose, LOG_LEVEL).
  const logger = createLogger({
    level: process.env.LOG_LEVEL ?? (flags.verbose ? 'info' : 'warn'),
    destination: process.stderr,
    secrets: [config.BOT_TOKEN, config.WEBHOOK_SECRET],
  });
  return { config, logger, out: process.stdout };
}

export interface ModelFlags {
  model?: string;
  flip?: boolean;
  /** commander's `--no-detector`: false turns the detector off (the whole-photo path). */
  detector?: boolean;
}

export function openClassifier(context: CliContext, flags: ModelFlags): Promise<Classifier> {
  const overrides: Partial<ClassifierOptions> = {
    ...(flags.model !== undefined ? { model: flags.model } : {}),
    ...(flags.flip !== undefined ? { flipAverage: flags.flip } : {}),
    ...(flags.detector === false ? { detector: 'none' } : {}),
  };
  return openConfiguredClassifier(context.config, context.logger, overrides);
}
