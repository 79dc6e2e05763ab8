/**
 * The breed label file (`models/breeds.json`): the one list of breed names. Its `breeds` are Kaggle's 120 in the
 * class order of breed models; `moreImageNetBreeds` are breeds some ImageNet models also know. A model names the 120
 * and, when its output is ImageNet's 1000 classes, those further breeds its manifest maps (`modelBreeds`).
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { describeIssues } from '../operator-error.ts';
import { ModelError } from './errors.ts';
import type { ResolvedManifest } from './manifest.ts';

const breedSchema = z.object({
  /** Kaggle dog-breed-identification id (`golden_retriever`, `shih-tzu`), or the ImageNet class name beyond them. */
  id: z.string().regex(/^[a-z][a-z_-]*$/),
  /** What people call it: "Golden Retriever", "Shih Tzu". */
  name: z.string().min(1),
  wikipedia: z.url().startsWith('https://en.wikipedia.org/wiki/'),
});

const labelFileSchema = z
  .object({
    breeds: z.array(breedSchema).min(2),
    moreImageNetBreeds: z.array(breedSchema).default([]),
  })
  .refine(
    (file) => {
      const ids = [...file.breeds, ...file.moreImageNetBreeds].map((b) => b.id);
      return new Set(ids).size === ids.length;
    },
    { message: 'breed ids must be unique (in breeds and moreImageNetBreeds together)', path: ['breeds'] },
  );

export type Breed = z.infer<typeof breedSchema>;
export type LabelFile = z.infer<typeof labelFileSchema>;
/** What of a manifest decides its breeds. */
type ModelLabels = Pick<ResolvedManifest, 'output' | 'labelsPath' | 'manifestPath'>;

export async function loadLabelFile(file: string): Promise<LabelFile> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new ModelError(`Cannot read the breed label file ${file}: ${(error as Error).message}`);
  }
  const parsed = labelFileSchema.safeParse(json);
  if (!parsed.success) throw new ModelError(`Breed label file ${file} is invalid: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** The label file's `breeds`: the class order of breed models (breed-probs, breed-logits). */
export async function loadBreeds(file: string): Promise<readonly Breed[]> {
  return (await loadLabelFile(file)).breeds;
}

/**
 * The breeds a model names, in its order: the label file's `breeds`, then (ImageNet logits only) those of
 * `moreImageNetBreeds` that its `output.breedClasses` maps. Every mapped id must be a breed of the label file, and
 * every one of `breeds` mapped: a typo in a manifest fails here, at start-up, naming the id.
 */
export function breedsOfModel(manifest: ModelLabels, labels: LabelFile): Breed[] {
  const { output } = manifest;
  if (output.kind !== 'imagenet-1k-logits') return [...labels.breeds];
  const known = new Set([...labels.breeds, ...labels.moreImageNetBreeds].map((b) => b.id));
  const unknown = Object.keys(output.breedClasses).filter((id) => !known.has(id));
  const unmapped = labels.breeds.filter((b) => output.breedClasses[b.id] === undefined).map((b) => b.id);
  if (unknown.length > 0 || unmapped.length > 0) {
    throw new ModelError(
      `Model manifest ${manifest.manifestPath} is invalid: output.breedClasses does not match ${manifest.labelsPath}` +
        `${unknown.length ? `; not a breed there: ${unknown.join(', ')}` : ''}` +
        `${unmapped.length ? `; no class for breed: ${unmapped.join(', ')}` : ''}`,
    );
  }
  return [...labels.breeds, ...labels.moreImageNetBreeds.filter((b) => output.breedClasses[b.id] !== undefined)];
}

/** Reads the manifest's label file and returns the breeds that model names (`breedsOfModel`). */
export async function loadModelBreeds(manifest: ModelLabels): Promise<Breed[]> {
  return breedsOfModel(manifest, await loadLabelFile(manifest.labelsPath));
}
