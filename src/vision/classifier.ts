/**
 * The vision core's front door: photo bytes in, "is it a dog, and which breed" out.
 *
 * A breed model that cannot tell a dog from a cat (a 120-way breed classifier such as the fine-tuned Xception) is put
 * behind a gate model that can (by default the ImageNet model, whose dog classes' probability mass is the dog score).
 * An ImageNet model is its own gate: one inference answers both questions.
 */
import { performance } from 'node:perf_hooks';
import { acceptDogs, gateSaysDog, groupSplitDogs, unionBox, widestFreeBand } from './candidates.ts';
import type { Box, Classification, DogAnswer, GroupGuess } from './classification.ts';
import { type Detection, Detector, padBox, scaleBox } from './detect/index.ts';
import type { Breed } from './labels.ts';
import type { ResolvedManifest } from './manifest.ts';
import { LoadedModel, type LoadModelOptions, type RuntimeOptions } from './model/index.ts';
import { averageReadings, type OutputReading, temper, topGroup, topK } from './postprocess.ts';
import {
  type DecodedPhoto,
  type DecodeLimits,
  decodePhoto,
  type ImageSource,
  type RgbImage,
  resizeRgb,
  rgbToTensor,
} from './preprocess/index.ts';

export const DEFAULT_GATE_MODEL = 'mobilenetv2-imagenet';

/**
 * The gate a classifier of `breed` uses: the one asked for (`none`: no gate), else none of its own when the breed
 * model has ImageNet's dog classes (undefined: it gates itself), else DEFAULT_GATE_MODEL. The bot reads the same
 * choice from the manifests to know how large a photo the models need.
 */
export function gateModelFor(breed: ResolvedManifest, asked: string | undefined): string | undefined {
  if (asked !== undefined) return asked;
  return breed.output.kind === 'imagenet-1k-logits' ? undefined : DEFAULT_GATE_MODEL;
}

/**
 * How a classifier is set up. Every setting is required: the defaults are the configuration schema's (src/config),
 * applied once there; `classifierOptions(config)` in src/app builds these from it.
 */
export interface ClassifierOptions extends RuntimeOptions {
  /** Where manifests (and, beside them, model files) are. */
  modelsDir: string;
  /** Breed model: manifest id or path. */
  model: string;
  /**
   * Gate model deciding "is there a dog": manifest id or path, `none`, or undefined for the breed model itself when
   * it has ImageNet outputs, otherwise `mobilenetv2-imagenet`.
   */
  gateModel?: string;
  /** Detector finding each dog: manifest id or path; `none` or undefined for the whole-photo path only. */
  detector?: string;
  /** Most dogs named in one photo (MAX_DOGS). */
  maxDogs: number;
  /** Breed id → breed group (FCI group), read once the breeds are known, for `group` in the answers; none, no groups. */
  breedGroups?: (breeds: readonly Breed[]) => Promise<ReadonlyMap<string, string>>;
  /** A photo is a dog when its dog score is at least this (DOG_THRESHOLD). */
  dogThreshold: number;
  /** Average each prediction with that of the mirrored photo (FLIP_AVERAGE; ≈ 2× inference cost). */
  flipAverage: boolean;
  decodeLimits: DecodeLimits;
  /**
   * Check each model file's sha256 against its manifest before loading.
   * @defaultValue true
   */
  verifyChecksums?: boolean;
  onFallback?: LoadModelOptions['onFallback'];
  onBatch?: LoadModelOptions['onBatch'];
}

export type { Classification } from './classification.ts';

/** The views behind the main dog's answer, for evaluation: each as the models read it, before the temperature. */
export interface MainDogViews {
  whole: OutputReading;
  /** The main dog's crop; null when the answer is the whole photo's. */
  crop: OutputReading | null;
  /** What the answer is made of (the blend, the crop alone, or the whole photo), before the temperature. */
  final: OutputReading;
}

export interface ClassifyOptions {
  /** How many breeds to return (default 3). */
  top?: number;
  /** Also return the main dog's views (evaluation). */
  withViews?: boolean;
}

/** What the breed model and the gate read in one view of the photo. */
interface ViewReading {
  breed: OutputReading;
  gate: OutputReading | undefined;
}

interface Candidate {
  detection: Detection;
  view: ViewReading;
  /** The gate's dog score on the crop; null without a gate. */
  dogScore: number | null;
}

