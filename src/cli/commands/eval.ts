/** `dog-breeds eval <labels.csv>`: accuracy and speed on a labelled set, with a progress bar on stderr. */
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import cliProgress from 'cli-progress';
import { type EvaluationSummary, EvaluationTally } from '../../vision/evaluation.ts';
import { forEachConcurrently } from '../concurrency.ts';
import type { CliContext, ModelFlags } from '../context.ts';
import { openClassifier } from '../context.ts';
import { readLabelsCsv } from '../labelled-files.ts';

export interface EvalFlags extends ModelFlags {
  json?: boolean;
}

export interface EvalReport extends EvaluationSummary {
  model: string;
  gateModel: string | null;
  flipAverage: boolean;
  imagesPerSecond: number;
}

function formatReport(r: EvalReport): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const lines = [
    `model ${r.model} (gate ${r.gateModel ?? 'none'}${r.flipAverage ? ', flip-averaged' : ''})`,
    `images ${r.images}: ${r.dogs} dogs, ${r.notDogs} not dogs, ${r.failed} unreadable`,
    `top-1 ${pct(r.top1)}   top-3 ${pct(r.top3)}`,
    `gate: dogs passing ${pct(r.dogsPassingGate)}   non-dogs passing ${pct(r.notDogsPassingGate)}`,
    `speed ${r.imagesPerSecond.toFixed(1)} images/s`,
  ];
  if (r.confusedPairs.length > 0) {
    lines.push('most confused (true → predicted):');
    for (const p of r.confusedPairs) lines.push(`  ${p.label} → ${p.predicted}: ${p.count}`);
  }
  return `${lines.join('\n')}\n`;
}

export async function evaluate(csvPath: string, flags: ModelFlags, context: CliContext): Promise<EvalReport> {
  const items = await readLabelsCsv(csvPath);
  const classifier = await openClassifier(context, flags);
  const tally = new EvaluationTally();
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: 'eval [{bar}] {value}/{total} {percentage}% | ETA {eta}s', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(items.length, 0);
  const started = performance.now();
  try {
    await forEachConcurrently(items, context.config.MAX_BATCH * 2, async ({ file, label }) => {
      try {
        tally.add(label, await classifier.classify(await readFile(file)));
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
    flipAverage: flags.flip ?? context.config.FLIP_AVERAGE,
    ...summary,
    imagesPerSecond: summary.images / seconds,
  };
}

export async function evalCommand(csvPath: string, flags: EvalFlags, context: CliContext): Promise<number> {
  const report = await evaluate(csvPath, flags, context);
  context.out.write(flags.json ? `${JSON.stringify(report)}\n` : formatReport(report));
  return report.dogs + report.notDogs > 0 ? 0 : 1;
}
