/**
 * `npm run bench`: speed of the vision core, each figure next to a baseline measured in the same run (this machine
 * is shared and noisy: compare ratios and medians, not absolute numbers across runs).
 *
 * - preprocessing: ms per photo (sharp decode + resize + tensor), per model input spec;
 * - inference: bare onnxruntime-node `session.run` on the main thread at batch 1 and 8 (the baseline);
 * - throughput: the full `Classifier.classify` path (photo bytes → result; preprocessing, inference thread,
 *   micro-batching, postprocessing) against the bare loop over the same photos' pre-made tensors (goal ≥ 0.95);
 * - event-loop lag (p99) while the classifier is busy, against the lag of the bare loop on the main thread;
 * - the recognition pipeline (the default model's int8 and float graphs, with and without the detector and flip):
 *   ms per photo at batch 1 (one photo at a time, the whole `classify()`), and the detector pipeline's throughput
 *   against a bare onnxruntime loop over the same models and the same views (detector, whole photo, each crop);
 * - videos (bench/video.ts): ms per video (8 frames) beside ms per photo, and the memory of reading a 20 MB clip.
 *
 * Options: BENCH_PHOTOS (default 32), BENCH_ROUNDS (default 3), BENCH_MODELS (default "mobilenetv2-imagenet,xception-random"),
 * BENCH_SPINNING=1 (let the classifier's onnxruntime threads spin, as the bare loop's do by default), BENCH_PIPELINE=0 and
 * BENCH_VIDEO=0 (leave those rows out).
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import { type Detection, letterboxScale, letterboxTensor, padBox } from '../src/vision/detect/index.ts';
import {
  Classifier,
  type ClassifierOptions,
  loadDetectorManifest,
  loadManifest,
  type ResolvedManifest,
} from '../src/vision/index.ts';
import { decodePhoto, decodeToRgb, resizeRgb, rgbToTensor } from '../src/vision/preprocess/index.ts';
import { BENCH_CONFIG, benchClassifierOptions, IMAGES_DIR, LIMITS, MODELS_DIR } from './setup.ts';
import { benchVideo } from './video.ts';

const PHOTOS = Number(process.env.BENCH_PHOTOS ?? 32);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const MODELS = (process.env.BENCH_MODELS ?? 'mobilenetv2-imagenet,xception-random').split(',');
const SPINNING = process.env.BENCH_SPINNING === '1';
const MAX_BATCH = BENCH_CONFIG.MAX_BATCH;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
const fmt = (x: number, digits = 1) => x.toFixed(digits);

async function time<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

const percentile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
};

/**
 * Event-loop lag (ms) while `fn` runs: a 5 ms timer notes how late each tick comes. (perf_hooks'
 * monitorEventLoopDelay records nothing while a synchronous `session.run` holds the loop, so it cannot show the
 * stall this measures.)
 */
async function withLagMonitor<T>(fn: () => Promise<T>): Promise<{ value: T; p50: number; p99: number; max: number }> {
  const intervalMs = 5;
  const lags: number[] = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    lags.push(Math.max(0, now - last - intervalMs));
    last = now;
  }, intervalMs);
  const value = await fn();
  await new Promise((resolve) => setTimeout(resolve, intervalMs * 2)); // let a stall at the very end be seen
  clearInterval(timer);
  return { value, p50: percentile(lags, 0.5), p99: percentile(lags, 0.99), max: Math.max(0, ...lags) };
}

async function loadPhotos(): Promise<Buffer[]> {
  const dir = path.join(IMAGES_DIR, 'dogs');
  const files = (await readdir(dir)).sort().slice(0, PHOTOS);
  return Promise.all(files.map((f) => readFile(path.join(dir, f))));
}

async function preprocessAll(photos: Buffer[], manifest: ResolvedManifest): Promise<Float32Array[]> {
  return Promise.all(
    photos.map(async (p) => rgbToTensor(await decodeToRgb(p, manifest.input, LIMITS), manifest.input)),
  );
}

function batchOf(tensors: Float32Array[], from: number, size: number): Float32Array {
  const itemSize = (tensors[0] as Float32Array).length;
  const out = new Float32Array(size * itemSize);
  for (let i = 0; i < size; i++) out.set(tensors[(from + i) % tensors.length] as Float32Array, i * itemSize);
  return out;
}

