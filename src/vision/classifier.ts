/**
 * The vision core's front door: photo bytes in, "is it a dog, and which breed" out.
 *
 * A breed model that cannot tell a dog from a cat (a 120-way breed classifier such as the fine-tuned Xception) is put
 * behind a gate model that can (by default the ImageNet model, whose dog classes' probability mass is the dog score).
 * An ImageNet model is its own gate: one inference answers both questions.
 */
import { performance } from 'node:perf_hooks';
import type { Breed } from './labels.ts';
import { type Device, LoadedModel, type LoadModelOptions } from './model/index.ts';
import { averageReadings, type BreedGuess, type OutputReading, topK } from './postprocess.ts';
import {
  DEFAULT_DECODE_LIMITS,
  type DecodeLimits,
  decodeToRgb,
  type ImageSource,
  rgbToTensor,
} from './preprocess/index.ts';

export const DEFAULT_GATE_MODEL = 'mobilenetv2-imagenet';

export interface ClassifierOptions {
  /** Where manifests (and, beside them, model files) are. */
  modelsDir: string;
  /** Breed model: manifest id or path. */
  model: string;
  /**
   * Gate model deciding "is there a dog": manifest id or path, `none`, or undefined for the default (the breed model
   * itself when it has ImageNet outputs, otherwise `mobilenetv2-imagenet`).
   */
  gateModel?: string;
  device: Device;
  intraOpThreads?: number;
  /** Let onnxruntime's threads busy-wait between operators (default false: they would starve the event loop). */
  threadSpinning?: boolean;
  cudaDeviceId?: number;
  maxBatch?: number;
  batchWaitMs?: number;
  /** A photo is a dog when its dog score is at least this. */
  dogThreshold?: number;
  /** Average each prediction with that of the mirrored photo (≈ 2× inference cost). */
  flipAverage?: boolean;
  decodeLimits?: DecodeLimits;
  verifyChecksums?: boolean;
  onFallback?: LoadModelOptions['onFallback'];
  onBatch?: LoadModelOptions['onBatch'];
}

export interface Classification {
  /** The gate's verdict: dogScore ≥ the threshold (always true without a gate). */
  isDog: boolean;
  /** Probability that the photo shows a dog, 0–1; null without a gate. */
  dogScore: number | null;
  /** Most likely breeds first; given even when isDog is false. */
  top: BreedGuess[];
  model: string;
  gateModel: string | null;
  ms: { preprocess: number; inference: number; total: number };
}

export interface ClassifyOptions {
  /** How many breeds to return (default 3). */
  top?: number;
}

export class Classifier {
  private constructor(
    readonly breedModel: LoadedModel,
    readonly gateModel: LoadedModel | undefined,
    private readonly settings: {
      dogThreshold: number;
      flipAverage: boolean;
      decodeLimits: DecodeLimits;
    },
  ) {}

  static async create(options: ClassifierOptions): Promise<Classifier> {
    const loadOptions: LoadModelOptions = {
      modelsDir: options.modelsDir,
      device: options.device,
      intraOpThreads: options.intraOpThreads ?? 0,
      threadSpinning: options.threadSpinning ?? false,
      cudaDeviceId: options.cudaDeviceId ?? 0,
      maxBatch: options.maxBatch ?? 8,
      batchWaitMs: options.batchWaitMs ?? 5,
      verifyChecksum: options.verifyChecksums ?? true,
      onFallback: options.onFallback,
      onBatch: options.onBatch,
    };
    const breedModel = await LoadedModel.load(options.model, loadOptions);
    let gateModel: LoadedModel | undefined;
    try {
      const selfGating = breedModel.manifest.output.kind === 'imagenet-1k-logits';
      const gateRef = options.gateModel ?? (selfGating ? breedModel.id : DEFAULT_GATE_MODEL);
      if (gateRef === breedModel.id || gateRef === breedModel.manifest.manifestPath) gateModel = breedModel;
      else if (gateRef !== 'none') {
        gateModel = await LoadedModel.load(gateRef, loadOptions);
        if (gateModel.manifest.output.kind !== 'imagenet-1k-logits') {
          throw new Error(
            `gate model ${gateModel.id} has no dog classes (output kind ${gateModel.manifest.output.kind})`,
          );
        }
      }
    } catch (error) {
      await breedModel.close();
      await gateModel?.close();
      throw error;
    }
    return new Classifier(breedModel, gateModel, {
      dogThreshold: options.dogThreshold ?? 0.5,
      flipAverage: options.flipAverage ?? false,
      decodeLimits: options.decodeLimits ?? DEFAULT_DECODE_LIMITS,
    });
  }

  get breeds(): readonly Breed[] {
    return this.breedModel.breeds;
  }

  /** Execution provider of the breed model. */
  get device(): 'cuda' | 'cpu' {
    return this.breedModel.device;
  }

  /** Classifies one photo. Throws ImageInputError when the bytes are not a usable photo. */
  async classify(input: ImageSource, options: ClassifyOptions = {}): Promise<Classification> {
    const started = performance.now();
    const models =
      this.gateModel && this.gateModel !== this.breedModel ? [this.breedModel, this.gateModel] : [this.breedModel];
    const tensors = await Promise.all(models.map((model) => this.tensorsFor(input, model)));
    const preprocessed = performance.now();
    const readings = await Promise.all(
      tensors.map(async (views, i) =>
        averageReadings(await Promise.all(views.map((tensor) => (models[i] as LoadedModel).infer(tensor)))),
      ),
    );
    const finished = performance.now();
    const breedReading = readings[0] as OutputReading;
    const gateReading =
      this.gateModel === undefined ? undefined : this.gateModel === this.breedModel ? breedReading : readings[1];
    const dogScore = gateReading?.dogScore ?? null;
    return {
      isDog: dogScore === null || dogScore >= this.settings.dogThreshold,
      dogScore,
      top: topK(breedReading.breedProbs, this.breedModel.breeds, options.top ?? 3),
      model: this.breedModel.id,
      gateModel: this.gateModel?.id ?? null,
      ms: { preprocess: preprocessed - started, inference: finished - preprocessed, total: finished - started },
    };
  }

  async close(): Promise<void> {
    await Promise.all([this.breedModel.close(), this.gateModel?.close()]);
  }

  /** The model's input tensor for the photo, plus its mirror image when flip-averaging. */
  private async tensorsFor(input: ImageSource, model: LoadedModel): Promise<Float32Array[]> {
    const spec = model.manifest.input;
    const rgb = await decodeToRgb(input, spec, this.settings.decodeLimits);
    const tensor = rgbToTensor(rgb, spec);
    return this.settings.flipAverage ? [tensor, rgbToTensor(rgb, spec, { mirror: true })] : [tensor];
  }
}