export class Classifier {
  private constructor(
    readonly breedModel: LoadedModel,
    readonly gateModel: LoadedModel | undefined,
    readonly detector: Detector | undefined,
    private readonly settings: {
      dogThreshold: number;
      flipAverage: boolean;
      decodeLimits: DecodeLimits;
      maxDogs: number;
      breedGroups: ReadonlyMap<string, string> | undefined;
    },
  ) {}

  static async create(options: ClassifierOptions): Promise<Classifier> {
    const loadOptions: LoadModelOptions = {
      modelsDir: options.modelsDir,
      device: options.device,
      intraOpThreads: options.intraOpThreads,
      threadSpinning: options.threadSpinning,
      cudaDeviceId: options.cudaDeviceId,
      maxBatch: options.maxBatch,
      batchWaitMs: options.batchWaitMs,
      verifyChecksum: options.verifyChecksums ?? true,
      onFallback: options.onFallback,
      onBatch: options.onBatch,
    };
    const breedModel = await LoadedModel.load(options.model, loadOptions);
    let gateModel: LoadedModel | undefined;
    let detector: Detector | undefined;
    let breedGroups: ReadonlyMap<string, string> | undefined;
    try {
      const gateRef = gateModelFor(breedModel.manifest, options.gateModel) ?? breedModel.id;
      if (gateRef === breedModel.id || gateRef === breedModel.manifest.manifestPath) gateModel = breedModel;
      else if (gateRef !== 'none') {
        gateModel = await LoadedModel.load(gateRef, loadOptions);
        if (gateModel.manifest.output.kind !== 'imagenet-1k-logits') {
          throw new Error(
            `gate model ${gateModel.id} has no dog classes (output kind ${gateModel.manifest.output.kind})`,
          );
        }
      }
      if (options.detector !== undefined && options.detector !== 'none') {
        detector = await Detector.load(options.detector, loadOptions);
      }
      breedGroups = await options.breedGroups?.(breedModel.breeds);
    } catch (error) {
      await Promise.all([breedModel.close(), gateModel?.close(), detector?.close()]);
      throw error;
    }
    return new Classifier(breedModel, gateModel, detector, {
      dogThreshold: options.dogThreshold,
      flipAverage: options.flipAverage,
      decodeLimits: options.decodeLimits,
      maxDogs: options.maxDogs,
      breedGroups,
    });
  }

  get breeds(): readonly Breed[] {
    return this.breedModel.breeds;
  }

  /** Execution provider of the breed model. */
  get device(): 'cuda' | 'cpu' {
    return this.breedModel.device;
  }

  /**
   * Classifies one photo: decoded once; the detector's candidate dogs each classified from their crop (the main dog,
   * when it is the only one, blended with the whole photo); no candidate that is a dog → the whole photo's answer.
   * Throws ImageInputError when the bytes are not a usable photo.
   */
  async classify(
    input: ImageSource,
    options: ClassifyOptions = {},
  ): Promise<Classification & { views?: MainDogViews }> {
    const started = performance.now();
    const photo = await decodePhoto(input, this.settings.decodeLimits);
    const decoded = performance.now();
    const [whole, detections] = await Promise.all([
      this.readView(photo),
      this.detector?.detect(photo) ?? Promise.resolve([]),
    ]);
    const { passing, checked, oneDogSeen } = await this.findDogs(photo, detections);
    const named = passing.slice(0, this.settings.maxDogs).sort((a, b) => a.detection.box.left - b.detection.box.left);
    const top = options.top ?? 3;

    let dogs: DogAnswer[];
    let mainDog: number | null;
    let views: MainDogViews;
    if (named.length === 0) {
      const answer = this.answer(whole, null, null, top, 1);
      dogs = answer.isDog ? [answer] : [];
      mainDog = answer.isDog ? 0 : null;
      views = { whole: whole.breed, crop: null, final: whole.breed };
      const finished = performance.now();
      return this.result(
        answer,
        dogs,
        mainDog,
        0,
        photo,
        started,
        decoded,
        finished,
        options.withViews ? views : undefined,
      );
    }
    // The main dog is the largest the detector boxed: a free band (score 0) is the photo's leftover, not a dog's size.
    const main = named.reduce((best, c, i) => {
      const than = named[best] as Candidate;
      const boxed = c.detection.score > 0;
      return boxed && (than.detection.score === 0 || area(c.detection.box) > area(than.detection.box)) ? i : best;
    }, 0);
    // Boxes are found in the decoded photo; people see them on the photo they sent.
    const scale = photo.original.width / photo.width;
    dogs = named.map((c, i) => {
      // One dog: the whole photo is a second look at it (measured: +3 points top-1). Several: the whole photo mixes
      // their breeds, so each is named from its crop alone.
      const reading = i === main && named.length === 1 && oneDogSeen ? blend(c.view, whole) : c.view;
      return this.answer(reading, c.detection, true, top, scale);
    });
    const mainCandidate = named[main] as Candidate;
    views = {
      whole: whole.breed,
      crop: mainCandidate.view.breed,
      final: named.length === 1 && oneDogSeen ? blend(mainCandidate.view, whole).breed : mainCandidate.view.breed,
    };
    const moreDogs = passing.length - named.length + (detections.length - checked);
    const finished = performance.now();
    return this.result(
      dogs[main] as DogAnswer,
      dogs,
      main,
      moreDogs,
      photo,
      started,
      decoded,
      finished,
      options.withViews ? views : undefined,
    );
  }

