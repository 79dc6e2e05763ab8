/**
 * The classifier end to end with the real models, the real inference thread and the shared photos: device choice,
 * batching under concurrency, the Xception contract behind the gate, flip-averaging, and an accuracy regression guard.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { type Classification, Classifier, type ClassifierOptions } from '../../src/vision/classifier.ts';
import { ImageInputError, ModelError } from '../../src/vision/errors.ts';
import { IMAGES_DIR, image, LABELS_CSV, MODELS_DIR } from '../support/paths.ts';
import { testClassifierOptions } from '../support/vision-options.ts';

/** Clear photos the default model gets right with high confidence, one breed each. */
const CLEAR_DOGS = [
  ['dogs/maltese_dog-b4ffc71a7a4a.jpg', 'maltese_dog'],
  ['dogs/japanese_spaniel-7050e5c918ce.jpg', 'japanese_spaniel'],
  ['dogs/pekinese-80ba7db66e56.jpg', 'pekinese'],
  ['dogs/papillon-cba2c69da143.jpg', 'papillon'],
  ['dogs/chihuahua-2e0261e14e8e.jpg', 'chihuahua'],
  ['dogs/saluki-15cc5538185e.jpg', 'saluki'],
] as const;
/** A photo without a dog that the gate is sure about. */
const NOT_A_DOG = 'not-dogs/not_dog-e58b47c0ae5f.jpg';

const opened: Classifier[] = [];
after(async () => {
  await Promise.all(opened.map((c) => c.close()));
});

/** A classifier over the real models (closed after the file's tests); mobilenetv2-imagenet on the CPU by default. */
async function open(options: Partial<ClassifierOptions> = {}): Promise<Classifier> {
  const classifier = await Classifier.create(testClassifierOptions(options));
  opened.push(classifier);
  return classifier;
}

function photo(relative: string): Promise<Buffer> {
  return readFile(image(relative));
}

/** All the model's breeds (121 for the default model, 120 for Xception), so whole distributions can be compared. */
function classifyAll(classifier: Classifier, input: Buffer): Promise<Classification> {
  return classifier.classify(input, { top: classifier.breeds.length });
}

function probabilities(result: Classification): Map<string, number> {
  return new Map(result.top.map((g) => [g.breed, g.p]));
}

/** Same top-1, every breed's probability and the dog score within `tolerance`. */
function assertSameAnswer(actual: Classification, expected: Classification, tolerance: number, what: string): void {
  assert.equal(actual.top[0]?.breed, expected.top[0]?.breed, `${what}: top-1`);
  const want = probabilities(expected);
  assert.equal(actual.top.length, want.size, `${what}: number of breeds`);
  for (const [breed, p] of probabilities(actual)) {
    const diff = Math.abs(p - (want.get(breed) ?? Number.NaN));
    assert.ok(diff <= tolerance, `${what}: ${breed} differs by ${diff}`);
  }
  assert.ok(Math.abs((actual.dogScore ?? -1) - (expected.dogScore ?? -2)) <= tolerance, `${what}: dog score`);
}

/** Runs `fn` over `items` with at most `limit` at a time; results in input order. */
async function mapWithLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i] as T);
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}

/** `labels.csv`: `file,breed,source`, with a header; breed is a breed id or `not_dog`. */
async function readLabels(): Promise<{ file: string; breed: string }[]> {
  const [header, ...rows] = (await readFile(LABELS_CSV, 'utf8')).split(/\r?\n/).filter((line) => line.trim() !== '');
  assert.equal(header, 'file,breed,source');
  return rows.map((row) => {
    const [file = '', breed = ''] = row.split(',');
    return { file: path.join(IMAGES_DIR, file), breed };
  });
}

describe('device selection', () => {
  it("'auto' without a GPU falls back to the CPU and says why, once", async () => {
    const fallbacks: [string, string][] = [];
    const classifier = await open({ device: 'auto', onFallback: (model, reason) => fallbacks.push([model, reason]) });
    assert.equal(classifier.device, 'cpu');
    assert.equal(fallbacks.length, 1);
    const [model, reason] = fallbacks[0] ?? ['', ''];
    assert.equal(model, 'mobilenetv2-imagenet');
    assert.match(reason, /cuda/i, 'the reason names the CUDA provider');
    // and it classifies
    assert.equal((await classifier.classify(await photo(CLEAR_DOGS[0][0]))).top[0]?.breed, CLEAR_DOGS[0][1]);
  });

  it("'cpu' does not probe CUDA", async () => {
    let fallbacks = 0;
    const classifier = await open({ onFallback: () => fallbacks++ });
    assert.equal(classifier.device, 'cpu');
    assert.equal(fallbacks, 0);
  });

  it("'cuda' without a GPU fails to start, saying DEVICE=cuda and how to fix it", async () => {
    await assert.rejects(Classifier.create(testClassifierOptions({ device: 'cuda' })), (error: unknown) => {
      assert.ok(error instanceof ModelError, String(error));
      assert.match(error.message, /DEVICE=cuda/);
      assert.match(error.message, /ONNXRUNTIME_NODE_INSTALL=cuda12/);
      assert.match(error.message, /DEVICE=auto or DEVICE=cpu/);
      return true;
    });
  });
});

