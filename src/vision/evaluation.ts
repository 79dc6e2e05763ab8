/**
 * Accuracy over labelled photos: top-1 / top-3 over the dog photos, how many dogs and non-dogs the gate lets
 * through, and the breed pairs confused most often. Labels are breed ids or `not_dog`. And whether the percentages
 * mean what they say (expected calibration error), with the temperature that makes them so.
 */
import { temper } from './postprocess.ts';

/** What a tally needs of a result: a Classification, or a batch job's result. */
export interface ScoredResult {
  isDog: boolean;
  top: readonly { breed: string }[];
}

export const NOT_DOG = 'not_dog';

export interface EvaluationSummary {
  images: number;
  dogs: number;
  notDogs: number;
  failed: number;
  /** Over dog photos: the right breed first / among the first three. */
  top1: number;
  top3: number;
  /** Share of dog photos the gate calls dogs (want high), of non-dog photos it calls dogs (want low). */
  dogsPassingGate: number;
  notDogsPassingGate: number;
  /** Most frequent (true → predicted) top-1 mistakes. */
  confusedPairs: { label: string; predicted: string; count: number }[];
}

const ratio = (n: number, d: number): number => (d === 0 ? 0 : n / d);

export class EvaluationTally {
  private dogs = 0;
  private notDogs = 0;
  private failed = 0;
  private top1 = 0;
  private top3 = 0;
  private dogsPassing = 0;
  private notDogsPassing = 0;
  private readonly confusions = new Map<string, number>();

  add(label: string, result: ScoredResult): void {
    if (label === NOT_DOG) {
      this.notDogs++;
      if (result.isDog) this.notDogsPassing++;
      return;
    }
    this.dogs++;
    if (result.isDog) this.dogsPassing++;
    const ids = result.top.map((g) => g.breed);
    if (ids[0] === label) this.top1++;
    else {
      const key = `${label}\u0000${ids[0] ?? '?'}`;
      this.confusions.set(key, (this.confusions.get(key) ?? 0) + 1);
    }
    if (ids.slice(0, 3).includes(label)) this.top3++;
  }

  addFailure(): void {
    this.failed++;
  }

  summary(maxPairs = 5): EvaluationSummary {
    const confusedPairs = [...this.confusions.entries()]
      .map(([key, count]) => {
        const [label = '', predicted = ''] = key.split('\u0000');
        return { label, predicted, count };
      })
      // Ties in label and predicted order, so a run's order never depends on which photo finished first.
      .sort((a, b) => b.count - a.count || a.label.localeCompare(b.label) || a.predicted.localeCompare(b.predicted))
      .slice(0, maxPairs);
    return {
      images: this.dogs + this.notDogs + this.failed,
      dogs: this.dogs,
      notDogs: this.notDogs,
      failed: this.failed,
      top1: ratio(this.top1, this.dogs),
      top3: ratio(this.top3, this.dogs),
      dogsPassingGate: ratio(this.dogsPassing, this.dogs),
      notDogsPassingGate: ratio(this.notDogsPassing, this.notDogs),
      confusedPairs,
    };
  }
}

/** One labelled dog photo's final breed distribution (label order), for calibration. */
export interface CalibrationSample {
  probs: Float64Array;
  /** Index of the true breed in `probs`. */
  label: number;
}

/** The top breed's probability at `temperature`, and whether it is the true breed. */
function statedTop(s: CalibrationSample, temperature: number): { p: number; right: boolean } {
  const probs = temper(s.probs, temperature);
  let best = 0;
  for (let i = 1; i < probs.length; i++) if ((probs[i] as number) > (probs[best] as number)) best = i;
  return { p: probs[best] as number, right: best === s.label };
}

/** One band of stated top-1 probability: how many answers fell in it, how many were right, their mean stated. */
export interface ReliabilityBin {
  from: number;
  to: number;
  count: number;
  right: number;
  /** right / count; 0 for an empty band. */
  accuracy: number;
  /** Mean stated top-1 probability in the band; 0 for an empty band. */
  meanStated: number;
}

export interface Reliability {
  temperature: number;
  samples: number;
  /** Mean stated top-1 probability, and the share of answers that are right: calibrated when they agree. */
  meanStated: number;
  accuracy: number;
  bins: ReliabilityBin[];
  /** Answers stated at or above `confidentFrom`: how many, and the share of them that are right. */
  confident: { from: number; count: number; accuracy: number };
}

