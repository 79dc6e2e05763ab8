/**
 * Model manifests: one JSON file per model in the models directory, describing the .onnx file (where it comes from,
 * its checksum) and its contract (how to turn a photo into its input tensor, how to read its output).
 * Validated at load, so a bad manifest fails at start-up with the field that is wrong, not at the first photo.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { describeIssues } from '../operator-error.ts';
import { ModelError } from './errors.ts';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 is 64 lower-case hex digits');
const rgbTriple = z.tuple([z.number(), z.number(), z.number()]);

/** How pixel values 0–255 become model inputs. */
const normalizeSchema = z.discriminatedUnion('kind', [
  /** torchvision style: (pixel / 255 − mean) / std, per channel. */
  z.object({
    kind: z.literal('mean-std'),
    mean: rgbTriple,
    std: rgbTriple.refine((s) => s.every((v) => v > 0), 'every std must be above 0'),
  }),
  /** Keras style: pixel × scale + offset (Xception: 1/127.5 and −1, giving −1…1). */
  z.object({ kind: z.literal('scale-offset'), scale: z.number().positive(), offset: z.number() }),
]);

/** sharp's resampling kernels; match the one the model was trained with (PIL/torchvision: linear, Keras: nearest). */
const kernel = z.enum(['nearest', 'linear', 'cubic', 'mitchell', 'lanczos2', 'lanczos3']).default('lanczos3');

/** How a photo of any size becomes width × height. */
const resizeSchema = z.discriminatedUnion('kind', [
  /** Shorter side to `shorterSide` (≥ the input size), then the centre crop of the input size (ImageNet eval). */
  z.object({ kind: z.literal('crop'), shorterSide: z.number().int().positive().optional(), kernel }),
  /** Stretch to the input size, ignoring the aspect ratio (Keras `image.load_img(target_size=…)`). */
  z.object({ kind: z.literal('squash'), kernel }),
  /** Fit inside the input size, padding the rest with white (keeps the whole dog in view). */
  z.object({ kind: z.literal('pad'), kernel }),
]);

const inputSchema = z.object({
  name: z.string().min(1),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  layout: z.enum(['NCHW', 'NHWC']),
  channels: z.enum(['RGB', 'BGR']),
  normalize: normalizeSchema,
  resize: resizeSchema,
});

const outputSchema = z.discriminatedUnion('kind', [
  /** 1000 ImageNet logits; the breeds are some of its classes, the dog classes together are the not-a-dog gate. */
  z.object({
    name: z.string().min(1),
    kind: z.literal('imagenet-1k-logits'),
    /** The dog classes: from…to, less `except` (ImageNet's wolves and coyote lie among its dogs: 269–272). */
    dogClasses: z
      .object({
        from: z.number().int().min(0).max(999),
        to: z.number().int().min(0).max(999),
        except: z.array(z.number().int().min(0).max(999)).optional(),
      })
      .refine((r) => r.from <= r.to, 'from must not be above to'),
    breedClasses: z.record(z.string(), z.number().int().min(0).max(999)),
  }),
  /** One value per breed, in the label file's order: softmax probabilities or raw logits. */
  z.object({ name: z.string().min(1), kind: z.enum(['breed-probs', 'breed-logits']) }),
]);

/**
 * A model file made here from another one, deterministically (so both are pinned by sha256): `model pull` fetches
 * the source (installing it as `file` too, where its own manifest serves it), checks it, and derives this one.
 */
const derivedFromSchema = z.object({
  /** `dequantize-qlinear`: the float32 graph of an int8 QLinear* graph (src/vision/dequantize.ts). */
  method: z.literal('dequantize-qlinear'),
  /** The source file, relative to the models directory. */
  file: z.string().min(1),
  sha256,
  sizeBytes: z.number().int().positive(),
});

/** What every manifest says about its .onnx file, whatever kind of model it is. */
const modelFileFields = {
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, dots, dashes'),
  description: z.string(),
  /** The .onnx file, relative to the models directory. */
  file: z.string().min(1),
  /** null while the file is not pinned (a model produced locally by training/, before its export writes it). */
  sha256: sha256.nullable(),
  sizeBytes: z.number().int().positive().nullable(),
  /** Where `model:pull` fetches the file (or, when derived, its source) from: an https/http/file URL or a path. */
  source: z.string().min(1).nullable(),
  licence: z.string().min(1),
  derivedFrom: derivedFromSchema.optional(),
};

/** How a detected box becomes the classifier's input: grown by `pad` (a share of each side), then resized. */
const cropSchema = z.object({ pad: z.number().min(0).max(1), resize: resizeSchema });

