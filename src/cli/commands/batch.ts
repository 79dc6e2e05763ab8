/**
 * `dog-breeds batch <folder | labels.csv | files | URLs…> --out results.jsonl|results.csv`: classifies photos and
 * videos in bulk through the queue. Resumable: a re-run skips what the results file already has, and collects what
 * finished while it was away.
 */
import path from 'node:path';
import type { BatchJobData } from '../../queue/index.ts';
import { MAX_DOWNLOAD_BYTES } from '../../telegram/index.ts';
import { type EvaluationSummary, EvaluationTally, loadManifest } from '../../vision/index.ts';
import { type BatchItem, type BatchRunSummary, runBatch } from '../batch-run.ts';
import type { CliContext } from '../context.ts';
import { expandImagePaths, readLabelsCsv } from '../labelled-files.ts';
import { mediaKindOfFile, VIDEO_EXTENSIONS } from '../media-kind.ts';
import { ResultFile } from '../result-file.ts';
import { interruptSignal } from '../run-control.ts';

export interface BatchFlags {
  out: string;
  model?: string;
  local?: boolean;
}

/** A file's job: a video's says so (the worker samples its frames), a photo's is as before videos. */
async function fileJob(file: string): Promise<BatchJobData> {
  const media = await mediaKindOfFile(file, MAX_DOWNLOAD_BYTES);
  return { source: { kind: 'path', path: file }, key: file, ...(media === 'video' ? { media } : {}) };
}

/** A URL is a video when its path is named like a clip: its bytes are the worker's to fetch. */
function urlJob(url: string): BatchJobData {
  const named = path.extname(URL.canParse(url) ? new URL(url).pathname : '').toLowerCase();
  return { source: { kind: 'url', url }, key: url, ...(VIDEO_EXTENSIONS.has(named) ? { media: 'video' } : {}) };
}

async function collectItems(inputs: readonly string[]): Promise<BatchItem[]> {
  const items: BatchItem[] = [];
  for (const input of inputs) {
    if (/^https?:\/\//i.test(input)) items.push({ data: urlJob(input) });
    else if (input.toLowerCase().endsWith('.csv')) {
      for (const { file, label } of await readLabelsCsv(input)) items.push({ data: await fileJob(file), label });
    } else {
      for (const file of await expandImagePaths([input])) items.push({ data: await fileJob(path.resolve(file)) });
    }
  }
  // The same photo named twice is one job.
  return [...new Map(items.map((i) => [i.data.key, i])).values()];
}

export async function batchCommand(inputs: string[], flags: BatchFlags, context: CliContext): Promise<number> {
  const modelRef = flags.model ?? context.config.MODEL;
  const manifest = await loadManifest(modelRef, context.config.MODELS_DIR);
  const all = await collectItems(inputs);
  const results = new ResultFile(flags.out);
  const done = await results.doneInputs();
  const todo = all.filter((i) => !done.has(i.data.key));
  const tally = new EvaluationTally();
  let labelled = 0;
  process.stderr.write(
    `${all.length} photos, ${done.size > 0 ? `${all.length - todo.length} already in ${flags.out}, ` : ''}${todo.length} to do with ${manifest.id}\n`,
  );
  const summary = await runBatch({
    config: context.config,
    modelId: manifest.id,
    modelRef,
    items: todo,
    local: flags.local ?? false,
    logger: context.logger,
    interrupted: interruptSignal(),
    onResult: async (item, result) => {
      await results.append({
        input: item.data.key,
        ...(item.label !== undefined ? { label: item.label } : {}),
        result,
      });
      if (item.label === undefined) return;
      labelled++;
      if (result.ok) tally.add(item.label, result);
      else tally.addFailure();
    },
  });
  await results.close();
  const lines = [
    `${summary.interrupted ? 'interrupted' : 'done'}: ${summary.finished}/${todo.length} photos in ${formatTimes(summary)}, ` +
      `${summary.failed} could not be classified → ${flags.out}`,
  ];
  if (labelled > 0) lines.push(formatAccuracy(tally.summary()));
  context.out.write(`${lines.join('\n')}\n`);
  return summary.interrupted ? 130 : summary.finished - summary.failed > 0 || todo.length === 0 ? 0 : 1;
}

/** A wait shorter than this (the queue's own hand-over) is not worth a word. */
const WAIT_WORTH_SAYING_S = 1;

/**
 * The rate is the work's: a run that waited for a worker (or loaded a local one's model) first would otherwise show
 * a rate the workers never had. The wait, when there was one, is said apart.
 */
function formatTimes(s: BatchRunSummary): string {
  // Results collected at once (jobs an earlier run left finished) took no work here: no rate to speak of.
  const rate = s.workSeconds >= 0.1 ? ` (${(s.finished / s.workSeconds).toFixed(1)}/s)` : '';
  if (s.waitSeconds < WAIT_WORTH_SAYING_S) return `${s.seconds.toFixed(1)} s${rate}`;
  return (
    `${s.seconds.toFixed(1)} s: ${s.workSeconds.toFixed(1)} s of work${rate} after ` +
    `${s.waitSeconds.toFixed(1)} s waiting for a worker`
  );
}

function formatAccuracy(s: EvaluationSummary): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  return (
    `labelled (this run): top-1 ${pct(s.top1)}, top-3 ${pct(s.top3)} over ${s.dogs} dogs; ` +
    `gate passes ${pct(s.dogsPassingGate)} of dogs, ` +
    (s.notDogs > 0 ? `${pct(s.notDogsPassingGate)} of ${s.notDogs} non-dogs` : 'no non-dog photos')
  );
}
