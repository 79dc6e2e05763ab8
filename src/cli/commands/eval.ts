/** `dog-breeds eval <labels.csv>`: accuracy and speed on a labelled set, with a progress bar on stderr. */
import { performance } from 'node:perf_hooks';
import cliProgress from 'cli-progress';
import {
  type Breed,
  type CalibrationSample,
  type EvaluationSummary,
  EvaluationTally,
  expectedCalibrationError,
  fitTemperature,
  type MainDogViews,
  NOT_DOG,
  topK,
} from '../../vision/index.ts';
import { forEachConcurrently, photosInFlight } from '../concurrency.ts';
import type { CliContext, ModelFlags } from '../context.ts';
import { openClassifier } from '../context.ts';
import { readInputPhoto } from '../input-photo.ts';
import { readLabelsCsv, refuseUnknownLabels } from '../labelled-files.ts';

export interface EvalFlags extends ModelFlags {
  json?: boolean;
  fitTemperature?: boolean;
}

/** Top-1 / top-3 of one view of the main dog, over the dog photos. */
interface ViewScore {
  top1: number;
  top3: number;
}

export interface EvalReport extends Omit<EvaluationSummary, 'notDogsPassingGate'> {
  /** null when the set has no non-dog photos: a rate of nothing, not 0 %. */
  notDogsPassingGate: number | null;
  model: string;
  gateModel: string | null;
  detector: string | null;
  flipAverage: boolean;
  /** The main dog scored from each view: the whole photo, its crop alone (the whole photo where none), the blend. */
  views: { wholePhoto: ViewScore; cropOnly: ViewScore; blended: ViewScore };
  /** Photos where the detector's crop decided the answer. */
  dogPhotosWithCrop: number;
  calibration: {
    /** Expected calibration error of the answers' top breed, over the dog photos, before and after the temperature. */
    eceBefore: number;
    eceAfter: number;
    /** The manifest's temperature (what `eceAfter` uses). */
    temperature: number;
    /** With --fit-temperature: the temperature that fits this set best, and its ECE. */
    fitted?: { temperature: number; ece: number };
  };
  imagesPerSecond: number;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const viewText = (v: ViewScore) => `${pct(v.top1)} / ${pct(v.top3)}`;

/** Top-1 / top-3 hits of one view, over the dog photos. */
class ViewTally {
  private hits1 = 0;
  private hits3 = 0;
  private count = 0;

  constructor(private readonly breeds: readonly Breed[]) {}

  add(probs: Float64Array, label: string): void {
    const top = topK(probs, this.breeds, 3).map((g) => g.breed);
    this.count++;
    if (top[0] === label) this.hits1++;
    if (top.includes(label)) this.hits3++;
  }

