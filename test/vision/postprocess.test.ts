/**
 * Model output → answers: softmax, top-k, reading each kind of output (with the real breed list and ImageNet mapping)
 * and averaging readings.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { type Breed, loadBreeds } from '../../src/vision/labels.ts';
import { loadManifest, type OutputSpec } from '../../src/vision/manifest.ts';
import { averageReadings, OutputReader, type OutputReading, softmax, topK } from '../../src/vision/postprocess.ts';
import { MODELS_DIR } from '../support/paths.ts';
import { assertAllClose } from './assert-close.ts';

/** Float64 maths: equal to the last bits. */
const EXACT = 1e-12;

const THREE: readonly Breed[] = ['akita', 'beagle', 'corgi'].map((id) => ({
  id,
  name: id.toUpperCase(),
  wikipedia: `https://en.wikipedia.org/wiki/${id}`,
}));

function sum(values: ArrayLike<number>): number {
  return Array.from(values).reduce((a, b) => a + b, 0);
}

/** exp(x) / Σ exp, computed the textbook way (fine for small x). */
function naiveSoftmax(values: readonly number[]): number[] {
  const total = sum(values.map(Math.exp));
  return values.map((v) => Math.exp(v) / total);
}

describe('softmax', () => {
  it('matches exp(x)/Σexp(x) and sums to 1', () => {
    const probs = softmax([1, 2, 3, -1]);
    assert.ok(probs instanceof Float64Array);
    assertAllClose(probs, naiveSoftmax([1, 2, 3, -1]), EXACT);
    assert.ok(Math.abs(sum(probs) - 1) < 1e-12);
  });

  it('is stable for large logits (shift-invariant, no NaN or Infinity)', () => {
    assertAllClose(softmax([1000, 1001, 1002]), naiveSoftmax([0, 1, 2]), EXACT);
    assertAllClose(softmax([-1000, -1001, -1002]), naiveSoftmax([0, -1, -2]), EXACT);
    assertAllClose(softmax(Float32Array.from([3e38, 3e38])), [0.5, 0.5], EXACT);
  });

  it('over a subset of indices, in the order given', () => {
    const values = [5, 1, 2, 100, 3];
    assertAllClose(softmax(values, [4, 1, 2]), naiveSoftmax([3, 1, 2]), EXACT);
  });

  it('of one value is 1', () => {
    assertAllClose(softmax([-42]), [1], EXACT);
  });
});

describe('topK', () => {
  it('most likely first, with the breed details', () => {
    assert.deepEqual(topK([0.1, 0.5, 0.4], THREE, 2), [
      { breed: 'beagle', name: 'BEAGLE', p: 0.5, wikipedia: 'https://en.wikipedia.org/wiki/beagle' },
      { breed: 'corgi', name: 'CORGI', p: 0.4, wikipedia: 'https://en.wikipedia.org/wiki/corgi' },
    ]);
  });

  it('ties keep label order', () => {
    assert.deepEqual(
      topK([0.3, 0.3, 0.4], THREE, 3).map((g) => g.breed),
      ['corgi', 'akita', 'beagle'],
    );
    assert.deepEqual(
      topK([0.2, 0.4, 0.4], THREE, 3).map((g) => g.breed),
      ['beagle', 'corgi', 'akita'],
    );
  });

  it('k larger than the number of breeds gives them all; k = 0 gives none', () => {
    assert.deepEqual(
      topK(Float64Array.from([0.2, 0.7, 0.1]), THREE, 10).map((g) => g.p),
      [0.7, 0.2, 0.1],
    );
    assert.deepEqual(topK([0.2, 0.7, 0.1], THREE, 0), []);
  });
});