export const manifestSchema = z.object({
  kind: z.literal('classifier').default('classifier'),
  ...modelFileFields,
  /** The breed label file, relative to the models directory. */
  labels: z.string().min(1),
  input: inputSchema,
  output: outputSchema,
  /** How a detector's box is cropped for this model; default: 10 % padding, squashed (measured best). */
  crop: cropSchema.default({ pad: 0.1, resize: { kind: 'squash', kernel: 'linear' } }),
  /**
   * Temperature T of the final breed distribution (p ∝ p^(1/T), i.e. logits / T): fitted so that the percentages
   * people see mean what they say (`dog-breeds eval --fit-temperature`). 1 = as the model outputs.
   */
  temperature: z.number().positive().default(1),
});

/** A detector: photo → boxes with class scores (YOLOX's raw head output; see src/vision/detect). */
export const detectorManifestSchema = z.object({
  kind: z.literal('detector'),
  ...modelFileFields,
  input: z.object({
    name: z.string().min(1),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    layout: z.literal('NCHW'),
    channels: z.enum(['RGB', 'BGR']),
    /** Letterbox: the photo scaled to fit, at the top-left corner, the rest filled with this grey level. */
    padValue: z.number().int().min(0).max(255),
    /** The export's fixed batch size: onnxruntime refuses any other (YOLOX-Nano's is 1). */
    fixedBatch: z.number().int().positive().nullable(),
  }),
  output: z.object({
    name: z.string().min(1),
    kind: z.literal('yolox-raw'),
    strides: z.array(z.number().int().positive()).min(1),
  }),
  /** Class names, in the model's output order. */
  classes: z.array(z.string().min(1)).min(1),
  /** Which boxes are candidate dogs, and when a box alone may say "dog". */
  candidates: z.object({
    /** Classes taken as candidate dogs: the detector often calls a shaggy dog a bear or a sheep. */
    classes: z.array(z.string().min(1)).min(1),
    /** Least objectness × class score for a candidate. */
    minScore: z.number().min(0).max(1),
    /**
     * Least detector score for a second, third… dog (whose crop the gate must also call a dog): parts of one dog, and
     * things beside it, score lower than whole dogs.
     */
    extraMinScore: z.number().min(0).max(1),
    /**
     * A box touching the photo's edge whose shorter side is under `edgePartMaxSideShare` of the photo's shorter side is
     * cut by the edge, a part of an animal more often than a whole one: it is named only when its crop's dog score is at
     * least `edgeMinDogScore`. (A large box at the edge is a dog filling the photo, or one of several in a row.)
     */
    edgePartMaxSideShare: z.number().min(0).max(1),
    edgeMinDogScore: z.number().min(0).max(1),
    /** Boxes overlapping a better one by more than this intersection over union are the same animal. */
    nmsIou: z.number().min(0).max(1),
    /** A box with more than this share of its area inside a better box is part of that animal, not another one. */
    maxInsideShare: z.number().min(0).max(1),
    /** A box whose shorter side is below this share of the photo's shorter side is too small to name. */
    minSideShare: z.number().min(0).max(1),
    /**
     * A `dogClass` box at least `rescueMinScore` sure makes the first dog a dog although the gate doubts it, but only
     * when the gate's dog score on its crop is at least `rescueMinDogScore` (the gate floor: a box never overrules a
     * gate that is sure it sees no dog).
     */
    dogClass: z.string().min(1),
    rescueMinScore: z.number().min(0).max(1),
    rescueMinDogScore: z.number().min(0).max(1),
  }),
});

export type ModelManifest = z.infer<typeof manifestSchema>;
export type DetectorManifest = z.infer<typeof detectorManifestSchema>;
export type InputSpec = ModelManifest['input'];
export type OutputSpec = ModelManifest['output'];
export type ResizePolicy = InputSpec['resize'];
export type Normalization = InputSpec['normalize'];
export type CropPolicy = ModelManifest['crop'];

/** Where a manifest and the files it names are. */
interface ResolvedPaths {
  /** The manifest file itself. */
  manifestPath: string;
  /** Absolute path of the .onnx file. */
  modelPath: string;
}

/** A manifest of any kind, as far as its model file goes (for `model pull`, `model list`, checksum checks). */
export type ModelFileManifest = (ModelManifest | DetectorManifest) & ResolvedPaths;

/** A classifier manifest with the absolute paths it refers to. */
export interface ResolvedManifest extends ModelManifest, ResolvedPaths {
  /** Absolute path of the label file. */
  labelsPath: string;
}

export type ResolvedDetectorManifest = DetectorManifest & ResolvedPaths;

function manifestPathOf(ref: string, modelsDir: string): string {
  return ref.endsWith('.json') || ref.includes('/') || ref.includes(path.sep)
    ? path.resolve(ref)
    : path.resolve(modelsDir, `${ref}.json`);
}

