/** The vision core's options as the configuration sets them (shared by the worker, the CLI and the benchmarks). */
import path from 'node:path';
import type { ClassifierOptions } from '../vision/index.ts';
import type { Config } from './schema.ts';

export function classifierOptions(config: Config, overrides: Partial<ClassifierOptions> = {}): ClassifierOptions {
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
    decodeLimits: { maxInputPixels: config.MAX_INPUT_PIXELS, minSide: 16 },
    ...overrides,
  };
}
