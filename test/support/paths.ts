/** Where tests find the project's models and the shared test photos. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const MODELS_DIR = path.join(ROOT, 'models');
/** Labelled photos shared beside the checkout (never committed): `../shared/images`, or DOG_IMAGES_DIR. */
export const IMAGES_DIR = process.env.DOG_IMAGES_DIR ?? path.resolve(ROOT, '../shared/images');
export const LABELS_CSV = path.join(IMAGES_DIR, 'labels.csv');

export function image(relative: string): string {
  return path.join(IMAGES_DIR, relative);
}

/** The bytes of a shared test photo; a missing one fails the test with its path, not with another photo. */
export async function readImage(relative: string): Promise<Buffer> {
  try {
    return await readFile(image(relative));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new Error(
      `test photo missing: ${image(relative)} (the shared photos are read from ${IMAGES_DIR}; DOG_IMAGES_DIR moves them)`,
      { cause: error },
    );
  }
}

/** Labelled photos the default model was not trained on (`../shared/validation`, or DOG_VALIDATION_DIR; never committed). */
export const VALIDATION_DIR = process.env.DOG_VALIDATION_DIR ?? path.resolve(ROOT, '../shared/validation');
export const VALIDATION_LABELS_CSV = path.join(VALIDATION_DIR, 'labels.csv');

/** The bytes of a validation photo (`dogs/…`, `not-dogs/…`); a missing one fails the test with its path. */
export async function readValidationImage(relative: string): Promise<Buffer> {
  const file = path.join(VALIDATION_DIR, relative);
  try {
    return await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new Error(`validation photo missing: ${file} (read from ${VALIDATION_DIR}; DOG_VALIDATION_DIR moves them)`, {
      cause: error,
    });
  }
}
