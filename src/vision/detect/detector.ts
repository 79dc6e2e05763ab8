/**
 * The dog detector: a decoded photo → the candidate dogs in it, best first. Runs on its own inference thread like the
 * classifiers. YOLOX-Nano's export has a fixed batch of 1 (onnxruntime refuses any other), so its micro-batcher sends
 * one photo a run and queues the rest, keeping a run in flight while the next photo is prepared.
 */
import { loadDetectorManifest, type ResolvedDetectorManifest } from '../manifest.ts';
import { MicroBatcher } from '../micro-batcher.ts';
import type { LoadModelOptions } from '../model/index.ts';
import { type ModelRunner, startRunner } from '../model/index.ts';
import { verifyModelFile } from '../model-file.ts';
import { type RgbImage, resizeRgb } from '../preprocess/index.ts';
import { type Detection, suppressOverlaps } from './boxes.ts';
import { decodeYolox, letterboxScale, letterboxTensor } from './yolox.ts';

export class Detector {
  private readonly batcher: MicroBatcher<Float32Array, Float32Array>;
  private readonly wanted: ReadonlySet<number>;
  private readonly itemSize: number;

  private constructor(
    readonly manifest: ResolvedDetectorManifest,
    private readonly runner: ModelRunner,
    options: LoadModelOptions,
  ) {
    const { input, candidates, classes } = manifest;
    this.itemSize = 3 * input.width * input.height;
    this.wanted = new Set(candidates.classes.map((c) => classes.indexOf(c)));
    this.batcher = new MicroBatcher((items) => this.runBatch(items), {
      maxBatch: input.fixedBatch ?? options.maxBatch,
      maxWaitMs: input.fixedBatch === 1 ? 0 : options.batchWaitMs,
      onBatch: (size) => options.onBatch?.(manifest.id, size),
    });
  }

  static async load(ref: string, options: LoadModelOptions): Promise<Detector> {
    const manifest = await loadDetectorManifest(ref, options.modelsDir);
    if (options.verifyChecksum !== false) await verifyModelFile(manifest);
    const { input, output } = manifest;
    const runner = await startRunner(
      {
        id: manifest.id,
        modelPath: manifest.modelPath,
        inputName: input.name,
        outputName: output.name,
        itemDims: [3, input.height, input.width],
      },
      options,
    );
    try {
      return new Detector(manifest, runner, options);
    } catch (error) {
      // As for the classifiers: no inference thread left behind by a detector that cannot serve.
      await runner.close();
      throw error;
    }
  }

  get id(): string {
    return this.manifest.id;
  }

  /**
   * The candidate dogs in `photo`: boxes of the candidate classes, overlaps suppressed, too-small ones dropped, in the
   * photo's pixels, best first.
   */
  async detect(photo: RgbImage): Promise<Detection[]> {
    const { input, candidates } = this.manifest;
    const r = letterboxScale(photo, input);
    const scaled = await resizeRgb(photo, {
      width: Math.max(1, Math.min(input.width, Math.round(photo.width * r))),
      height: Math.max(1, Math.min(input.height, Math.round(photo.height * r))),
      resize: { kind: 'squash', kernel: 'linear' },
    });
    const output = await this.batcher.submit(letterboxTensor(scaled, input));
    const minSide = candidates.minSideShare * Math.min(photo.width, photo.height);
    const inPhoto = decodeYolox(output, this.manifest, this.wanted, candidates.minScore, r).map((d) => ({
      ...d,
      box: clipToPhoto(d.box, photo),
    }));
    return suppressOverlaps(inPhoto, candidates.nmsIou, candidates.maxInsideShare).filter(
      (d) => Math.min(d.box.width, d.box.height) >= minSide,
    );
  }

  close(): Promise<void> {
    return this.runner.close();
  }

  private runBatch(items: Float32Array[]): Promise<Float32Array[]> {
    return this.runner.runItems(items, this.itemSize);
  }
}

function clipToPhoto(box: Detection['box'], photo: { width: number; height: number }): Detection['box'] {
  const left = Math.max(0, box.left);
  const top = Math.max(0, box.top);
  const right = Math.min(photo.width, box.left + box.width);
  const bottom = Math.min(photo.height, box.top + box.height);
  return { left, top, width: Math.max(0, right - left), height: Math.max(0, bottom - top) };
}
