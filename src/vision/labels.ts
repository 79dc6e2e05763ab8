/** The breed label file (`models/breeds.json`): the 120 breeds, their display names and Wikipedia links. */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { describeIssues } from '../operator-error.ts';
import { ModelError } from './errors.ts';

const breedSchema = z.object({
  /** Kaggle dog-breed-identification id: `golden_retriever`, `shih-tzu`. */
  id: z.string().regex(/^[a-z][a-z_-]*$/),
  /** What people call it: "Golden Retriever", "Shih Tzu". */
  name: z.string().min(1),
  wikipedia: z.url().startsWith('https://en.wikipedia.org/wiki/'),
});

const labelFileSchema = z.object({
  breeds: z
    .array(breedSchema)
    .min(2)
    .refine((breeds) => new Set(breeds.map((b) => b.id)).size === breeds.length, 'breed ids must be unique'),
});

export type Breed = z.infer<typeof breedSchema>;

export async function loadBreeds(file: string): Promise<readonly Breed[]> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new ModelError(`Cannot read the breed label file ${file}: ${(error as Error).message}`);
  }
  const parsed = labelFileSchema.safeParse(json);
  if (!parsed.success) throw new ModelError(`Breed label file ${file} is invalid: ${describeIssues(parsed.error)}`);
  return parsed.data.breeds;
}
