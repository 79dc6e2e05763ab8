/**
 * The vision core as the configuration sets it up — one place for the worker, the CLI and the batch runner: every
 * option from its setting (the defaults are the config schema's), breed groups from the breed cards, and the one log
 * line when CUDA is asked for but not there.
 */
import path from 'node:path';
import { breedGroupsFromCards } from '../breeds/index.ts';
import type { Config } from '../config/index.ts';
import type { Logger } from '../ops/index.ts';
import { Classifier, type ClassifierOptions, type DecodeLimits, photoSideNeeded } from '../vision/index.ts';

/** The photos accepted, as the configuration sets it (MAX_INPUT_PIXELS); below 16 px a side there is nothing to see. */
export function decodeLimitsOf(config: Pick<Config, 'MAX_INPUT_PIXELS'>): DecodeLimits {
  return { maxInputPixels: config.MAX_INPUT_PIXELS, minSide: 16 };
}

/**
 * The shorter side a photo needs for the configured models (MODEL, GATE_MODEL, DETECTOR), read from their manifests:
 * the bot downloads the smallest of Telegram's photo sizes that has it.
 */
export function photoSideOf(config: Pick<Config, 'MODELS_DIR' | 'MODEL' | 'GATE_MODEL' | 'DETECTOR'>): Promise<number> {
  return photoSideNeeded({
    modelsDir: path.resolve(config.MODELS_DIR),
    model: config.MODEL,
    ...(config.GATE_MODEL !== undefined ? { gateModel: config.GATE_MODEL } : {}),
    detector: config.DETECTOR,
  });
}

export function classifierOptions(
  config: Config,
  logger: Logger,
  overrides: Partial<ClassifierOptions> = {},
): ClassifierOptions {
  return {
    modelsDir: path.resolve(config.MODELS_DIR),
    model: config.MODEL,
    ...(config.GATE_MODEL !== undefined ? { gateModel: config.GATE_MODEL } : {}),
    device: config.DEVICE,
    intraOpThreads: config.INTRA_OP_THREADS,
    threadSpinning: config.THREAD_SPINNING,
    cudaDeviceId: config.CUDA_DEVICE_ID,
    maxBatch: config.MAX_BATCH,
    batchWaitMs: config.BATCH_WAIT_MS,
    dogThreshold: config.DOG_THRESHOLD,
    flipAverage: config.FLIP_AVERAGE,
    detector: config.DETECTOR,
    maxDogs: config.MAX_DOGS,
    decodeLimits: decodeLimitsOf(config),
    breedGroups: breedGroupsFromCards(config.MODELS_DIR),
    onFallback: (model, reason) =>
      logger.warn({ model, reason }, `CUDA not available: running on the CPU (DEVICE=${config.DEVICE})`),
    ...overrides,
  };
}

/** Loads the models the configuration names (overrides win), ready to classify. */
export function openClassifier(
  config: Config,
  logger: Logger,
  overrides: Partial<ClassifierOptions> = {},
): Promise<Classifier> {
  return Classifier.create(classifierOptions(config, logger, overrides));
}
