/**
 * What the vision core says about a photo: the dogs it found (each with a box, a dog score and its most likely breeds)
 * and, at the top level, the main dog — so a caller that wants one answer reads `top`, and one that can show several
 * reads `dogs`.
 */
import type { BreedGuess, NamedGuess } from './postprocess.ts';

/** A rectangle in the photo's pixels (after EXIF orientation), origin at the top-left corner. */
export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** The breed group (FCI group id such as `fci-3`) holding the largest share of the probability, and that share. */
export interface GroupGuess {
  group: string;
  p: number;
}

/** One dog in the photo and what the models say about it. */
export interface DogAnswer {
  /** Where the dog is; null when the answer is for the whole photo (no detector, or it found no animal). */
  box: Box | null;
  /** The detector's class for the box (`dog`, or `bear`/`sheep`/… for a shaggy dog) and its score; null without a box. */
  detected: { label: string; score: number } | null;
  /** The gate's verdict for this dog (or a confident detector `dog` box). */
  isDog: boolean;
  /** Probability that this view shows a dog, 0–1; null without a gate. */
  dogScore: number | null;
  /** Most likely breeds first; given even when isDog is false. */
  top: BreedGuess[];
  /** The breed group most of the probability falls in; null when the classifier was given no groups. */
  group: GroupGuess | null;
}

export interface Classification {
  /** The main dog (the largest one found, else the whole photo): its verdict, dog score, breeds and group. */
  isDog: boolean;
  dogScore: number | null;
  top: BreedGuess[];
  group: GroupGuess | null;
  /** The dogs named, left to right (the numbers people see); empty when the photo shows no dog. */
  dogs: DogAnswer[];
  /** Index of the main dog in `dogs`; null when `dogs` is empty. */
  mainDog: number | null;
  /** Further candidate dogs found beyond MAX_DOGS, not named. */
  moreDogs: number;
  /** The photo's size after EXIF orientation: the frame the boxes are in. */
  photo: { width: number; height: number };
  model: string;
  gateModel: string | null;
  /** The detector used; null when none ran. */
  detector: string | null;
  ms: { preprocess: number; inference: number; total: number };
}

/** A dog as results files and `classify --json` carry it: the guesses without their links. */
export interface DogSummary {
  box: Box | null;
  detected: DogAnswer['detected'];
  isDog: boolean;
  dogScore: number | null;
  top: NamedGuess[];
}

export function summarizeDogs(result: Pick<Classification, 'dogs'>): DogSummary[] {
  return result.dogs.map(({ box, detected, isDog, dogScore, top }) => ({
    box,
    detected,
    isDog,
    dogScore,
    top: top.map(({ breed, name, p }) => ({ breed, name, p })),
  }));
}
