/**
 * Model manifests: one JSON file per model in the models directory, describing the .onnx file (where it comes from,
 * its checksum) and its contract (how to turn a photo into its input tensor, how to read its output).
 * Validated at load, so a bad manifest fails at start-up with the field that is wrong, not at the first photo.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
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
    dogClasses: z
      .object({ from: z.number().int().min(0).max(999), to: z.number().int().min(0).max(999) })
      .refine((r) => r.from <= r.to, 'from must not be above to'),
    breedClasses: z.record(z.string(), z.number().int().min(0).max(999)),
  }),
  /** One value per breed, in the label file's order: softmax probabilities or raw logits. */
  z.object({ name: z.string().min(1), kind: z.enum(['breed-probs', 'breed-logits']) }),
]);

export const manifestSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, dots, dashes'),
  description: z.string(),
  /** The .onnx file, relative to the models directory. */
  file: z.string().min(1),
  /** null while the file is not pinned (a model produced locally by training/, before its export writes it). */
  sha256: sha256.nullable(),
  sizeBytes: z.number().int().positive().nullable(),
  /** Where `model:pull` fetches the file from: an https/http/file URL or a path; null when there is none. */
  source: z.string().min(1).nullable(),
  licence: z.string().min(1),
  /** The breed label file, relative to the models directory. */
  labels: z.string().min(1),
  input: inputSchema,
  output: outputSchema,
});

export type ModelManifest = z.infer<typeof manifestSchema>;
export type InputSpec = ModelManifest['input'];
export type OutputSpec = ModelManifest['output'];
export type ResizePolicy = InputSpec['resize'];
export type Normalization = InputSpec['normalize'];

/** A manifest with the absolute paths it refers to. */
export interface ResolvedManifest extends ModelManifest {
  /** The manifest file itself. */
  manifestPath: string;
  /** Absolute path of the .onnx file. */
  modelPath: string;
  /** Absolute path of the label file. */
  labelsPath: string;
}

/** Explains the first problems zod found, naming each field by its path (`input.normalize.std.1`). */
export function describeIssues(error: z.ZodError, max = 3): string {
  return error.issues
    .slice(0, max)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

/**
 * Loads and validates a manifest. `ref` is a manifest id (looked up as `<modelsDir>/<id>.json`) or a path to a
 * manifest file.
 */
export async function loadManifest(ref: string, modelsDir: string): Promise<ResolvedManifest> {
  const manifestPath =
    ref.endsWith('.json') || ref.includes('/') || ref.includes(path.sep)
      ? path.resolve(ref)
      : path.resolve(modelsDir, `${ref}.json`);
  let text: string;
  try {
    text = await readFile(manifestPath, 'utf8');
  } catch {
    throw new ModelError(
      `No model manifest "${ref}" (looked for ${manifestPath}). Known models are the *.json files in ${path.resolve(modelsDir)}.`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ModelError(`Model manifest ${manifestPath} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    throw new ModelError(`Model manifest ${manifestPath} is invalid: ${describeIssues(parsed.error)}`);
  }
  const dir = path.dirname(manifestPath);
  return {
    ...parsed.data,
    manifestPath,
    modelPath: path.resolve(dir, parsed.data.file),
    labelsPath: path.resolve(dir, parsed.data.labels),
  };
}
