/**
 * One model ready to serve: its manifest, labels, output reader and inference thread, behind a micro-batcher.
 * `infer(tensor)` takes one preprocessed image and resolves with what the model says about it.
 */
import { type Breed, loadModelBreeds } from '../labels.ts';
import { loadManifest, type ResolvedManifest } from '../manifest.ts';
import { MicroBatcher } from '../micro-batcher.ts';
import { verifyModelFile } from '../model-file.ts';
import { OutputReader, type OutputReading } from '../postprocess.ts';
import { type Device, type ModelRunner, startRunner } from './model-runner.ts';

/** How every model of a classifier runs: on which device, with how many threads, batched how. */
export interface RuntimeOptions {
  device: Device;
  /** Threads onnxruntime uses in one operator; 0 = its default (INTRA_OP_THREADS). */
  intraOpThreads: number;
  /** Let onnxruntime's threads busy-wait between operators (THREAD_SPINNING; they would starve the event loop). */
  threadSpinning: boolean;
  cudaDeviceId: number;
  maxBatch: number;
  batchWaitMs: number;
}

export interface LoadModelOptions extends RuntimeOptions {
  modelsDir: string;
  /** Check the file's sha256 against the manifest before loading (default true). */
  verifyChecksum?: boolean;
  onFallback?: (modelId: string, reason: string) => void;
  onBatch?: (modelId: string, size: number) => void;
}

export class LoadedModel {
  private readonly batcher: MicroBatcher<Float32Array, Float32Array>;
  readonly itemSize: number;

  private constructor(
    readonly manifest: ResolvedManifest,
    readonly breeds: readonly Breed[],
    readonly reader: OutputReader,
    private readonly runner: ModelRunner,
    options: LoadModelOptions,
  ) {
    const { width, height } = manifest.input;
    this.itemSize = 3 * width * height;
    this.batcher = new MicroBatcher((items) => this.runBatch(items), {
      maxBatch: options.maxBatch,
      maxWaitMs: options.batchWaitMs,
      onBatch: (size) => options.onBatch?.(manifest.id, size),
    });
  }

  static async load(ref: string, options: LoadModelOptions): Promise<LoadedModel> {
    const manifest = await loadManifest(ref, options.modelsDir);
    const breeds = await loadModelBreeds(manifest);
    const reader = new OutputReader(manifest.output, breeds);
    if (options.verifyChecksum !== false) await verifyModelFile(manifest);
    const { width, height, layout, name } = manifest.input;
    const runner = await startRunner(
      {
        id: manifest.id,
        modelPath: manifest.modelPath,
        inputName: name,
        outputName: manifest.output.name,
        itemDims: layout === 'NCHW' ? [3, height, width] : [height, width, 3],
      },
      options,
    );
    try {
      return new LoadedModel(manifest, breeds, reader, runner, options);
    } catch (error) {
      // A model that cannot serve (bad batching settings) must not leave its inference thread holding the process.
      await runner.close();
      throw error;
    }
  }

  get id(): string {
    return this.manifest.id;
  }

  get device(): 'cuda' | 'cpu' {
    return this.runner.device;
  }

  /** One preprocessed image (`itemSize` floats) → what the model reads in it. */
  async infer(tensor: Float32Array): Promise<OutputReading> {
    if (tensor.length !== this.itemSize) {
      throw new Error(`model ${this.id} takes ${this.itemSize} floats per image, got ${tensor.length}`);
    }
    return this.reader.read(await this.batcher.submit(tensor));
  }

  close(): Promise<void> {
    return this.runner.close();
  }

  private async runBatch(items: Float32Array[]): Promise<Float32Array[]> {
    const rows = await this.runner.runItems(items, this.itemSize);
    const rowSize = rows[0]?.length ?? 0;
    if (rowSize !== this.reader.size) {
      throw new Error(`model ${this.id} returned ${rowSize} values per image, its manifest says ${this.reader.size}`);
    }
    return rows;
  }
}
