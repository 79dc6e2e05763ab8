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
  meanNegativeLogLikelihood,
  NOT_DOG,
  type Reliability,
  reliability,
  topK,
} from '../../vision/index.ts';
import { forEachConcurrently, photosInFlight } from '../concurrency.ts';
import type { CliContext, ModelFlags } from '../context.ts';
import { openClassifier } from '../context.ts';
import { readInputPhoto } from '../input-photo.ts';
import { readLabelsCsv, refuseUnknownLabels } from '../labelled-files.ts';
import { evalPairsCommand } from './eval-pairs.ts';
import { writeReliabilityPlot } from './eval-plot.ts';

export interface EvalFlags extends ModelFlags {
  json?: boolean;
  fitTemperature?: boolean;
  /** Write the reliability diagram as a PNG here. */
  plot?: string;
}

/** Top-1 / top-3 of one view of the main dog, over the dog photos. */
interface ViewScore {
  top1: number;
  top3: number;
}

/** A top-1 mistake, by breed id and by the name a person reads. */
export interface ConfusedPair {
  label: string;
  predicted: string;
  labelName: string;
  predictedName: string;
  count: number;
}

export interface EvalReport extends Omit<EvaluationSummary, 'notDogsPassingGate' | 'confusedPairs'> {
  confusedPairs: ConfusedPair[];
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
    /** The manifest's temperature (what `eceAfter` and `reliability` use). */
    temperature: number;
    /** Mean negative log-likelihood of the true breeds at the manifest's temperature. */
    nll: number;
    /** Mean stated top-1 probability at T=1, before the temperature. */
    meanStatedAtT1: number;
    /** Stated top-1 % (after the temperature) against how often it is right, in a few bands. */
    reliability: Reliability;
    /** With --fit-temperature: the temperature that fits this set best (least NLL), and its figures. */
    fitted?: { temperature: number; ece: number; nll: number; meanStated: number };
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

const points = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} points`;

/** Whether the stated percentages mean what they say: mean stated against accuracy, the bands, ECE last. */
function calibrationLines(c: EvalReport['calibration']): string[] {
  const r = c.reliability;
  const lines = [
    `stated top-1 (T=${c.temperature}): mean ${pct(r.meanStated)} against ${pct(r.accuracy)} right (${points(r.meanStated - r.accuracy)}${c.temperature === 1 ? '' : `; at T=1 mean ${pct(c.meanStatedAtT1)}`})`,
    `reliability over ${r.samples} dog photos (stated → right):`,
  ];
  for (const b of r.bins) {
    const band = `${Math.round(b.from * 100)}–${Math.round(b.to * 100)}%`.padEnd(8);
    lines.push(
      b.count === 0
        ? `  ${band} 0 answers`
        : `  ${band} ${String(b.count).padStart(3)} answers, right ${pct(b.accuracy)} (mean stated ${pct(b.meanStated)})`,
    );
  }
  lines.push(
    `stated ≥ ${Math.round(r.confident.from * 100)}%: ${pct(r.confident.accuracy)} right (of ${r.confident.count})`,
    `ECE (15 bins, noisy at this size) ${pct(c.eceBefore)} at T=1, ${pct(c.eceAfter)} at the manifest's T=${c.temperature}; NLL ${c.nll.toFixed(3)}` +
      (c.fitted
        ? `; fitted here: T=${c.fitted.temperature.toFixed(3)} (NLL ${c.fitted.nll.toFixed(3)}), ECE ${pct(c.fitted.ece)}, mean stated ${pct(c.fitted.meanStated)}`
        : ''),
  );
  return lines;
}

function formatReport(r: EvalReport): string {
  const lines = [
    `model ${r.model} (gate ${r.gateModel ?? 'none'}${r.flipAverage ? ', flip-averaged' : ''})`,
    `images ${r.images}: ${r.dogs} dogs, ${r.notDogs} not dogs, ${r.failed} unreadable`,
    `top-1 ${pct(r.top1)}   top-3 ${pct(r.top3)}`,
    `gate: dogs passing ${pct(r.dogsPassingGate)}   non-dogs passing ${r.notDogsPassingGate !== null ? pct(r.notDogsPassingGate) : 'n/a (no non-dog photos)'}`,
    `views (top-1 / top-3): whole photo ${viewText(r.views.wholePhoto)}   crop only ${viewText(r.views.cropOnly)}   blended ${viewText(r.views.blended)}   (detector ${r.detector ?? 'none'}: a crop on ${r.dogPhotosWithCrop} of ${r.dogs} dog photos)`,
    ...calibrationLines(r.calibration),
    `speed ${r.imagesPerSecond.toFixed(1)} images/s`,
  ];
  if (r.confusedPairs.length > 0) {
    lines.push('most confused (true → predicted):');
    for (const p of r.confusedPairs) lines.push(`  ${p.labelName} → ${p.predictedName}: ${p.count}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The confused pairs with the names a person reads beside the ids. */
function namedPairs(pairs: EvaluationSummary['confusedPairs'], breeds: readonly Breed[]): ConfusedPair[] {
  const nameOf = new Map(breeds.map((b) => [b.id, b.name]));
  return pairs.map((p) => ({
    ...p,
    labelName: nameOf.get(p.label) ?? p.label,
    predictedName: nameOf.get(p.predicted) ?? p.predicted,
  }));
}

/** Whether the main dog's stated % means what it says, at T=1, at the manifest's T and (when asked) at the best fit. */
function calibrationOf(
  samples: readonly CalibrationSample[],
  temperature: number,
  fit: boolean,
): EvalReport['calibration'] {
  const fitted = fit ? fitTemperature(samples) : undefined;
  return {
    eceBefore: expectedCalibrationError(samples, 1),
    eceAfter: expectedCalibrationError(samples, temperature),
    temperature,
    nll: meanNegativeLogLikelihood(samples, temperature),
    meanStatedAtT1: reliability(samples, 1).meanStated,
    reliability: reliability(samples, temperature),
    ...(fitted !== undefined
      ? {
          fitted: {
            temperature: fitted,
            ece: expectedCalibrationError(samples, fitted),
            nll: meanNegativeLogLikelihood(samples, fitted),
            meanStated: reliability(samples, fitted).meanStated,
          },
        }
      : {}),
  };
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
  return {
    model: classifier.breedModel.id,
    gateModel: classifier.gateModel?.id ?? null,
    detector: classifier.detector?.id ?? null,
    flipAverage: flags.flip ?? context.config.FLIP_AVERAGE,
    ...summary,
    confusedPairs: namedPairs(summary.confusedPairs, classifier.breeds),
    notDogsPassingGate: summary.notDogs > 0 ? summary.notDogsPassingGate : null,
    views: { wholePhoto: views.wholePhoto.score(), cropOnly: views.cropOnly.score(), blended: views.blended.score() },
    dogPhotosWithCrop,
    calibration: calibrationOf(samples, classifier.breedModel.manifest.temperature, flags.fitTemperature ?? false),
    imagesPerSecond: summary.images / seconds,
  };
}

export async function evalCommand(csvPath: string, flags: EvalFlags, context: CliContext): Promise<number> {
  if ('pairs' in flags) return evalPairsCommand(csvPath, flags, context);
  const report = await evaluate(csvPath, flags, context);
  if (flags.plot)
    await writeReliabilityPlot(flags.plot, report.calibration.reliability, { model: report.model, set: csvPath });
  context.out.write(flags.json ? `${JSON.stringify(report)}\n` : formatReport(report));
  return report.dogs + report.notDogs > 0 ? 0 : 1;
}
