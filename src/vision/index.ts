/** The vision core: photo bytes → is it a dog, and its most likely breeds. */
export {
  type Box,
  type Classification,
  type DogAnswer,
  type DogSummary,
  type GroupGuess,
  summarizeDogs,
} from './classification.ts';
export {
  Classifier,
  type ClassifierOptions,
  type ClassifyOptions,
  DEFAULT_GATE_MODEL,
  type MainDogViews,
} from './classifier.ts';
export { ImageInputError, type ImageInputProblem, isImageInputError, ModelError } from './errors.ts';
export {
  type CalibrationSample,
  type EvaluationSummary,
  EvaluationTally,
  expectedCalibrationError,
  fitTemperature,
  meanNegativeLogLikelihood,
  NOT_DOG,
  RELIABILITY_EDGES,
  type Reliability,
  type ReliabilityBin,
  reliability,
  type ScoredResult,
} from './evaluation.ts';
export { type Breed, breedsOfModel, type LabelFile, loadBreeds, loadLabelFile, loadModelBreeds } from './labels.ts';
export {
  type DetectorManifest,
  type FoundManifest,
  findManifests,
  isManifestJson,
  loadDetectorManifest,
  loadManifest,
  loadModelFileManifest,
  type ModelFileManifest,
  type ModelManifest,
  type ResolvedDetectorManifest,
  type ResolvedManifest,
} from './manifest.ts';
export type { Device } from './model/index.ts';
export { pullModelFile, verifyModelFile } from './model-file.ts';
export { type PhotoSideModels, photoSideNeeded } from './photo-side.ts';
export { type BreedGuess, type Guess, guessesOf, type NamedGuess, topK } from './postprocess.ts';
export type { DecodeLimits, ImageSource } from './preprocess/index.ts';
export * from './video/index.ts';