describe('batching through the real model', () => {
  const batchSizes: number[] = [];
  let classifier: Classifier;
  const alone = new Map<string, Classification>();
  before(async () => {
    classifier = await open({ maxBatch: 4, batchWaitMs: 100, onBatch: (_, size) => batchSizes.push(size) });
    for (const [file] of CLEAR_DOGS) alone.set(file, await classifyAll(classifier, await photo(file)));
    assert.deepEqual(batchSizes, [1, 1, 1, 1, 1, 1], 'one at a time, one per batch');
  });

  it('six photos at once: batched by four, each caller gets the answer for its own photo', async () => {
    batchSizes.length = 0;
    const inputs = await Promise.all(CLEAR_DOGS.map(([file]) => photo(file)));
    const results = await Promise.all(inputs.map((input) => classifyAll(classifier, input)));
    assert.equal(Math.max(...batchSizes), 4, `batch sizes ${batchSizes}`);
    assert.equal(
      batchSizes.reduce((a, b) => a + b, 0),
      6,
    );
    CLEAR_DOGS.forEach(([file, breed], i) => {
      const result = results[i] as Classification;
      assert.equal(result.top[0]?.breed, breed, file);
      assertSameAnswer(result, alone.get(file) as Classification, 1e-4, file);
    });
  });

  it('a corrupt photo among them fails alone with an ImageInputError', async () => {
    const truncated = (await photo(CLEAR_DOGS[0][0])).subarray(0, 20_000);
    const files = CLEAR_DOGS.slice(1).map(([file]) => file);
    const inputs = [truncated, ...(await Promise.all(files.map(photo)))];
    const [broken, ...rest] = await Promise.allSettled(inputs.map((input) => classifyAll(classifier, input)));
    assert.equal(broken?.status, 'rejected');
    assert.ok(broken.reason instanceof ImageInputError, String(broken.reason));
    assert.equal(broken.reason.problem, 'corrupt');
    rest.forEach((outcome, i) => {
      const file = files[i] as string;
      assert.equal(outcome.status, 'fulfilled', file);
      assertSameAnswer(outcome.value, alone.get(file) as Classification, 1e-4, file);
    });
  });
});

describe('the Xception contract (xception-random behind the mobilenet gate)', () => {
  const XCEPTION_FILE = path.join(MODELS_DIR, 'xception-random-299.onnx');

  it('the .onnx takes [N,299,299,3] float32 with a dynamic batch axis and gives [N,120]; a batch of 2 gives 240', async () => {
    const session = await ort.InferenceSession.create(XCEPTION_FILE);
    try {
      const [input] = session.inputMetadata;
      const [output] = session.outputMetadata;
      assert.ok(input?.isTensor && output?.isTensor);
      assert.equal(input.name, 'input');
      assert.equal(input.type, 'float32');
      assert.equal(typeof input.shape[0], 'string', `dynamic batch axis, got ${input.shape[0]}`);
      assert.deepEqual(input.shape.slice(1), [299, 299, 3]);
      assert.equal(output.name, 'probs');
      assert.equal(typeof output.shape[0], 'string');
      assert.deepEqual(output.shape.slice(1), [120]);
      const batch = new Float32Array(2 * 299 * 299 * 3).map((_, i) => (i % 255) / 127.5 - 1);
      const result = await session.run({ input: new ort.Tensor('float32', batch, [2, 299, 299, 3]) });
      const probs = result.probs;
      assert.ok(probs !== undefined);
      assert.deepEqual(probs.dims, [2, 120]);
      assert.equal(probs.data.length, 240);
      const data = probs.data as Float32Array;
      for (const row of [data.subarray(0, 120), data.subarray(120)]) {
        assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-4, 'each row is a softmax');
      }
    } finally {
      await session.release();
    }
  });

  let classifier: Classifier;
  before(async () => {
    classifier = await open({ model: 'xception-random' });
  });

  it('answers three breeds with probabilities, gated by mobilenetv2-imagenet: dog → isDog', async () => {
    const result = await classifier.classify(await photo(CLEAR_DOGS[1][0]));
    assert.equal(result.model, 'xception-random');
    assert.equal(result.gateModel, 'mobilenetv2-imagenet');
    assert.equal(result.top.length, 3);
    for (const guess of result.top) assert.ok(guess.p >= 0 && guess.p <= 1, `${guess.breed}: ${guess.p}`);
    const [p1 = -1, p2 = -1, p3 = -1] = result.top.map((g) => g.p);
    assert.ok(p1 >= p2 && p2 >= p3, 'most likely first');
    assert.equal(result.isDog, true);
    assert.ok((result.dogScore ?? 0) >= 0.5);
  });

  it('a photo without a dog → isDog false (the gate decides), breeds still given', async () => {
    const result = await classifier.classify(await photo(NOT_A_DOG));
    assert.equal(result.isDog, false);
    assert.ok((result.dogScore ?? 1) < 0.5);
    assert.equal(result.top.length, 3);
  });

  it("its 120 probabilities sum to 1 (the breed model's own softmax)", async () => {
    const result = await classifyAll(classifier, await photo(CLEAR_DOGS[2][0]));
    assert.equal(result.top.length, 120);
    assert.ok(Math.abs(result.top.reduce((sum, g) => sum + g.p, 0) - 1) < 1e-6);
  });
});