/** The baseline: the plainest possible onnxruntime-node loop, on the main thread, over pre-made tensors. */
async function bareLoop(
  session: ort.InferenceSession,
  manifest: ResolvedManifest,
  tensors: Float32Array[],
  batch: number,
) {
  const { width, height, layout, name } = manifest.input;
  const dims = layout === 'NCHW' ? [3, height, width] : [height, width, 3];
  const perBatchMs: number[] = [];
  for (let from = 0; from < tensors.length; from += batch) {
    const size = Math.min(batch, tensors.length - from);
    const input = new ort.Tensor('float32', batchOf(tensors, from, size), [size, ...dims]);
    const { ms } = await time(() => session.run({ [name]: input }));
    perBatchMs.push(ms / size);
  }
  return perBatchMs;
}

async function benchModel(ref: string, photos: Buffer[]): Promise<void> {
  const manifest = await loadManifest(ref, MODELS_DIR);
  console.log(`\n## ${manifest.id}  (${manifest.input.width}×${manifest.input.height} ${manifest.input.layout})`);

  // Preprocessing, one photo at a time (latency), then all at once (throughput with libuv's thread pool).
  const serialMs: number[] = [];
  for (const photo of photos) serialMs.push((await time(() => decodeToRgb(photo, manifest.input, LIMITS))).ms);
  const tensors = await preprocessAll(photos, manifest);
  console.log(`preprocess: median ${fmt(median(serialMs))} ms/photo (one at a time)`);

  const session = await ort.InferenceSession.create(manifest.modelPath, { executionProviders: ['cpu'] });
  await bareLoop(session, manifest, tensors.slice(0, MAX_BATCH), MAX_BATCH); // warm-up
  for (const batch of [1, MAX_BATCH]) {
    const rounds: number[] = [];
    for (let r = 0; r < ROUNDS; r++) rounds.push(median(await bareLoop(session, manifest, tensors, batch)));
    console.log(`inference (bare onnxruntime, main thread): batch ${batch}: median ${fmt(median(rounds))} ms/photo`);
  }

  const classifier = await Classifier.create(
    benchClassifierOptions({
      model: manifest.manifestPath,
      gateModel: 'none', // the gate is another model's cost; measured on its own row
      threadSpinning: SPINNING,
    }),
  );
  await Promise.all(photos.slice(0, MAX_BATCH).map((p) => classifier.classify(p))); // warm-up

  const ratios: number[] = [];
  const tensorRatios: number[] = [];
  const lags: number[] = [];
  const bareLags: number[] = [];
  const maxLags: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const bare = await withLagMonitor(() => time(() => bareLoop(session, manifest, tensors, MAX_BATCH)));
    bareLags.push(bare.p99);
    const viaThread = await time(() => Promise.all(tensors.map((t) => classifier.breedModel.infer(t.slice()))));
    const full = await withLagMonitor(() => time(() => Promise.all(photos.map((p) => classifier.classify(p)))));
    lags.push(full.p99);
    maxLags.push(full.max);
    ratios.push(bare.value.ms / full.value.ms);
    tensorRatios.push(bare.value.ms / viaThread.ms);
    console.log(
      `round ${r + 1}: ${photos.length} photos — bare loop ${fmt(bare.value.ms, 0)} ms, classifier from tensors ` +
        `${fmt(viaThread.ms, 0)} ms, classify() from photo bytes ${fmt(full.value.ms, 0)} ms`,
    );
  }
  console.log(
    `throughput ratio classify()/bare loop: median ${fmt(median(ratios), 3)} (from photo bytes, preprocessing included)`,
  );
  console.log(`throughput ratio classifier-from-tensors/bare loop: median ${fmt(median(tensorRatios), 3)}`);
  console.log(
    `event-loop lag p99: median ${fmt(median(lags))} ms (max ${fmt(Math.max(...maxLags))}) while classify() runs; ` +
      `${fmt(median(bareLags))} ms with the bare loop on the main thread`,
  );
  await classifier.close();
  await session.release();
}

console.log(
  `# vision core benchmark — ${PHOTOS} photos, ${ROUNDS} rounds, classifier thread spinning ${SPINNING ? 'on' : 'off'}, ` +
    `node ${process.version}, ${new Date().toISOString()}`,
);

/** The default recognition settings, one variant per row of the README's table. */
const PIPELINES: { name: string; options: Partial<ClassifierOptions> }[] = [
  { name: 'int8', options: { model: 'mobilenetv2-imagenet-int8' } },
  { name: 'float', options: {} },
  { name: 'float + detector', options: { detector: 'yolox-nano-coco' } },
  { name: 'float + detector + flip', options: { detector: 'yolox-nano-coco', flipAverage: true } },
];

