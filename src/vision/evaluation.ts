/**
 * Accuracy over labelled photos: top-1 / top-3 over the dog photos, how many dogs and non-dogs the gate lets
 * through, and the breed pairs confused most often. Labels are breed ids or `not_dog`.
 */
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
      .sort((a, b) => b.count - a.count || a.label.localeCompare(b.label))
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
