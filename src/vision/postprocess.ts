/**
 * Model output → what people are told: the dog score (the not-a-dog gate) and a probability for each of the 120
 * breeds, whatever kind of output the model has.
 */
import type { Breed } from './labels.ts';
import type { OutputSpec } from './manifest.ts';

/** Numerically stable softmax over `values[indices]` (or all values). */
export function softmax(values: ArrayLike<number>, indices?: readonly number[]): Float64Array {
  const n = indices?.length ?? values.length;
  const at = (i: number): number => values[indices ? (indices[i] as number) : i] as number;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) max = Math.max(max, at(i));
  const out = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const e = Math.exp(at(i) - max);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < n; i++) out[i] = (out[i] as number) / sum;
  return out;
}

/** A breed and its probability: the one shape a guess has wherever it is kept (jobs, history, answers, feedback). */
export interface Guess {
  /** Kaggle id, e.g. `golden_retriever`. */
  breed: string;
  /** Probability over the 120 breeds, 0–1. */
  p: number;
}

/** A guess as the classifier returns it, with what people are shown. */
export interface BreedGuess extends Guess {
  /** Display name, e.g. "Golden Retriever". */
  name: string;
  wikipedia: string;
}

/** A guess with its name, as results files and `classify --json` carry it. */
export type NamedGuess = Omit<BreedGuess, 'wikipedia'>;

/** Just the breeds and probabilities of `top`: what is kept of an answer. */
export function guessesOf(top: readonly Guess[]): Guess[] {
  return top.map(({ breed, p }) => ({ breed, p }));
}

/** The k most likely breeds, most likely first; ties keep label order. */
export function topK(probs: ArrayLike<number>, breeds: readonly Breed[], k: number): BreedGuess[] {
  const indices = Array.from({ length: probs.length }, (_, i) => i);
  indices.sort((a, b) => (probs[b] as number) - (probs[a] as number) || a - b);
  return indices.slice(0, Math.min(k, indices.length)).map((i) => {
    const breed = breeds[i] as Breed;
    return { breed: breed.id, name: breed.name, p: probs[i] as number, wikipedia: breed.wikipedia };
  });
}

/** What one row of model output says, before any gate from another model. */
export interface OutputReading {
  /** Probability of each breed, in label order, summing to 1. */
  breedProbs: Float64Array;
  /** Share of the probability on dog classes (0–1); null when the model cannot tell (breed-only models). */
  dogScore: number | null;
}

/** Interprets model outputs; built once per model (index lists precomputed). */
export class OutputReader {
  readonly size: number;
  private readonly breedIndices: number[] | undefined;
  private readonly dogRange: { from: number; to: number } | undefined;
  /** Classes inside the dog range that are no dogs (a wolf is no dog, however alike). */
  private readonly notDogs: readonly number[] = [];

  constructor(
    private readonly spec: OutputSpec,
    breeds: readonly Breed[],
  ) {
    if (spec.kind === 'imagenet-1k-logits') {
      this.size = 1000;
      this.breedIndices = breeds.map((breed) => {
        const index = spec.breedClasses[breed.id];
        if (index === undefined) throw new Error(`output.breedClasses has no class for breed "${breed.id}"`);
        return index;
      });
      this.dogRange = spec.dogClasses;
      this.notDogs = (spec.dogClasses.except ?? []).filter((i) => i >= spec.dogClasses.from && i <= spec.dogClasses.to);
    } else {
      this.size = breeds.length;
    }
  }

  /** Reads one row (`size` values). */
  read(row: ArrayLike<number>): OutputReading {
    if (row.length !== this.size) throw new Error(`expected ${this.size} outputs, got ${row.length}`);
    switch (this.spec.kind) {
      case 'imagenet-1k-logits': {
        const all = softmax(row);
        let dogScore = 0;
        const range = this.dogRange as { from: number; to: number };
        for (let i = range.from; i <= range.to; i++) dogScore += all[i] as number;
        for (const i of this.notDogs) dogScore -= all[i] as number;
        return { breedProbs: softmax(row, this.breedIndices), dogScore: Math.min(1, Math.max(0, dogScore)) };
      }
      case 'breed-logits':
        return { breedProbs: softmax(row), dogScore: null };
      case 'breed-probs': {
        // Already a softmax; renormalise so float error or a missing class never makes the sum drift from 1.
        const probs = Float64Array.from(row, (v) => Math.max(0, v));
        const sum = probs.reduce((a, b) => a + b, 0) || 1;
        return { breedProbs: probs.map((v) => v / sum), dogScore: null };
      }
    }
  }
}

/** Element-wise mean of readings (test-time augmentation). */
export function averageReadings(readings: readonly OutputReading[]): OutputReading {
  const first = readings[0];
  if (first === undefined) throw new Error('no readings to average');
  const breedProbs = new Float64Array(first.breedProbs.length);
  for (const r of readings) {
    for (let i = 0; i < breedProbs.length; i++) {
      breedProbs[i] = (breedProbs[i] as number) + (r.breedProbs[i] as number) / readings.length;
    }
  }
  const dogScore =
    first.dogScore === null ? null : readings.reduce((sum, r) => sum + (r.dogScore ?? 0), 0) / readings.length;
  return { breedProbs, dogScore };
}

/**
 * Temperature scaling of a distribution: p ∝ p^(1/T), the same as dividing its logits by T. T > 1 softens
 * over-confident percentages, T < 1 sharpens; T = 1 returns `probs` as it is.
 */
export function temper(probs: Float64Array, temperature: number): Float64Array {
  if (temperature === 1) return probs;
  let max = Number.NEGATIVE_INFINITY;
  for (const p of probs) max = Math.max(max, p);
  // Relative to the largest, so tiny probabilities do not underflow before normalising.
  const out = probs.map((p) => (p > 0 ? (p / max) ** (1 / temperature) : 0));
  const sum = out.reduce((a, b) => a + b, 0);
  return out.map((v) => v / sum);
}

/** The group holding the most probability, given each breed's group; breeds without one count for none. */
export function topGroup(
  probs: ArrayLike<number>,
  breeds: readonly Breed[],
  groupOf: ReadonlyMap<string, string>,
): { group: string; p: number } | null {
  const mass = new Map<string, number>();
  breeds.forEach((breed, i) => {
    const group = groupOf.get(breed.id);
    if (group !== undefined) mass.set(group, (mass.get(group) ?? 0) + (probs[i] as number));
  });
  let best: { group: string; p: number } | null = null;
  for (const [group, p] of mass) if (best === null || p > best.p) best = { group, p };
  return best;
}
