/** Where tests find the project's models and the shared test photos. */
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const MODELS_DIR = path.join(ROOT, 'models');
/** Labelled photos shared beside the checkout (never committed): `../shared/images`, or DOG_IMAGES_DIR. */
export const IMAGES_DIR = process.env.DOG_IMAGES_DIR ?? path.resolve(ROOT, '../shared/images');
export const LABELS_CSV = path.join(IMAGES_DIR, 'labels.csv');

export function image(relative: string): string {
  return path.join(IMAGES_DIR, relative);
}
