/**
 * Several dogs in one photo, composed in the test from ../shared/validation's dog photos (which the models never saw):
 * three in a row answered as three, each from its own crop; a sliver of a dog cut by the photo's edge not named as a
 * second dog; one dog boxed as two halves answered as one; a dog the detector does not box found beside one it does;
 * and `eval --pairs` composing the same photos on every run.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { composeSideBySide, evaluatePairs } from '../../src/cli/commands/eval-pairs.ts';
import { configSchema } from '../../src/config/index.ts';
import { Classifier } from '../../src/vision/classifier.ts';
import { captureCli } from '../support/cli-context.ts';
import { MODELS_DIR, readValidationImage, VALIDATION_LABELS_CSV } from '../support/paths.ts';
import { testClassifierOptions } from '../support/vision-options.ts';

/** The photos, each scaled to `height`, side by side on white, as a JPEG; and each one's x range. */
async function inARow(files: readonly string[], height: number) {
  const tiles = await Promise.all(
    files.map(async (file) =>
      sharp(await readValidationImage(file))
        .resize({ height })
        .toBuffer({ resolveWithObject: true }),
    ),
  );
  const spans: { left: number; right: number }[] = [];
  let x = 0;
  for (const { info } of tiles) {
    spans.push({ left: x, right: x + info.width });
    x += info.width;
  }
  const bytes = await sharp({ create: { width: x, height, channels: 3, background: '#ffffff' } })
    .composite(tiles.map(({ data }, i) => ({ input: data, left: spans[i]?.left ?? 0, top: 0 })))
    .jpeg({ quality: 92 })
    .toBuffer();
  return { bytes, spans, width: x };
}

describe('several dogs (real models, validation photos)', () => {
  let classifier: Classifier;
  before(async () => {
    classifier = await Classifier.create(testClassifierOptions({ detector: 'yolox-nano-coco' }));
  });
  after(() => classifier.close());

  it('three 227 px photos in a 400 px row: three dogs, each named from its own crop, not blended', async () => {
    const trio = ['dogs/pug-c5a93c978bb9.jpg', 'dogs/beagle-fbf9070afb1e.jpg', 'dogs/samoyed-682766bfe584.jpg'];
    const { bytes, spans, width } = await inARow(trio, 400);
    assert.ok(width >= 1100, `${width}×400`);
    const result = await classifier.classify(bytes, { withViews: true });
    const summary = result.dogs.map((d) => `${d.top[0]?.breed} ${JSON.stringify(d.box)}`).join('; ');
    assert.equal(result.dogs.length, 3, summary);
    for (const [i, dog] of result.dogs.entries()) {
      const span = spans[i] as { left: number; right: number };
      const centre = (dog.box?.left ?? -1) + (dog.box?.width ?? 0) / 2;
      assert.ok(centre > span.left && centre < span.right, `dog ${i} lies in photo ${i}: ${summary}`);
    }
    // Each answer is its crop's alone: the whole photo, which holds all three, is not mixed into the main one.
    assert.ok(result.views?.crop);
    assert.deepEqual(result.views.final.breedProbs, result.views.crop.breedProbs);
  });

  // A sliver the detector does see (a "dog" box 0.72 on it; the gate reads 0.77 on its crop): named before as a second
  // dog. (A sliver holding a dog's head can read 0.9 and more: the gate is then sure, and it is named.)
  for (const [whole, cut] of [['dogs/samoyed-682766bfe584.jpg', 'dogs/rottweiler-6649e070f4fa.jpg']] as const) {
    it(`a sliver of a dog at the photo's edge is not named as a second dog (${cut.split('/')[1]})`, async () => {
      const a = await sharp(await readValidationImage(whole))
        .resize({ height: 300 })
        .toBuffer({ resolveWithObject: true });
      const b = await sharp(await readValidationImage(cut))
        .resize({ height: 300 })
        .toBuffer();
      // The front 40 % of the other dog (where its own photo shows it), cut by the right edge of the photo.
      const own = (await classifier.classify(b)).dogs[0]?.box;
      assert.ok(own, 'the other photo alone shows a dog');
      const slice = Math.round(own.width * 0.4);
      const sliver = await sharp(b).extract({ left: own.left, top: 0, width: slice, height: 300 }).toBuffer();
      const width = 40 + a.info.width + 120 + slice;
      const bytes = await sharp({ create: { width, height: 360, channels: 3, background: '#ffffff' } })
        .composite([
          { input: a.data, left: 40, top: 30 },
          { input: sliver, left: width - slice, top: 30 },
        ])
        .jpeg({ quality: 92 })
        .toBuffer();
      const result = await classifier.classify(bytes);
      const summary = result.dogs.map((d) => `${d.top[0]?.breed} ${JSON.stringify(d.box)} ${d.dogScore}`).join('; ');
      assert.equal(result.dogs.length, 1, summary);
      assert.ok((result.dogs[0]?.box?.left ?? width) < 40 + a.info.width, `the whole dog is the one named: ${summary}`);
    });
  }
});