  async close(): Promise<void> {
    await Promise.all([this.breedModel.close(), this.gateModel?.close(), this.detector?.close()]);
  }

  private result(
    main: DogAnswer,
    dogs: DogAnswer[],
    mainDog: number | null,
    moreDogs: number,
    photo: DecodedPhoto,
    started: number,
    decoded: number,
    finished: number,
    views: MainDogViews | undefined,
  ): Classification & { views?: MainDogViews } {
    return {
      isDog: main.isDog,
      dogScore: main.dogScore,
      top: main.top,
      group: main.group,
      dogs,
      mainDog,
      moreDogs,
      photo: photo.original,
      model: this.breedModel.id,
      gateModel: this.gateModel?.id ?? null,
      detector: this.detector?.id ?? null,
      ms: { preprocess: decoded - started, inference: finished - decoded, total: finished - started },
      ...(views ? { views } : {}),
    };
  }

  /**
   * The detector's boxes read by the models, those named as dogs (halves of one joined, a dog it missed added), how
   * many boxes were read, and whether the gate sees at most one dog among them.
   */
  private async findDogs(
    photo: DecodedPhoto,
    detections: readonly Detection[],
  ): Promise<{ passing: Candidate[]; checked: number; oneDogSeen: boolean }> {
    const threshold = this.settings.dogThreshold;
    // Enough candidates to find MAX_DOGS dogs when some are cats; the rest are only counted.
    const checked = detections.slice(0, this.settings.maxDogs * 2);
    const candidates = await Promise.all(
      checked.map(async (detection): Promise<Candidate> => {
        const view = await this.readView(photo, detection.box);
        return { detection, view, dogScore: view.gate?.dogScore ?? null };
      }),
    );
    const passing = this.detector
      ? this.joinHalves(acceptDogs(candidates, this.detector.manifest.candidates, threshold, photo))
      : [];
    const unseen = await this.unseenDog(passing, photo);
    if (unseen) passing.push(unseen);
    // The whole photo is a second look at the one dog only when the gate sees one dog among the boxes: with more, it
    // mixes their breeds into the one named (three dogs in a row read as one dog with the others' breeds in its top-3).
    const oneDogSeen = candidates.filter((c) => gateSaysDog(c, threshold)).length <= 1;
    return { passing, checked: checked.length, oneDogSeen };
  }

  /**
   * Accepted candidates that are halves of one dog (groupSplitDogs) as one: the union of their boxes, named from the
   * best box's crop (as before the join: reading the union lost a Sussex spaniel's breed from the top-3 on
   * ../shared/validation, and costs an inference).
   */
  private joinHalves(accepted: Candidate[]): Candidate[] {
    const rules = (this.detector as Detector).manifest.candidates;
    const groups = groupSplitDogs(accepted, (c) => topBreed(c.view.breed.breedProbs, this.breeds), rules.dogClass);
    return groups.map((group) => {
      const [best] = group as [Candidate];
      if (group.length === 1) return best;
      return { ...best, detection: { ...best.detection, box: unionBox(group.map((c) => c.detection.box)) } };
    });
  }