/** Reads a manifest's JSON; `ref` is a manifest id (looked up as `<modelsDir>/<id>.json`) or a path to one. */
async function readManifestJson(ref: string, modelsDir: string): Promise<{ manifestPath: string; json: unknown }> {
  const manifestPath = manifestPathOf(ref, modelsDir);
  let text: string;
  try {
    text = await readFile(manifestPath, 'utf8');
  } catch {
    throw new ModelError(
      `No model manifest "${ref}" (looked for ${manifestPath}). Known models are the *.json files in ${path.resolve(modelsDir)}.`,
    );
  }
  try {
    return { manifestPath, json: JSON.parse(text) };
  } catch (error) {
    throw new ModelError(`Model manifest ${manifestPath} is not valid JSON: ${(error as Error).message}`);
  }
}

function kindOf(json: unknown): string {
  const kind = typeof json === 'object' && json !== null ? (json as { kind?: unknown }).kind : undefined;
  return typeof kind === 'string' ? kind : 'classifier';
}

function parseAs<T>(schema: z.ZodType<T>, json: unknown, manifestPath: string): T {
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new ModelError(`Model manifest ${manifestPath} is invalid: ${describeIssues(parsed.error)}`);
  }
  return parsed.data;
}

function resolved<T extends { file: string }>(manifest: T, manifestPath: string): T & ResolvedPaths {
  return { ...manifest, manifestPath, modelPath: path.resolve(path.dirname(manifestPath), manifest.file) };
}

function classifierFrom(json: unknown, manifestPath: string): ResolvedManifest {
  if (kindOf(json) !== 'classifier') {
    throw new ModelError(`Model manifest ${manifestPath} is a ${kindOf(json)}, not a breed or gate classifier.`);
  }
  const manifest = resolved(parseAs(manifestSchema, json, manifestPath), manifestPath);
  return { ...manifest, labelsPath: path.resolve(path.dirname(manifestPath), manifest.labels) };
}

function detectorFrom(json: unknown, manifestPath: string): ResolvedDetectorManifest {
  if (kindOf(json) !== 'detector') {
    throw new ModelError(`Model manifest ${manifestPath} is a ${kindOf(json)}, not a detector.`);
  }
  const manifest = resolved(parseAs(detectorManifestSchema, json, manifestPath), manifestPath);
  const unknown = [...manifest.candidates.classes, manifest.candidates.dogClass].filter(
    (c) => !manifest.classes.includes(c),
  );
  if (unknown.length > 0) {
    throw new ModelError(
      `Model manifest ${manifestPath} is invalid: candidates name unknown classes ${unknown.join(', ')}`,
    );
  }
  return manifest;
}

/** Loads and validates a classifier manifest (breed or gate model). */
export async function loadManifest(ref: string, modelsDir: string): Promise<ResolvedManifest> {
  const { manifestPath, json } = await readManifestJson(ref, modelsDir);
  return classifierFrom(json, manifestPath);
}

/** Loads and validates a detector manifest. */
export async function loadDetectorManifest(ref: string, modelsDir: string): Promise<ResolvedDetectorManifest> {
  const { manifestPath, json } = await readManifestJson(ref, modelsDir);
  return detectorFrom(json, manifestPath);
}

/** Loads a manifest of any kind (classifier or detector), for what concerns its model file. */
export async function loadModelFileManifest(ref: string, modelsDir: string): Promise<ModelFileManifest> {
  const { manifestPath, json } = await readManifestJson(ref, modelsDir);
  return kindOf(json) === 'detector' ? detectorFrom(json, manifestPath) : classifierFrom(json, manifestPath);
}

/**
 * What makes a JSON file a model manifest: an object naming its model `file`, which every kind of manifest does (the
 * breed lists and cards beside them in the models directory name none). Whether it is a valid one is for the schema.
 */
export function isManifestJson(json: unknown): boolean {
  return typeof json === 'object' && json !== null && !Array.isArray(json) && 'file' in json;
}

/** A manifest found in the models directory, or why the file that looks like one cannot be used. */
export type FoundManifest = { file: string; manifest: ModelFileManifest } | { file: string; invalid: string };

/**
 * The manifests of the models directory (file name order): each `*.json` that is a manifest, loaded, or the reason it
 * is invalid. A file that is not JSON at all is listed as invalid (it may be a manifest with a typo); JSON that is no
 * manifest (breeds.json, breed-cards.json) is left out.
 */
export async function findManifests(modelsDir: string): Promise<FoundManifest[]> {
  const files = (await readdir(modelsDir)).filter((f) => f.endsWith('.json')).sort();
  const found: FoundManifest[] = [];
  for (const file of files) {
    const manifestPath = path.resolve(modelsDir, file);
    try {
      const { json } = await readManifestJson(manifestPath, modelsDir);
      if (!isManifestJson(json)) continue;
      found.push({
        file,
        manifest: kindOf(json) === 'detector' ? detectorFrom(json, manifestPath) : classifierFrom(json, manifestPath),
      });
    } catch (error) {
      if (!(error instanceof ModelError)) throw error;
      found.push({ file, invalid: error.message });
    }
  }
  return found;
}
