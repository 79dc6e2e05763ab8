/**
 * Finding the dogs: YOLOX's output decoding and box arithmetic on made-up numbers, then the real detector and
 * classifier on photos composed in the test from the shared dog photos (two and three dogs side by side, a grid of
 * thirty), a cat, and the whole-photo path when there is no detector.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { type Classification, Classifier } from '../../src/vision/classifier.ts';
import { decodeYolox, insideShare, iou, padBox, suppressOverlaps } from '../../src/vision/detect/index.ts';
import { loadDetectorManifest, type ResolvedDetectorManifest } from '../../src/vision/manifest.ts';
import { grid, sideBySide } from '../support/compose.ts';
import { image, MODELS_DIR } from '../support/paths.ts';
import { testClassifierOptions } from '../support/vision-options.ts';

const box = (left: number, top: number, width: number, height: number) => ({ left, top, width, height });

describe('box arithmetic', () => {
  it('iou and insideShare', () => {
    assert.equal(iou(box(0, 0, 10, 10), box(20, 20, 5, 5)), 0);
    assert.equal(iou(box(0, 0, 10, 10), box(0, 0, 10, 10)), 1);
    assert.ok(Math.abs(iou(box(0, 0, 10, 10), box(5, 0, 10, 10)) - 50 / 150) < 1e-12);
    assert.equal(insideShare(box(0, 0, 100, 100), box(10, 10, 20, 20)), 1);
  });

  it('suppression keeps the best of overlapping boxes whatever their classes: a surer cat stays a cat', () => {
    const kept = suppressOverlaps(
      [
        { box: box(0, 0, 100, 100), label: 'dog', score: 0.4 },
        { box: box(2, 2, 100, 100), label: 'cat', score: 0.8 },
        { box: box(300, 0, 100, 100), label: 'dog', score: 0.5 },
        { box: box(320, 20, 30, 30), label: 'dog', score: 0.45 }, // its head: inside the dog at 300
      ],
      0.45,
      0.8,
    );
    assert.deepEqual(
      kept.map((d) => [d.label, d.score]),
      [
        ['cat', 0.8],
        ['dog', 0.5],
      ],
    );
  });

  it('padBox grows by a share of each side and stays inside the photo', () => {
    assert.deepEqual(padBox(box(100, 100, 50, 20), 0.1, { width: 1000, height: 1000 }), box(95, 98, 60, 24));
    assert.deepEqual(padBox(box(0, 0, 50, 20), 0.1, { width: 52, height: 21 }), box(0, 0, 52, 21));
  });
});

describe('decodeYolox', () => {
  let manifest: ResolvedDetectorManifest;
  before(async () => {
    manifest = await loadDetectorManifest('yolox-nano-coco', MODELS_DIR);
  });

  it('reads a cell of the stride-16 grid: centre, size, score = objectness × class, in photo pixels', () => {
    const columns = 85;
    const rows = 52 * 52 + 26 * 26 + 13 * 13;
    const output = new Float32Array(rows * columns);
    // Cell (column 3, row 2) of the stride-16 grid, after the 52×52 cells of stride 8.
    const row = 52 * 52 + 2 * 26 + 3;
    output.set([0.5, 0.25, Math.log(4), Math.log(2), 0.9], row * columns);
    const dog = manifest.classes.indexOf('dog');
    output[row * columns + 5 + dog] = 0.5;
    const [found, ...rest] = decodeYolox(output, manifest, new Set([dog]), 0.25, 0.5);
    assert.equal(rest.length, 0);
    assert.equal(found?.label, 'dog');
    assert.ok(Math.abs((found?.score ?? 0) - 0.45) < 1e-6);
    // centre (3.5 × 16, 2.25 × 16) = (56, 36), size 64 × 32 in the 416 frame; ÷ r = 0.5.
    const expected = box((56 - 32) / 0.5, (36 - 16) / 0.5, 128, 64);
    for (const side of ['left', 'top', 'width', 'height'] as const) {
      assert.ok(Math.abs((found?.box[side] ?? 0) - expected[side]) < 1e-4, `${side}: ${found?.box[side]}`);
    }
  });

  it('ignores classes not asked for and scores below the floor; refuses an output of the wrong size', () => {
    const output = new Float32Array(3549 * 85);
    output.set([0, 0, 0, 0, 0.9], 0);
    output[5 + manifest.classes.indexOf('person')] = 0.99;
    output[5 + manifest.classes.indexOf('dog')] = 0.2;
    assert.deepEqual(decodeYolox(output, manifest, new Set([manifest.classes.indexOf('dog')]), 0.25, 1), []);
    assert.throws(() => decodeYolox(new Float32Array(85 * 10), manifest, new Set([16]), 0.25, 1), /rows/);
  });
});

/** Clear photos of different breeds, each the default model names with confidence. */
const MALTESE = ['dogs/maltese_dog-b4ffc71a7a4a.jpg', 'maltese_dog'] as const;
const SALUKI = ['dogs/saluki-15cc5538185e.jpg', 'saluki'] as const;
const PAPILLON = ['dogs/papillon-cba2c69da143.jpg', 'papillon'] as const;
const JAPANESE_SPANIEL = ['dogs/japanese_spaniel-7050e5c918ce.jpg', 'japanese_spaniel'] as const;
/** A photo of a cat the detector finds as a cat. */
const CAT = 'not-dogs/not_dog-1b2264e006ff.jpg';

