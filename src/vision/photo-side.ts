/**
 * How large a photo the models need: the largest input side among the breed model, the gate and the detector, from
 * their manifests alone (no model is loaded) — so that a process that only receives photos (the bot) can pick the
 * smallest copy worth downloading.
 */
import { gateModelFor } from './classifier.ts';
import { loadDetectorManifest, loadManifest, type ResolvedManifest } from './manifest.ts';

export interface PhotoSideModels {
  modelsDir: string;
  /** The breed model (an id or a manifest path). */
  model: string;
  /** The gate model, as the classifier takes it: absent for the default, `none` for no gate. */
  gateModel?: string;
  /** The detector, or `none`. */
  detector?: string;
}

/** The side a classifier model needs: its input, or the shorter side it first scales the photo to (crop policy). */
function classifierSide(manifest: ResolvedManifest): number {
  const { width, height, resize } = manifest.input;
  const scaledTo = resize.kind === 'crop' ? (resize.shorterSide ?? 0) : 0;
  return Math.max(width, height, scaledTo);
}

/** The shorter side, in pixels, below which a photo would be scaled up for one of these models. */
export async function photoSideNeeded(models: PhotoSideModels): Promise<number> {
  const breed = await loadManifest(models.model, models.modelsDir);
  const sides = [classifierSide(breed)];
  const gateRef = gateModelFor(breed, models.gateModel);
  if (gateRef !== undefined && gateRef !== 'none')
    sides.push(classifierSide(await loadManifest(gateRef, models.modelsDir)));
  if (models.detector !== undefined && models.detector !== 'none') {
    const { input } = await loadDetectorManifest(models.detector, models.modelsDir);
    sides.push(Math.max(input.width, input.height));
  }
  return Math.max(...sides);
}
