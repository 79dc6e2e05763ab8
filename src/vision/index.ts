/** The vision core: photo bytes → is it a dog, and its most likely breeds. */
export {
  type Classification,
  Classifier,
  type ClassifierOptions,
  type ClassifyOptions,
  DEFAULT_GATE_MODEL,
} from './classifier.ts';
export { ImageInputError, type ImageInputProblem, isImageInputError, ModelError } from './errors.ts';
export { type Breed, loadBreeds } from './labels.ts';
export { describeIssues, loadManifest, type ModelManifest, type ResolvedManifest } from './manifest.ts';
export type { Device } from './model/index.ts';
export { pullModelFile, verifyModelFile } from './model-file.ts';
export type { BreedGuess } from './postprocess.ts';
export { DEFAULT_DECODE_LIMITS, type DecodeLimits, type ImageSource } from './preprocess/index.ts';
