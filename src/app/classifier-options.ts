/**
 * The vision core as the configuration sets it up — one place for the worker, the CLI and the batch runner: every
 * option from its setting (the defaults are the config schema's), breed groups from the breed cards, and the one log
 * line, once a process, when DEVICE=auto finds no CUDA.
 */
import path from 'node:path';
import { breedGroupsFromCards } from '../breeds/index.ts';
import type { Config } from '../config/index.ts';
import type { Logger } from '../ops/index.ts';
import { Classifier, type ClassifierOptions, type DecodeLimits, photoSideNeeded } from '../vision/index.ts';

/** How answers are worded from a classification: the worker's answers and /history's replays alike. */
export function answerWordingOf(
  config: Pick<Config, 'SURE_THRESHOLD' | 'UNSURE_THRESHOLD' | 'MIX_PAIR_SHARE' | 'MIX_MIN_SHARE' | 'GROUP_LEAD_SHARE'>,
) {
  return {
    sureThreshold: config.SURE_THRESHOLD,
    unsureThreshold: config.UNSURE_THRESHOLD,
    mix: { pairShare: config.MIX_PAIR_SHARE, minShare: config.MIX_MIN_SHARE },
    groupLeadShare: config.GROUP_LEAD_SHARE,
  };
}

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

let cpuFallbackReported = false;

/**
 * DEVICE=auto on a machine without a CUDA GPU is the ordinary laptop case, not a fault: said once a process (each
 * model file finds the same), at info level — which the command line shows only with --verbose — and in an
 * operator's words, onnxruntime's own reason kept as a field. DEVICE=cuda without CUDA fails instead (the vision core).
 */
function reportCpuFallback(logger: Logger, device: Config['DEVICE'], reason: string): void {
  if (cpuFallbackReported) return;
  cpuFallbackReported = true;
  logger.info({ device, reason }, 'running on the CPU (no CUDA GPU found)');
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
    onFallback: (_model, reason) => reportCpuFallback(logger, config.DEVICE, reason),
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
