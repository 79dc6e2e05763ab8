/** Messages between the main thread (ModelRunner) and the inference thread. */

export type Device = 'auto' | 'cuda' | 'cpu';

export interface ThreadInit {
  modelPath: string;
  inputName: string;
  outputName: string;
  /** Input dims after the batch axis, e.g. [3, 224, 224]. */
  itemDims: number[];
  device: Device;
  /** Threads onnxruntime uses inside one operator; 0 = its default (one per physical core). */
  intraOpThreads: number;
  /** Let onnxruntime's threads spin while waiting for work (lower latency, but they hog the CPU). */
  spinning: boolean;
  /** CUDA device ordinal. */
  cudaDeviceId: number;
}

export type ThreadReady =
  | { type: 'ready'; device: 'cuda' | 'cpu'; fallbackReason?: string; outputDims: readonly (number | string)[] }
  | { type: 'failed'; message: string };

export interface RunRequest {
  id: number;
  /** `batch × itemSize` floats, transferred (not copied). */
  input: Float32Array;
  batch: number;
}

export type RunResponse = { id: number; output: Float32Array } | { id: number; error: string };