describe('OutputReader: ImageNet logits (mobilenetv2-imagenet)', () => {
  let breeds: readonly Breed[];
  let spec: OutputSpec;
  let reader: OutputReader;
  before(async () => {
    const manifest = await loadManifest('mobilenetv2-imagenet', MODELS_DIR);
    breeds = await loadBreeds(manifest.labelsPath);
    spec = manifest.output;
    reader = new OutputReader(spec, breeds);
  });

  /** 1000 logits, 0 except `hot` (class → logit). */
  function logits(hot: Record<number, number> = {}): Float32Array {
    const row = new Float32Array(1000);
    for (const [i, v] of Object.entries(hot)) row[Number(i)] = v;
    return row;
  }

  const breedIndex = (id: string): number => breeds.findIndex((b) => b.id === id);

  it('all logits equal: dog mass 121/1000 (125 classes less the 4 wild canids), breeds uniform', () => {
    const { breedProbs, dogScore } = reader.read(logits());
    assert.equal(reader.size, 1000);
    assert.ok(dogScore !== null && Math.abs(dogScore - 0.121) < 1e-12);
    assertAllClose(breedProbs, Array(120).fill(1 / 120), EXACT);
  });

  it("one breed's class stands out: that breed's probability and the dog mass follow", () => {
    const e10 = Math.exp(10);
    // 151 is chihuahua; 275 African hunting dog, the last class of the range.
    for (const [klass, id] of [
      [151, 'chihuahua'],
      [275, 'african_hunting_dog'],
    ] as const) {
      const { breedProbs, dogScore } = reader.read(logits({ [klass]: 10 }));
      assert.ok(Math.abs((breedProbs[breedIndex(id)] ?? 0) - e10 / (e10 + 119)) < 1e-9, id);
      assert.ok(Math.abs((dogScore ?? 0) - (e10 + 120) / (e10 + 999)) < 1e-6, `dog score for ${id}`);
      assert.ok(Math.abs(sum(breedProbs) - 1) < 1e-12);
    }
  });

  it('a dog class that is not one of the breeds (251, dalmatian) counts as dog but moves no breed', () => {
    const { breedProbs, dogScore } = reader.read(logits({ 251: 10 }));
    assert.ok((dogScore ?? 0) > 0.95);
    assertAllClose(breedProbs, Array(120).fill(1 / 120), EXACT);
  });

  it('classes outside 151–275 are not dog: a cat (281) or class 150 / 276; nor the wolves and coyote (269–272)', () => {
    const e10 = Math.exp(10);
    for (const klass of [281, 150, 276, 269, 272]) {
      const { dogScore } = reader.read(logits({ [klass]: 10 }));
      assert.ok(Math.abs((dogScore ?? 1) - 121 / (e10 + 999)) < 1e-9, `class ${klass}`);
    }
  });

  it('refuses a row of the wrong length', () => {
    assert.throws(() => reader.read(new Float32Array(999)), /expected 1000 outputs, got 999/);
  });

  it('refuses a mapping without a class for one of the breeds, naming it', () => {
    const imagenet = spec;
    assert.ok(imagenet.kind === 'imagenet-1k-logits');
    const { pug: _dropped, ...breedClasses } = imagenet.breedClasses;
    assert.throws(() => new OutputReader({ ...imagenet, breedClasses }, breeds), /no class for breed "pug"/);
  });
});

describe('OutputReader: breed outputs', () => {
  it('breed-logits: softmax over the breeds, no dog score', () => {
    const reader = new OutputReader({ name: 'logits', kind: 'breed-logits' }, THREE);
    assert.equal(reader.size, 3);
    const { breedProbs, dogScore } = reader.read([2, 0, -1]);
    assertAllClose(breedProbs, naiveSoftmax([2, 0, -1]), EXACT);
    assert.equal(dogScore, null);
  });

  it('breed-probs: taken as they are, renormalised, negatives clipped to 0', () => {
    const reader = new OutputReader({ name: 'probs', kind: 'breed-probs' }, THREE);
    assertAllClose(reader.read([0.2, 0.3, 0.5]).breedProbs, [0.2, 0.3, 0.5], EXACT);
    assertAllClose(reader.read([0.5, 1.0, 0.5]).breedProbs, [0.25, 0.5, 0.25], EXACT);
    assertAllClose(reader.read([-0.1, 0.6, 0.2]).breedProbs, [0, 0.75, 0.25], EXACT);
    assert.equal(reader.read([0.2, 0.3, 0.5]).dogScore, null);
  });

  it('refuses a row of the wrong length', () => {
    const reader = new OutputReader({ name: 'probs', kind: 'breed-probs' }, THREE);
    assert.throws(() => reader.read([0.5, 0.5]), /expected 3 outputs, got 2/);
  });
});

describe('averageReadings', () => {
  const reading = (probs: number[], dogScore: number | null): OutputReading => ({
    breedProbs: Float64Array.from(probs),
    dogScore,
  });

  it('averages breed probabilities and dog scores element-wise', () => {
    const mean = averageReadings([reading([0.2, 0.8, 0], 0.9), reading([0.6, 0.2, 0.2], 0.5)]);
    assertAllClose(mean.breedProbs, [0.4, 0.5, 0.1], EXACT);
    assert.ok(Math.abs((mean.dogScore ?? 0) - 0.7) < 1e-12);
  });

  it('one reading is itself; no dog score stays none', () => {
    const mean = averageReadings([reading([0.1, 0.9], null)]);
    assertAllClose(mean.breedProbs, [0.1, 0.9], EXACT);
    assert.equal(mean.dogScore, null);
  });

  it('three readings', () => {
    const mean = averageReadings([reading([1, 0], 1), reading([0, 1], 0), reading([0.5, 0.5], 0.5)]);
    assertAllClose(mean.breedProbs, [0.5, 0.5], EXACT);
    assert.ok(Math.abs((mean.dogScore ?? 0) - 0.5) < 1e-12);
  });

  it('no readings → throws', () => {
    assert.throws(() => averageReadings([]), /no readings/);
  });
});