  score(): ViewScore {
    return { top1: this.count ? this.hits1 / this.count : 0, top3: this.count ? this.hits3 / this.count : 0 };
  }
}

function formatReport(r: EvalReport): string {
  const lines = [
    `model ${r.model} (gate ${r.gateModel ?? 'none'}${r.flipAverage ? ', flip-averaged' : ''})`,
    `images ${r.images}: ${r.dogs} dogs, ${r.notDogs} not dogs, ${r.failed} unreadable`,
    `top-1 ${pct(r.top1)}   top-3 ${pct(r.top3)}`,
    `gate: dogs passing ${pct(r.dogsPassingGate)}   non-dogs passing ${r.notDogsPassingGate !== null ? pct(r.notDogsPassingGate) : 'n/a (no non-dog photos)'}`,
    `views (top-1 / top-3): whole photo ${viewText(r.views.wholePhoto)}   crop only ${viewText(r.views.cropOnly)}   blended ${viewText(r.views.blended)}   (detector ${r.detector ?? 'none'}: a crop on ${r.dogPhotosWithCrop} of ${r.dogs} dog photos)`,
    `calibration: ECE ${pct(r.calibration.eceBefore)} at T=1, ${pct(r.calibration.eceAfter)} at the manifest's T=${r.calibration.temperature}` +
      (r.calibration.fitted
        ? `; fitted here: T=${r.calibration.fitted.temperature.toFixed(3)}, ECE ${pct(r.calibration.fitted.ece)}`
        : ''),
    `speed ${r.imagesPerSecond.toFixed(1)} images/s`,
  ];
  if (r.confusedPairs.length > 0) {
    lines.push('most confused (true → predicted):');
    for (const p of r.confusedPairs) lines.push(`  ${p.label} → ${p.predicted}: ${p.count}`);
  }
  return `${lines.join('\n')}\n`;
}

export async function evaluate(csvPath: string, flags: EvalFlags, context: CliContext): Promise<EvalReport> {
  const items = await readLabelsCsv(csvPath);
  const classifier = await openClassifier(context, flags);
  try {
    refuseUnknownLabels(
      csvPath,
      items,
      classifier.breeds.map((b) => b.id),
      NOT_DOG,
    );
  } catch (error) {
    await classifier.close();
    throw error;
  }
  const breedIndex = new Map(classifier.breeds.map((b, i) => [b.id, i]));
  const tally = new EvaluationTally();
  const views = {
    wholePhoto: new ViewTally(classifier.breeds),
    cropOnly: new ViewTally(classifier.breeds),
    blended: new ViewTally(classifier.breeds),
  };
  const samples: CalibrationSample[] = [];
  let dogPhotosWithCrop = 0;
  const addViews = (label: string, v: MainDogViews) => {
    const index = breedIndex.get(label);
    if (label === NOT_DOG || index === undefined) return;
    views.wholePhoto.add(v.whole.breedProbs, label);
    views.cropOnly.add((v.crop ?? v.whole).breedProbs, label);
    views.blended.add(v.final.breedProbs, label);
    if (v.crop !== null) dogPhotosWithCrop++;
    samples.push({ probs: v.final.breedProbs, label: index });
  };
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: 'eval [{bar}] {value}/{total} {percentage}% | ETA {eta}s', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(items.length, 0);
  const started = performance.now();
  try {
    await forEachConcurrently(items, photosInFlight(context.config), async ({ file, label }) => {
      try {
        const result = await classifier.classify(await readInputPhoto(file), { withViews: true });
        tally.add(label, result);
        if (result.views) addViews(label, result.views);
      } catch (error) {
        tally.addFailure();
        context.logger.warn({ file, err: error }, 'could not classify');
      }
      bar.increment();
    });
  } finally {
    bar.stop();
    await classifier.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const summary = tally.summary();
  const temperature = classifier.breedModel.manifest.temperature;
  const fitted = flags.fitTemperature ? fitTemperature(samples) : undefined;
  return {
    model: classifier.breedModel.id,
    gateModel: classifier.gateModel?.id ?? null,
    detector: classifier.detector?.id ?? null,
    flipAverage: flags.flip ?? context.config.FLIP_AVERAGE,
    ...summary,
    notDogsPassingGate: summary.notDogs > 0 ? summary.notDogsPassingGate : null,
    views: { wholePhoto: views.wholePhoto.score(), cropOnly: views.cropOnly.score(), blended: views.blended.score() },
    dogPhotosWithCrop,
    calibration: {
      eceBefore: expectedCalibrationError(samples, 1),
      eceAfter: expectedCalibrationError(samples, temperature),
      temperature,
      ...(fitted !== undefined
        ? { fitted: { temperature: fitted, ece: expectedCalibrationError(samples, fitted) } }
        : {}),
    },
    imagesPerSecond: summary.images / seconds,
  };
}

export async function evalCommand(csvPath: string, flags: EvalFlags, context: CliContext): Promise<number> {
  const report = await evaluate(csvPath, flags, context);
  context.out.write(flags.json ? `${JSON.stringify(report)}\n` : formatReport(report));
  return report.dogs + report.notDogs > 0 ? 0 : 1;
}
