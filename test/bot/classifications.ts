/**
 * Classifications made by hand, in the vision core's shape, for tests of what the bot says and sends about them
 * (one dog, several, a sure group) without depending on what the model answers for a given photo.
 */
import type { Box, Classification, DogAnswer, GroupGuess } from '../../src/vision/classification.ts';
import type { Breed, BreedGuess } from '../../src/vision/index.ts';

/** A breed guess as the classifier gives it. */
export function guess(breeds: readonly Breed[], breed: string, p: number): BreedGuess {
  const known = breeds.find((b) => b.id === breed);
  if (!known) throw new Error(`no breed ${breed}`);
  return { breed, name: known.name, wikipedia: known.wikipedia, p };
}

/** One dog found by the detector at `box`. */
export function dog(
  top: BreedGuess[],
  box: Box | null,
  extra: { isDog?: boolean; group?: GroupGuess } = {},
): DogAnswer {
  return {
    box,
    detected: box === null ? null : { label: 'dog', score: 0.9 },
    isDog: extra.isDog ?? true,
    dogScore: 0.95,
    top,
    group: extra.group ?? null,
  };
}

/** A classification of a `photo`-sized picture naming `dogs` (left to right); the first is the main dog. */
export function classification(
  dogs: DogAnswer[],
  options: { photo?: { width: number; height: number }; moreDogs?: number; mainDog?: number } = {},
): Classification {
  const mainDog = dogs.length === 0 ? null : (options.mainDog ?? 0);
  const main = mainDog === null ? undefined : dogs[mainDog];
  return {
    isDog: main?.isDog ?? false,
    dogScore: main?.dogScore ?? 0.01,
    top: main?.top ?? [],
    group: main?.group ?? null,
    dogs,
    mainDog,
    moreDogs: options.moreDogs ?? 0,
    photo: options.photo ?? { width: 800, height: 400 },
    model: 'mobilenetv2-imagenet',
    gateModel: 'mobilenetv2-imagenet',
    detector: dogs.some((d) => d.box !== null) ? 'yolox-nano-coco' : null,
    ms: { preprocess: 1, inference: 1, total: 2 },
  };
}

/** The whole-photo answer (no detector box) about one dog with these guesses. */
export function oneDog(top: BreedGuess[], group?: GroupGuess): Classification {
  return classification([dog(top, null, group ? { group } : {})]);
}