  /**
   * A dog the detector did not box: beside the dogs it found, the widest band of the photo free of their boxes (at
   * least FREE_BAND_SHARE of the photo's side), named only when the gate is sure of it (edgeMinDogScore, the bar of a
   * part of a photo that is no detector box).
   */
  private async unseenDog(found: readonly Candidate[], photo: RgbImage): Promise<Candidate | null> {
    if (found.length === 0 || found.length >= this.settings.maxDogs) return null;
    const band = widestFreeBand(
      found.map((c) => c.detection.box),
      photo,
      FREE_BAND_SHARE,
    );
    if (band === null) return null;
    // Read as it is: a pad would reach into the dog beside it.
    const view = await this.readView(photo, band, false);
    const dogScore = view.gate?.dogScore ?? null;
    const rules = (this.detector as Detector).manifest.candidates;
    if (dogScore === null || dogScore < rules.edgeMinDogScore) return null;
    // A band named as a breed already found is more of that dog (its body beyond a box on its head), not another.
    const breed = topBreed(view.breed.breedProbs, this.breeds);
    if (found.some((c) => topBreed(c.view.breed.breedProbs, this.breeds) === breed)) return null;
    return { detection: { box: band, label: rules.dogClass, score: 0 }, view, dogScore };
  }

  /**
   * A view's readings → what people are told about that dog. `rescued`: a detector box already made it a dog;
   * `scale`: the photo's pixels per decoded pixel.
   */
  private answer(
    view: ViewReading,
    detection: Detection | null,
    rescued: boolean | null,
    top: number,
    scale: number,
  ): DogAnswer {
    const dogScore = view.gate?.dogScore ?? null;
    const probs = temper(view.breed.breedProbs, this.breedModel.manifest.temperature);
    const group: GroupGuess | null = this.settings.breedGroups
      ? topGroup(probs, this.breeds, this.settings.breedGroups)
      : null;
    return {
      box: detection ? roundBox(scaleBox(detection.box, scale)) : null,
      // A free band (score 0) is no detector's box.
      detected: detection && detection.score > 0 ? { label: detection.label, score: detection.score } : null,
      isDog: rescued === true || dogScore === null || dogScore >= this.settings.dogThreshold,
      dogScore,
      top: topK(probs, this.breeds, top),
      group,
    };
  }

  /** What the breed model (and the gate, when it is another model) read in the whole photo or in one box of it. */
  private async readView(photo: RgbImage, box?: Box, padded = true): Promise<ViewReading> {
    const models =
      this.gateModel && this.gateModel !== this.breedModel ? [this.breedModel, this.gateModel] : [this.breedModel];
    const readings = await Promise.all(models.map((model) => this.readWith(model, photo, box, padded)));
    const breed = readings[0] as OutputReading;
    const gate = this.gateModel === undefined ? undefined : this.gateModel === this.breedModel ? breed : readings[1];
    return { breed, gate };
  }

  private async readWith(
    model: LoadedModel,
    photo: RgbImage,
    box: Box | undefined,
    padded: boolean,
  ): Promise<OutputReading> {
    const { input, crop } = model.manifest;
    const rgb =
      box === undefined
        ? await resizeRgb(photo, input)
        : await resizeRgb(photo, { ...input, resize: crop.resize }, padBox(box, padded ? crop.pad : 0, photo));
    const tensors = [rgbToTensor(rgb, input)];
    if (this.settings.flipAverage) tensors.push(rgbToTensor(rgb, input, { mirror: true }));
    return averageReadings(await Promise.all(tensors.map((tensor) => model.infer(tensor))));
  }
}

const area = (box: Box): number => box.width * box.height;

/**
 * A free band narrower than this share of the photo's side is the margin around the dogs found, not room for another:
 * a round quarter, since the third of three dogs in a row holds a little under a third of the width (at 1/3, trios
 * of other compositions lost it: all three found 17 -> 19 of 20 at 1/4; pairs and one-dog photos the same).
 * Measured: the dogs the detector missed on `eval --pairs 60` lay in bands of 0.42-0.73 of the width; read without the
 * crop pad, no band is named on a photo of one dog of ../shared/validation (75) or ../shared/images (151); with the
 * pad, 1 and 4 were (floor, pavement or grass beside a dog, the pad reaching into it).
 */
const FREE_BAND_SHARE = 1 / 4;

/** The breed a reading ranks first. */
function topBreed(probs: Float64Array, breeds: readonly Breed[]): string | undefined {
  let best = 0;
  for (let i = 1; i < probs.length; i++) if ((probs[i] as number) > (probs[best] as number)) best = i;
  return breeds[best]?.id;
}

const roundBox = (box: Box): Box => ({
  left: Math.round(box.left),
  top: Math.round(box.top),
  width: Math.round(box.width),
  height: Math.round(box.height),
});

/** The crop and the whole photo, equally weighted. */
function blend(crop: ViewReading, whole: ViewReading): ViewReading {
  const gate = crop.gate && whole.gate ? averageReadings([crop.gate, whole.gate]) : crop.gate;
  return { breed: averageReadings([crop.breed, whole.breed]), gate };
}