describe('the classifier with the detector (real models)', () => {
  let classifier: Classifier;
  before(async () => {
    classifier = await Classifier.create(testClassifierOptions({ detector: 'yolox-nano-coco' }));
  });
  after(() => classifier.close());

  /** Each composed dog found once, left to right, its box inside its photo, its breed within its top-3. */
  function assertDogs(result: Classification, spans: { left: number; right: number }[], breeds: readonly string[]) {
    const summary = JSON.stringify(result.dogs.map((d) => [d.box, d.top.map((g) => g.breed)]));
    assert.equal(result.dogs.length, breeds.length, summary);
    result.dogs.forEach((dog, i) => {
      const span = spans[i] as { left: number; right: number };
      assert.ok(dog.box !== null && dog.isDog, summary);
      const centre = dog.box.left + dog.box.width / 2;
      assert.ok(
        centre > span.left && centre < span.right,
        `dog ${i + 1} centre ${centre} outside ${span.left}–${span.right}`,
      );
      assert.ok(dog.box.left >= span.left - 20 && dog.box.left + dog.box.width <= span.right + 20, summary);
      assert.ok(
        dog.top.some((g) => g.breed === breeds[i]),
        `dog ${i + 1} should be ${breeds[i]}: ${summary}`,
      );
    });
    assert.equal(result.moreDogs, 0);
    assert.ok(result.mainDog !== null);
    assert.deepEqual(result.top, result.dogs[result.mainDog]?.top, 'the top level is the main dog');
  }

  for (const pair of [
    [MALTESE, SALUKI],
    [JAPANESE_SPANIEL, PAPILLON],
  ]) {
    it(`two dogs side by side: ${pair.map(([, b]) => b).join(' + ')}, each found and named`, async () => {
      const { bytes, spans, width, height } = await sideBySide(pair.map(([file]) => file));
      const result = await classifier.classify(bytes);
      assert.deepEqual(result.photo, { width, height });
      assertDogs(
        result,
        spans,
        pair.map(([, breed]) => breed),
      );
    });
  }

  it('three in a row (wider than the decoded photo: boxes come back in the photo’s own pixels)', async () => {
    const trio = [PAPILLON, SALUKI, JAPANESE_SPANIEL];
    const { bytes, spans, width } = await sideBySide(trio.map(([file]) => file));
    assert.ok(width > 1024, `${width} px: wider than the decoded photo`);
    assertDogs(
      await classifier.classify(bytes),
      spans,
      trio.map(([, breed]) => breed),
    );
  });

  it('thirty dogs: names MAX_DOGS (4) and says there are more', async () => {
    const result = await classifier.classify(await grid([PAPILLON[0], SALUKI[0], JAPANESE_SPANIEL[0]], 6, 5));
    assert.equal(result.dogs.length, 4);
    assert.ok(result.moreDogs >= 1, `moreDogs ${result.moreDogs}`);
  });

  it('one dog: one answer with its box, blended with the whole photo', async () => {
    const result = await classifier.classify(await readFile(image(MALTESE[0])), { withViews: true });
    assert.equal(result.dogs.length, 1);
    assert.equal(result.detector, 'yolox-nano-coco');
    assert.equal(result.top[0]?.breed, MALTESE[1]);
    assert.ok(result.views?.crop !== null && result.views !== undefined);
    const { whole, crop, final } = result.views;
    for (let i = 0; i < 120; i++) {
      const mean = ((whole.breedProbs[i] as number) + (crop?.breedProbs[i] as number)) / 2;
      assert.ok(Math.abs((final.breedProbs[i] as number) - mean) < 1e-12);
    }
  });

  it('a cat stays a cat: no dog named', async () => {
    const result = await classifier.classify(await readFile(image(CAT)));
    assert.equal(result.isDog, false);
    assert.deepEqual(result.dogs, []);
    assert.equal(result.mainDog, null);
  });

  it('without a detector: the whole-photo answer, no box', async () => {
    const plain = await Classifier.create(testClassifierOptions());
    try {
      const result = await plain.classify(await readFile(image(MALTESE[0])));
      assert.equal(result.detector, null);
      assert.equal(result.dogs.length, 1);
      assert.equal(result.dogs[0]?.box, null);
      assert.equal(result.top[0]?.breed, MALTESE[1]);
    } finally {
      await plain.close();
    }
  });
});