/** Pre-made tensors of the views the detector pipeline runs for each photo: the detector's, the whole photo, crops. */
async function pipelineTensors(classifier: Classifier, photo: Buffer) {
  const detector = classifier.detector;
  if (detector === undefined) throw new Error('the pipeline benchmark needs the detector');
  const { input, crop } = classifier.breedModel.manifest;
  const decoded = await decodePhoto(photo, LIMITS);
  const r = letterboxScale(decoded, detector.manifest.input);
  const scaled = await resizeRgb(decoded, {
    width: Math.round(decoded.width * r),
    height: Math.round(decoded.height * r),
    resize: { kind: 'squash', kernel: 'linear' },
  });
  // The main dog only: what most photos have (the classifier may run more crops; that only favours the bare loop).
  const found: Detection[] = (await detector.detect(decoded)).slice(0, 1);
  const views = [rgbToTensor(await resizeRgb(decoded, input), input)];
  for (const d of found) {
    const region = padBox(d.box, crop.pad, decoded);
    views.push(rgbToTensor(await resizeRgb(decoded, { ...input, resize: crop.resize }, region), input));
  }
  return { detector: letterboxTensor(scaled, detector.manifest.input), views };
}

async function benchPipeline(photos: Buffer[]): Promise<void> {
  console.log('\n## recognition pipeline (mobilenetv2-imagenet as its own gate)');
  const base: ClassifierOptions = benchClassifierOptions({ model: 'mobilenetv2-imagenet' });
  for (const { name, options } of PIPELINES) {
    const classifier = await Classifier.create({ ...base, ...options });
    for (const p of photos.slice(0, 4)) await classifier.classify(p); // warm-up
    const rounds: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const ms: number[] = [];
      for (const p of photos) ms.push((await time(() => classifier.classify(p))).ms);
      rounds.push(median(ms));
    }
    console.log(`${name}: batch 1 (one photo at a time): median ${fmt(median(rounds))} ms/photo`);
    await classifier.close();
  }

  // Throughput of classify() with the detector against the plainest loop over the same models and views.
  const classifier = await Classifier.create({ ...base, detector: 'yolox-nano-coco' });
  const detectorManifest = await loadDetectorManifest('yolox-nano-coco', MODELS_DIR);
  const classifierManifest = classifier.breedModel.manifest;
  const made: Awaited<ReturnType<typeof pipelineTensors>>[] = [];
  for (const p of photos) made.push(await pipelineTensors(classifier, p));
  const detectorSession = await ort.InferenceSession.create(detectorManifest.modelPath, {
    executionProviders: ['cpu'],
  });
  const classifierSession = await ort.InferenceSession.create(classifierManifest.modelPath, {
    executionProviders: ['cpu'],
  });
  const { width, height } = classifierManifest.input;
  const bare = async () => {
    for (const { detector, views } of made) {
      const d = new ort.Tensor('float32', detector, [
        1,
        3,
        detectorManifest.input.height,
        detectorManifest.input.width,
      ]);
      await detectorSession.run({ [detectorManifest.input.name]: d });
      const batch = batchOf(views, 0, views.length);
      await classifierSession.run({
        [classifierManifest.input.name]: new ort.Tensor('float32', batch, [views.length, 3, height, width]),
      });
    }
  };
  await bare(); // warm-up
  const ratios: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const bareRun = await time(bare);
    const full = await time(() => Promise.all(photos.map((p) => classifier.classify(p))));
    ratios.push(bareRun.ms / full.ms);
    console.log(
      `round ${r + 1}: ${photos.length} photos — bare loop (detector + whole + main crop) ${fmt(bareRun.ms, 0)} ms, ` +
        `classify() from photo bytes ${fmt(full.ms, 0)} ms (${fmt(full.ms / photos.length)} ms/photo)`,
    );
  }
  console.log(`throughput ratio classify() with the detector / bare loop: median ${fmt(median(ratios), 3)}`);
  await Promise.all([classifier.close(), detectorSession.release(), classifierSession.release()]);
}

const photos = await loadPhotos();
for (const model of MODELS) await benchModel(model, photos);
if (process.env.BENCH_PIPELINE !== '0') await benchPipeline(photos);
if (process.env.BENCH_VIDEO !== '0') await benchVideo(ROUNDS);
