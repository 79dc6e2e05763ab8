/**
 * The vision core as the tests set it up: from the configuration schema's defaults (the one place defaults live),
 * on the CPU, the project's models, no detector unless a test asks for one.
 */
import { classifierOptions, decodeLimitsOf } from '../../src/app/index.ts';
import { type Config, configSchema } from '../../src/config/index.ts';
import { createLogger } from '../../src/ops/index.ts';
import type { ClassifierOptions, DecodeLimits } from '../../src/vision/index.ts';
import { MODELS_DIR } from './paths.ts';

export const TEST_CONFIG: Config = configSchema.parse({ MODELS_DIR, DEVICE: 'cpu', DETECTOR: 'none' });

/** The photos the service accepts by default (MAX_INPUT_PIXELS). */
export const DEFAULT_LIMITS: DecodeLimits = decodeLimitsOf(TEST_CONFIG);

export function testClassifierOptions(overrides: Partial<ClassifierOptions> = {}): ClassifierOptions {
  return classifierOptions(TEST_CONFIG, createLogger({ level: 'silent' }), overrides);
}
