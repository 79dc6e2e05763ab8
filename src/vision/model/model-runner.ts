/**
 * Main-thread handle on an inference thread: `run(batchTensor, batch)` → output floats. If the thread dies (a native
 * crash), the calls in flight fail and the next call starts a new thread, so one bad moment does not end the service.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ModelError } from '../errors.ts';
import type { RuntimeOptions } from './loaded-model.ts';
import type { RunResponse, ThreadInit, ThreadReady } from './protocol.ts';
import { inferenceStackMb } from './thread-stack.ts';

export type { Device } from './protocol.ts';

export interface ModelRunnerOptions extends ThreadInit {
  /** Called once when `device: auto` found no usable CUDA and fell back to the CPU. */
  onFallback?: (reason: string) => void;
}

// The thread's file sits beside this one, as .ts when run from source (tsx) and as .js once built.
const threadUrl = new URL(`./inference-thread${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url);

/**
 * Node 20 does not carry `--import tsx` into worker threads, so when running from TypeScript source the thread first
 * registers tsx itself. Built JavaScript starts the file directly.
 */
function startThread(options: ConstructorParameters<typeof Worker>[1]): Worker {
  if (!threadUrl.pathname.endsWith('.ts')) return new Worker(threadUrl, options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(threadUrl.href)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}

interface Pending {
  resolve: (output: Float32Array) => void;
  reject: (error: Error) => void;
}

interface LiveThread {
  worker: Worker;
  device: 'cuda' | 'cpu';
}

/** What a model file needs to run: its tensors' names and per-item shape, with the runtime options it runs under. */
export interface RunnerSpec {
  /** The manifest id, for the fallback report. */
  id: string;
  modelPath: string;
  inputName: string;
  outputName: string;
  itemDims: number[];
}

/** Starts the inference thread of one model file under the classifier's runtime options. */
export function startRunner(
  spec: RunnerSpec,
  options: RuntimeOptions & { onFallback?: (modelId: string, reason: string) => void },
): Promise<ModelRunner> {
  const { id, ...files } = spec;
  return ModelRunner.start({
    ...files,
    device: options.device,
    intraOpThreads: options.intraOpThreads,
    spinning: options.threadSpinning,
    cudaDeviceId: options.cudaDeviceId,
    onFallback: (reason) => options.onFallback?.(id, reason),
  });
}

export class ModelRunner {
  private thread: Promise<LiveThread> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  private deviceInUse: 'cuda' | 'cpu' | undefined;

  private constructor(private readonly options: ModelRunnerOptions) {}

  /** Starts the thread and loads the model; rejects with a ModelError when it cannot. */
  static async start(options: ModelRunnerOptions): Promise<ModelRunner> {
    const runner = new ModelRunner(options);
    await runner.ensureThread();
    return runner;
  }

  /** The execution provider serving requests. */
  get device(): 'cuda' | 'cpu' {
    if (this.deviceInUse === undefined) throw new Error('ModelRunner not started');
    return this.deviceInUse;
  }

  /** Runs one batch: `input` holds `batch` items back to back; it is transferred to the thread (unusable after). */
  async run(input: Float32Array, batch: number): Promise<Float32Array> {
    if (this.closed) throw new Error('ModelRunner is closed');
    const { worker } = await this.ensureThread();
    const id = this.nextId++;
    return new Promise<Float32Array>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, input, batch }, [input.buffer as ArrayBuffer]);
    });
  }

  /** Runs `items` (each `itemSize` floats) as one batch; one output row per item, in order. */
  async runItems(items: readonly Float32Array[], itemSize: number): Promise<Float32Array[]> {
    const input = new Float32Array(items.length * itemSize);
    items.forEach((item, i) => {
      input.set(item, i * itemSize);
    });
    const output = await this.run(input, items.length);
    const rowSize = output.length / items.length;
    return items.map((_, i) => output.subarray(i * rowSize, (i + 1) * rowSize));
  }

  async close(): Promise<void> {
    this.closed = true;
    const thread = this.thread;
    this.thread = undefined;
    if (thread) await thread.then(({ worker }) => worker.terminate()).catch(() => undefined);
    this.failPending(new Error('ModelRunner closed'));
  }

  private ensureThread(): Promise<LiveThread> {
    this.thread ??= this.spawn();
    return this.thread;
  }

  private spawn(): Promise<LiveThread> {
    const { onFallback, ...init } = this.options;
    const worker = startThread({
      workerData: init satisfies ThreadInit,
      name: 'inference',
      resourceLimits: { stackSizeMb: inferenceStackMb() },
    });
    const started = new Promise<LiveThread>((resolve, reject) => {
      const onReady = (message: ThreadReady) => {
        if (message.type === 'failed') {
          void worker.terminate();
          reject(new ModelError(`Cannot load model ${init.modelPath}: ${message.message}`));
          return;
        }
        this.deviceInUse = message.device;
        if (message.fallbackReason !== undefined) onFallback?.(message.fallbackReason);
        worker.on('message', (response: RunResponse) => this.settle(response));
        resolve({ worker, device: message.device });
      };
      worker.once('message', onReady);
      worker.once('error', (error) => reject(new ModelError(`Inference thread failed to start: ${error.message}`)));
    });
    worker.on('exit', (code) => {
      // An unexpected exit: fail what was in flight; the next run() starts a fresh thread.
      if (this.thread === started) this.thread = undefined;
      this.failPending(new Error(`inference thread exited (code ${code})`));
    });
    worker.on('error', () => undefined); // reported through 'exit'
    started.catch(() => {
      if (this.thread === started) this.thread = undefined;
    });
    return started;
  }

  private settle(response: RunResponse): void {
    const pending = this.pending.get(response.id);
    if (pending === undefined) return;
    this.pending.delete(response.id);
    if ('error' in response) pending.reject(new Error(`inference failed: ${response.error}`));
    else pending.resolve(response.output);
  }

  private failPending(error: Error): void {
    for (const { reject } of this.pending.values()) reject(error);
    this.pending.clear();
  }
}
