/**
 * The gate: which boxes and photos are dogs. The candidate rules on made-up boxes (the gate floor under a detector's
 * "dog", the edge, a second dog), the dog score leaving out ImageNet's wolves, then the real models on large animals
 * of ../shared/validation (photos the models never saw), taken by their ImageNet class, not by how they fare.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  acceptDogs,
  type CandidateRules,
  groupSplitDogs,
  isEdgePart,
  touchesEdge,
  unionBox,
  widestFreeBand,
} from '../../src/vision/candidates.ts';
import { Classifier } from '../../src/vision/classifier.ts';
import type { Detection } from '../../src/vision/detect/index.ts';
import { loadDetectorManifest } from '../../src/vision/manifest.ts';
import { OutputReader } from '../../src/vision/postprocess.ts';
import { MODELS_DIR, readValidationImage, VALIDATION_DIR } from '../support/paths.ts';
import { testClassifierOptions } from '../support/vision-options.ts';

const PHOTO = { width: 1000, height: 600 };
const DOG_THRESHOLD = 0.5;

function candidate(label: string, score: number, dogScore: number | null, left = 300, top = 100, side = 200) {
  const detection: Detection = { box: { left, top, width: side, height: side }, label, score };
  return { detection, dogScore };
}

describe('candidate rules (the shipped yolox-nano-coco settings)', () => {
  let rules: CandidateRules;
  before(async () => {
    rules = (await loadDetectorManifest('yolox-nano-coco', MODELS_DIR)).candidates;
  });
  const accepted = (candidates: ReturnType<typeof candidate>[]) =>
    acceptDogs(candidates, rules, DOG_THRESHOLD, PHOTO).map((c) => c.detection.label);

  it('the gate floor sits below the dog threshold, the edge bar above it', () => {
    assert.ok(rules.rescueMinDogScore > 0 && rules.rescueMinDogScore < DOG_THRESHOLD);
    assert.ok(rules.edgeMinDogScore > DOG_THRESHOLD);
  });

  it('a sure "dog" box never overrules a gate that sees no dog; above the floor it settles a doubting one', () => {
    assert.deepEqual(accepted([candidate('dog', 0.9, rules.rescueMinDogScore / 2)]), []);
    assert.deepEqual(accepted([candidate('dog', 0.9, rules.rescueMinDogScore)]), ['dog']);
    // A box the detector is less sure of, or calls a horse, settles nothing.
    assert.deepEqual(accepted([candidate('dog', rules.rescueMinScore - 0.01, rules.rescueMinDogScore)]), []);
    assert.deepEqual(accepted([candidate('horse', 0.9, rules.rescueMinDogScore)]), []);
  });

  it('a second dog needs the gate on its crop and a box of at least extraMinScore', () => {
    const first = candidate('dog', 0.9, 0.99, 100);
    assert.deepEqual(accepted([first, candidate('sheep', rules.extraMinScore, 0.99, 600)]), ['dog', 'sheep']);
    assert.deepEqual(accepted([first, candidate('sheep', rules.extraMinScore - 0.01, 0.99, 600)]), ['dog']);
    // The detector alone does not make a second dog.
    assert.deepEqual(accepted([first, candidate('dog', 0.9, rules.rescueMinDogScore, 600)]), ['dog']);
  });

  it('a small box cut by the edge is named only when the gate is sure of its crop; a large one as any', () => {
    const small = Math.floor(rules.edgePartMaxSideShare * PHOTO.height) - 1;
    const atEdge = (dogScore: number, side = small) => candidate('dog', 0.8, dogScore, PHOTO.width - side, 100, side);
    assert.ok(touchesEdge(atEdge(1).detection.box, PHOTO));
    assert.ok(isEdgePart(atEdge(1).detection.box, PHOTO, rules.edgePartMaxSideShare));
    assert.ok(!touchesEdge(candidate('dog', 0.8, 1).detection.box, PHOTO));
    assert.deepEqual(accepted([atEdge(rules.edgeMinDogScore - 0.01)]), []);
    assert.deepEqual(accepted([atEdge(rules.edgeMinDogScore)]), ['dog']);
    const first = candidate('dog', 0.9, 0.99, 100);
    assert.deepEqual(accepted([first, atEdge(0.8)]), ['dog']);
    // A dog filling the side of the photo, or one of several in a row, touches the edge too.
    const large = Math.ceil(rules.edgePartMaxSideShare * PHOTO.height) + 1;
    assert.ok(!isEdgePart(atEdge(0.8, large).detection.box, PHOTO, rules.edgePartMaxSideShare));
    assert.deepEqual(accepted([first, atEdge(0.8, large)]), ['dog', 'dog']);
  });

  it('without a gate model every box the detector is sure enough of counts', () => {
    assert.deepEqual(accepted([candidate('cat', 0.3, null, 100), candidate('dog', 0.2, null, 600)]), ['cat']);
  });
});

describe('halves of one dog, and room for a dog the detector missed (made-up boxes)', () => {
  const box = (label: string, left: number, width: number, breed: string) => ({
    detection: { box: { left, top: 100, width, height: 200 }, label, score: 0.5 },
    dogScore: 0.99,
    breed,
  });
  const groups = (cs: ReturnType<typeof box>[]) =>
    groupSplitDogs(cs, (c) => c.breed, 'dog').map((g) => g.map((c) => c.detection.box.left));

  it('a box called another animal touching one named the same breed is its other half', () => {
    // 4 px apart, 100 px wide: within SPLIT_REACH (a tenth of each box).
    assert.deepEqual(groups([box('dog', 100, 100, 'a'), box('sheep', 204, 100, 'a')]), [[100, 204]]);
    assert.deepEqual(groups([box('horse', 100, 100, 'a'), box('horse', 190, 100, 'a')]), [[100, 190]]);
    assert.deepEqual(unionBox([box('dog', 100, 100, 'a'), box('sheep', 204, 100, 'a')].map((c) => c.detection.box)), {
      left: 100,
      top: 100,
      width: 204,
      height: 200,
    });
  });

  it('two "dog" boxes, two breeds, or boxes apart stay two dogs', () => {
    assert.deepEqual(groups([box('dog', 100, 100, 'a'), box('dog', 204, 100, 'a')]), [[100], [204]]);
    assert.deepEqual(groups([box('dog', 100, 100, 'a'), box('sheep', 204, 100, 'b')]), [[100], [204]]);
    assert.deepEqual(groups([box('dog', 100, 100, 'a'), box('sheep', 230, 100, 'a')]), [[100], [230]]);
  });

  it('the widest band free of the boxes, when it is at least the share asked of the photo', () => {
    const photo = { width: 600, height: 300 };
    const found = [{ left: 350, top: 50, width: 200, height: 200 }];
    assert.deepEqual(widestFreeBand(found, photo, 1 / 3), { left: 0, top: 0, width: 350, height: 300 });
    assert.equal(widestFreeBand([{ left: 150, top: 0, width: 300, height: 300 }], photo, 1 / 3), null);
    // A band across the photo, under a dog at its top.
    assert.deepEqual(widestFreeBand([{ left: 0, top: 0, width: 600, height: 100 }], photo, 1 / 3), {
      left: 0,
      top: 100,
      width: 600,
      height: 200,
    });
  });
});

describe('the dog score', () => {
  it('leaves out the classes `except` names: a wolf is no dog', () => {
    const spec = {
      name: 'out',
      kind: 'imagenet-1k-logits' as const,
      dogClasses: { from: 151, to: 275, except: [269, 270, 271, 272] },
      breedClasses: { dingo: 273 },
    };
    const breeds = [{ id: 'dingo', name: 'Dingo', wikipedia: 'https://en.wikipedia.org/wiki/Dingo' }];
    const reader = new OutputReader(spec, breeds);
    const logits = (hot: number) => Float32Array.from({ length: 1000 }, (_, i) => (i === hot ? 20 : 0));
    assert.ok((reader.read(logits(270)).dogScore ?? 1) < 0.01, 'white wolf');
    assert.ok((reader.read(logits(273)).dogScore ?? 0) > 0.9, 'dingo');
    const withWolves = new OutputReader({ ...spec, dogClasses: { from: 151, to: 275 } }, breeds);
    assert.ok((withWolves.read(logits(270)).dogScore ?? 0) > 0.9);
  });
});

/** Large animals a dog is taken for, and the wild canids beside ImageNet's dogs: every such photo of the set. */
const LARGE_ANIMALS = new Set([
  'brown_bear',
  'American_black_bear',
  'sloth_bear',
  'ice_bear',
  'bison',
  'zebra',
  'hippopotamus',
  'Arabian_camel',
  'timber_wolf',
  'white_wolf',
  'red_wolf',
  'coyote',
]);

describe('large animals that are no dogs (real models, validation photos)', () => {
  let classifier: Classifier;
  let photos: { file: string; imagenetClass: string }[];
  before(async () => {
    classifier = await Classifier.create(testClassifierOptions({ detector: 'yolox-nano-coco' }));
    const provenance = await readFile(path.join(VALIDATION_DIR, 'provenance.csv'), 'utf8');
    photos = provenance
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split(','))
      .map(([file = '', , , , imagenetClass = '']) => ({ file, imagenetClass }))
      .filter((p) => LARGE_ANIMALS.has(p.imagenetClass));
  });
  after(() => classifier.close());

  it('each bear, bison, zebra, hippo, camel, wolf and coyote is answered as no dog', async () => {
    assert.ok(photos.length >= 15, `${photos.length} photos of those classes`);
    const passing: string[] = [];
    for (const { file, imagenetClass } of photos) {
      const result = await classifier.classify(await readValidationImage(file));
      if (result.isDog || result.dogs.length > 0) {
        passing.push(`${imagenetClass} ${file}: dog score ${result.dogScore?.toFixed(2)}, ${result.dogs.length} dogs`);
      }
    }
    assert.deepEqual(passing, []);
  });
});