describe('one dog in halves, a dog the detector missed (real models, validation photos)', () => {
  let classifier: Classifier;
  before(async () => {
    classifier = await Classifier.create(testClassifierOptions({ detector: 'yolox-nano-coco' }));
  });
  after(() => classifier.close());

  // The detector boxes each of these long-haired or long-legged dogs as two touching halves, at least one called
  // another animal ("bear", "horse"), both crops named the dog's breed: they were answered as two dogs.
  for (const [file, breed] of [
    ['dogs/tibetan_mastiff-20816fc85c44.jpg', 'tibetan_mastiff'],
    ['dogs/ibizan_hound-2794c96f530c.jpg', 'ibizan_hound'],
  ] as const) {
    it(`a dog boxed as two halves is one dog, boxed whole (${breed})`, async () => {
      const bytes = await readValidationImage(file);
      const { width } = await sharp(bytes).metadata();
      const result = await classifier.classify(bytes);
      const summary = result.dogs.map((d) => `${d.top[0]?.breed} ${JSON.stringify(d.box)}`).join('; ');
      assert.equal(result.dogs.length, 1, summary);
      assert.equal(result.dogs[0]?.top[0]?.breed, breed, summary);
      assert.ok((result.dogs[0]?.box?.width ?? 0) > 0.6 * (width ?? 0), `the box holds both halves: ${summary}`);
    });
  }

  // As `eval --pairs` composes its second pair: the shih-tzu (274 px) gets no box above 0.1. (Top-aligned on white with no
  // gap and the affenpinscher as tall, the detector boxes the shih-tzu's head alone and its body, named from the band,
  // is counted as a third dog: the band rule's known limit.)
  it('a shih-tzu the detector does not box, beside an affenpinscher it does, is found and named', async () => {
    const files = ['dogs/shih-tzu-762a69a576f3.jpg', 'dogs/affenpinscher-1745b19f60a3.jpg'];
    const photos = await Promise.all(files.map(async (f) => ({ bytes: await readValidationImage(f), height: 0 })));
    const composed = await composeSideBySide(
      photos.map((p, i) => ({ ...p, height: [274, 193][i] as number })),
      [9],
      () => 0.2,
    );
    const result = await classifier.classify(composed.bytes);
    const summary = result.dogs
      .map((d) => `${d.top[0]?.breed} ${JSON.stringify(d.box)} ${d.detected?.label}`)
      .join('; ');
    assert.equal(result.dogs.length, 2, summary);
    const [left, right] = result.dogs;
    const shihTzu = composed.boxes[0] as { left: number; width: number };
    // Named from the band free of the affenpinscher's box: no detector box, over the shih-tzu.
    assert.equal(left?.detected, null, summary);
    const centre = (left?.box?.left ?? -1) + (left?.box?.width ?? 0) / 2;
    assert.ok(centre > shihTzu.left && centre < shihTzu.left + shihTzu.width, summary);
    assert.ok(
      left?.top.slice(0, 3).some((g) => g.breed === 'shih-tzu'),
      summary,
    );
    assert.equal(right?.top[0]?.breed, 'affenpinscher', summary);
    // The main dog is the one the detector boxed, never the leftover band.
    assert.equal(result.mainDog, 1, summary);
  });

  it("the ground beside a photo's one dog is not named as another (samoyed on a tennis court)", async () => {
    const result = await classifier.classify(await readValidationImage('dogs/samoyed-682766bfe584.jpg'));
    const summary = result.dogs.map((d) => `${d.top[0]?.breed} ${JSON.stringify(d.box)}`).join('; ');
    assert.equal(result.dogs.length, 1, summary);
    assert.equal(result.dogs[0]?.top[0]?.breed, 'samoyed', summary);
  });
});

describe('eval --pairs', () => {
  const config = configSchema.parse({ MODELS_DIR, DEVICE: 'cpu' });

  it('composes the same photos every run (N pairs, then ⌈N/3⌉ trios) and counts them found and named', async () => {
    const first = await evaluatePairs(VALIDATION_LABELS_CSV, 3, {}, captureCli(config));
    const again = await evaluatePairs(VALIDATION_LABELS_CSV, 3, {}, captureCli(config));
    assert.deepEqual(
      first.photos.map((p) => p.placed.length),
      [2, 2, 2, 3],
    );
    assert.deepEqual(first.photos, again.photos);
    for (const p of first.photos) {
      assert.equal(new Set(p.placed.map((d) => d.breed)).size, p.placed.length, 'different breeds');
      assert.ok(p.named <= p.placed.length);
      const heights = p.placed.map((d) => d.box.height);
      assert.ok(
        heights.every((h) => h >= 160 && h <= 320),
        `heights ${heights}`,
      );
    }
    assert.equal(first.allFound, first.photos.filter((p) => p.found === p.placed.length).length);
    assert.deepEqual(
      first.byCount.map((c) => [c.dogs, c.photos]),
      [
        [2, 3],
        [3, 1],
      ],
    );
    // The first composed pair (of two clear dogs) is found as two.
    assert.equal(first.photos[0]?.found, 2, JSON.stringify(first.photos[0]?.placed.map((d) => d.breed)));
  });
});