/** The bands a person reads: a guess, a lean, likely, sure. Each band holds [from, to), the last one includes 1. */
export const RELIABILITY_EDGES: readonly number[] = [0, 0.5, 0.7, 0.9, 1];

/** Whether the stated percentages mean what they say, read as a few wide bands rather than ECE's many thin bins. */
export function reliability(
  samples: readonly CalibrationSample[],
  temperature = 1,
  edges: readonly number[] = RELIABILITY_EDGES,
  confidentFrom = 0.7,
): Reliability {
  const bins: ReliabilityBin[] = [];
  for (let i = 0; i + 1 < edges.length; i++) {
    bins.push({ from: edges[i] as number, to: edges[i + 1] as number, count: 0, right: 0, accuracy: 0, meanStated: 0 });
  }
  let stated = 0;
  let right = 0;
  let confident = 0;
  let confidentRight = 0;
  for (const s of samples) {
    const top = statedTop(s, temperature);
    stated += top.p;
    if (top.right) right++;
    if (top.p >= confidentFrom) {
      confident++;
      if (top.right) confidentRight++;
    }
    const bin = bins.find((b, i) => top.p < b.to || i === bins.length - 1);
    if (bin) {
      bin.count++;
      bin.meanStated += top.p;
      if (top.right) bin.right++;
    }
  }
  for (const b of bins) {
    b.accuracy = ratio(b.right, b.count);
    b.meanStated = ratio(b.meanStated, b.count);
  }
  return {
    temperature,
    samples: samples.length,
    meanStated: ratio(stated, samples.length),
    accuracy: ratio(right, samples.length),
    bins,
    confident: { from: confidentFrom, count: confident, accuracy: ratio(confidentRight, confident) },
  };
}

/**
 * Expected calibration error: photos binned by the top breed's probability (equal-width bins); the gap between each
 * bin's mean confidence and its accuracy, weighted by its share of photos. 0 = "80 %" is right 80 % of the time.
 */
export function expectedCalibrationError(samples: readonly CalibrationSample[], temperature = 1, bins = 15): number {
  const count = new Array<number>(bins).fill(0);
  const confidence = new Array<number>(bins).fill(0);
  const correct = new Array<number>(bins).fill(0);
  for (const s of samples) {
    const { p, right } = statedTop(s, temperature);
    const bin = Math.min(bins - 1, Math.floor(p * bins));
    count[bin] = (count[bin] as number) + 1;
    confidence[bin] = (confidence[bin] as number) + p;
    correct[bin] = (correct[bin] as number) + (right ? 1 : 0);
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) {
    const n = count[b] as number;
    if (n > 0) ece += (n / samples.length) * Math.abs((confidence[b] as number) / n - (correct[b] as number) / n);
  }
  return ece;
}

/** Mean negative log-likelihood of the true breeds at `temperature`. */
export function meanNegativeLogLikelihood(samples: readonly CalibrationSample[], temperature: number): number {
  let sum = 0;
  for (const s of samples) sum -= Math.log(Math.max(1e-12, temper(s.probs, temperature)[s.label] as number));
  return sum / samples.length;
}

/** The temperature minimising the negative log-likelihood (golden-section search over log T in [1/20, 20]). */
export function fitTemperature(samples: readonly CalibrationSample[]): number {
  if (samples.length === 0) return 1;
  const phi = (Math.sqrt(5) - 1) / 2;
  let lo = Math.log(0.05);
  let hi = Math.log(20);
  let a = hi - phi * (hi - lo);
  let b = lo + phi * (hi - lo);
  let fa = meanNegativeLogLikelihood(samples, Math.exp(a));
  let fb = meanNegativeLogLikelihood(samples, Math.exp(b));
  for (let i = 0; i < 60; i++) {
    if (fa < fb) {
      hi = b;
      b = a;
      fb = fa;
      a = hi - phi * (hi - lo);
      fa = meanNegativeLogLikelihood(samples, Math.exp(a));
    } else {
      lo = a;
      a = b;
      fa = fb;
      b = lo + phi * (hi - lo);
      fb = meanNegativeLogLikelihood(samples, Math.exp(b));
    }
  }
  return Math.exp((lo + hi) / 2);
}
