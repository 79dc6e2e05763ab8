/**
 * The frames of a clip read together into one answer. Pure: each frame's Classification (with every breed's
 * probability in `top`) in, one Classification out, so that the rules can be tested without a model.
 *
 * - A dog when at least two frames say dog (or every frame, when fewer than two were read): one frame can be fooled.
 * - How many dogs: the count most dog-frames agree on (a tie goes to the fewer: a second dog must be seen, not guessed).
 * - One dog: its breeds averaged over every frame that saw a dog; a cat in the other frames does not dilute them.
 * - Several: dog i (left to right) averaged over the frames that agree on the count.
 * - The frame shown: the surest of those frames (its main dog's top breed the most probable).
 */
import type { Classification, DogAnswer } from '../classification.ts';
import type { Breed } from '../labels.ts';
import { type BreedGuess, topK } from '../postprocess.ts';

export interface ReadFrame {
  atS: number;
  jpeg: Buffer;
  result: Classification;
}

/** How many breeds an answer names, as a photo's does. */
export const TOP_BREEDS = 3;

/** Fewest frames that must say dog before the clip is called one of a dog. */
const DOG_FRAMES_NEEDED = 2;

export interface VideoAnswer {
  classification: Classification;
  shown: ReadFrame;
}

/** `top` (any order, any length) as probabilities in the breeds' order; breeds it leaves out count 0. */
function probsOf(top: readonly BreedGuess[], index: ReadonlyMap<string, number>, size: number): Float64Array {
  const probs = new Float64Array(size);
  for (const guess of top) {
    const i = index.get(guess.breed);
    if (i !== undefined) probs[i] = guess.p;
  }
  return probs;
}

/** The element-wise mean of the guesses' distributions, as the TOP_BREEDS most likely, re-sorted. */
function averageTop(tops: readonly (readonly BreedGuess[])[], breeds: readonly Breed[]): BreedGuess[] {
  const index = new Map(breeds.map((breed, i) => [breed.id, i]));
  const mean = new Float64Array(breeds.length);
  for (const top of tops) {
    const probs = probsOf(top, index, breeds.length);
    for (let i = 0; i < mean.length; i++) mean[i] = (mean[i] as number) + (probs[i] as number) / tops.length;
  }
  return topK(mean, breeds, TOP_BREEDS);
}

const sureness = (frame: ReadFrame) => frame.result.top[0]?.p ?? 0;
const dogCount = (frame: ReadFrame) => Math.max(1, frame.result.dogs.length);

function surest(frames: readonly ReadFrame[]): ReadFrame {
  return frames.reduce((a, b) => (sureness(b) > sureness(a) ? b : a), frames[0] as ReadFrame);
}

/** The count most frames agree on; a tie goes to the fewer dogs. */
function agreedCount(frames: readonly ReadFrame[]): number {
  const votes = new Map<number, number>();
  for (const frame of frames) votes.set(dogCount(frame), (votes.get(dogCount(frame)) ?? 0) + 1);
  let best = 1;
  let bestVotes = 0;
  for (const [count, n] of [...votes].sort((a, b) => a[0] - b[0])) {
    if (n > bestVotes) [best, bestVotes] = [count, n];
  }
  return best;
}

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/** The dogs' answers over the agreeing frames: dog i's breeds averaged across them, the rest from the shown frame. */
function dogsOf(shown: ReadFrame, agreeing: readonly ReadFrame[], breeds: readonly Breed[]): DogAnswer[] {
  return shown.result.dogs.map((dog, i) => ({
    ...dog,
    top: averageTop(
      agreeing.map((frame) => frame.result.dogs[i]?.top ?? []),
      breeds,
    ),
  }));
}

/** Every frame's time added up; `total` is the caller's, who knows the wall time. */
function summedMs(frames: readonly ReadFrame[]): Classification['ms'] {
  const sum = (pick: (ms: Classification['ms']) => number) => frames.reduce((t, f) => t + pick(f.result.ms), 0);
  return { preprocess: sum((ms) => ms.preprocess), inference: sum((ms) => ms.inference), total: sum((ms) => ms.total) };
}

/** The clip's answer; `frames` must not be empty. */
export function readFramesTogether(frames: readonly ReadFrame[], breeds: readonly Breed[]): VideoAnswer {
  if (frames.length === 0) throw new Error('no frames to read');
  const ms = summedMs(frames);
  const dogFrames = frames.filter((frame) => frame.result.isDog);
  const isDog = dogFrames.length >= Math.min(DOG_FRAMES_NEEDED, frames.length);
  if (!isDog) {
    const shown = surest(frames.filter((frame) => !frame.result.isDog));
    const { result } = shown;
    return {
      shown,
      classification: { ...result, top: result.top.slice(0, TOP_BREEDS), dogs: [], mainDog: null, moreDogs: 0, ms },
    };
  }
  const count = agreedCount(dogFrames);
  const agreeing = dogFrames.filter((frame) => dogCount(frame) === count);
  const shown = surest(agreeing);
  const { result } = shown;
  // One dog: the main dog of every dog-frame, whatever else a frame saw; several: only the frames that saw as many.
  const top = averageTop(
    (count === 1 ? dogFrames : agreeing).map((frame) => frame.result.top),
    breeds,
  );
  const dogs = count === 1 ? result.dogs.map((dog) => ({ ...dog, top })) : dogsOf(shown, agreeing, breeds);
  const mainDog = result.mainDog;
  const scores = dogFrames.map((frame) => frame.result.dogScore).filter((score): score is number => score !== null);
  return {
    shown,
    classification: {
      ...result,
      isDog: true,
      dogScore: scores.length > 0 ? mean(scores) : null,
      top: count === 1 ? top : (dogs[mainDog ?? 0]?.top ?? top),
      // `group` stays the shown frame's: the breed groups are the classifier's, and a group of an average is
      // no truer than the surest frame's.
      dogs,
      ms,
    },
  };
}