describe('flipAverage', () => {
  it('averages the photo with its mirror image: slightly different, same top-1', async () => {
    const [file, breed] = CLEAR_DOGS[0];
    const input = await photo(file);
    const plain = await open();
    const flipping = await open({ flipAverage: true });
    const straight = await classifyAll(plain, input);
    const averaged = await classifyAll(flipping, input);
    assert.equal(averaged.top[0]?.breed, breed);
    const [pStraight, pAveraged] = [straight, averaged].map((r) => probabilities(r).get(breed) ?? Number.NaN);
    assert.ok(Math.abs((pStraight ?? 0) - (pAveraged ?? 0)) > 1e-4, 'the mirror image changes the answer');
    // The mean of the photo's answer and the answer for a mirrored copy of it (PNG, lossless).
    const mirrored = await classifyAll(plain, await sharp(input).flop().png().toBuffer());
    const pMirrored = probabilities(mirrored);
    for (const [b, p] of probabilities(averaged)) {
      const mean = ((probabilities(straight).get(b) ?? Number.NaN) + (pMirrored.get(b) ?? Number.NaN)) / 2;
      assert.ok(Math.abs(p - mean) < 1e-3, `${b}: ${p} vs mean ${mean}`);
    }
  });
});

/**
 * The figures the README publishes for the float default on labels.csv (151 dogs, 118 non-dogs), as photo counts.
 * The float graph answers the same on every CPU, so they must hold on any machine, within a few photos (a floor
 * within one photo of the measurement would be a flaky test; more than a few photos off means the README is wrong).
 */
const PUBLISHED = {
  wholePhoto: { top1: 129, top3: 149, dogsPassing: 150, notDogsPassing: 1 },
  withDetector: { top1: 130, top3: 147, dogsPassing: 151, notDogsPassing: 1 },
} as const;
const MARGIN = 3;

async function countOnLabels(classifier: Classifier) {
  const labels = await readLabels();
  const results = await mapWithLimit(labels, 8, async ({ file }) => classifier.classify(await readFile(file)));
  const dogs = labels.flatMap(({ breed }, i) => (breed === 'not_dog' ? [] : [{ breed, result: results[i] }]));
  const notDogs = results.filter((_, i) => labels[i]?.breed === 'not_dog');
  assert.deepEqual([dogs.length, notDogs.length], [151, 118]);
  return {
    top1: dogs.filter(({ breed, result }) => result?.top[0]?.breed === breed).length,
    top3: dogs.filter(({ breed, result }) => result?.top.some((g) => g.breed === breed)).length,
    dogsPassing: dogs.filter(({ result }) => result?.isDog).length,
    notDogsPassing: notDogs.filter((result) => result?.isDog).length,
  };
}

function assertNearPublished(counts: Record<keyof typeof PUBLISHED.wholePhoto, number>, published: typeof counts) {
  const summary = `measured ${JSON.stringify(counts)}, published ${JSON.stringify(published)} (±${MARGIN} photos)`;
  for (const key of Object.keys(published) as (keyof typeof published)[]) {
    assert.ok(Math.abs(counts[key] - published[key]) <= MARGIN, `${key}: ${summary}`);
  }
  // And the floors the product promises, whatever the README says.
  assert.ok(counts.top1 / 151 >= 0.8 && counts.top3 / 151 >= 0.95, summary);
  assert.ok(counts.dogsPassing / 151 >= 0.97 && counts.notDogsPassing / 118 <= 0.03, summary);
}

describe('accuracy regression (mobilenetv2-imagenet, its float graph, all of labels.csv)', () => {
  it('the whole photo (no detector): the published figures within a few photos', async () => {
    assertNearPublished(await countOnLabels(await open()), PUBLISHED.wholePhoto);
  });

  it('with the detector (the default): the published figures within a few photos', async () => {
    assertNearPublished(await countOnLabels(await open({ detector: 'yolox-nano-coco' })), PUBLISHED.withDetector);
  });
});
