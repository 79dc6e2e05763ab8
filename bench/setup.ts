/**
 * What the benchmarks run on: the project's models, the shared photos (never committed; DOG_IMAGES_DIR moves them),
 * and the vision core set up from the configuration schema's defaults, as the service sets it up.
 */
import path from 'node:path';
import { classifierOptions, decodeLimitsOf } from '../src/app/index.ts';
import { type Config, configSchema } from '../src/config/index.ts';
import { createLogger } from '../src/ops/index.ts';
import type { ClassifierOptions, DecodeLimits } from '../src/vision/index.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
export const MODELS_DIR = path.join(ROOT, 'models');
export const IMAGES_DIR = process.env.DOG_IMAGES_DIR ?? path.resolve(ROOT, '../shared/images');

/** The defaults, on the CPU (the baseline runs there too), with the whole-photo path unless a row asks for more. */
export const BENCH_CONFIG: Config = configSchema.parse({ MODELS_DIR, DEVICE: 'cpu', DETECTOR: 'none' });
export const LIMITS: DecodeLimits = decodeLimitsOf(BENCH_CONFIG);

export function benchClassifierOptions(overrides: Partial<ClassifierOptions> = {}): ClassifierOptions {
  return classifierOptions(BENCH_CONFIG, createLogger({ level: 'silent' }), overrides);
}
