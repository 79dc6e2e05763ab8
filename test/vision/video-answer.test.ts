/**
 * The rules that read a clip's frames together (src/vision/video/video-answer.ts), on frame readings written out here,
 * and the moments sampled and the frames kept (sampleTimes, the black and blur checks on real pictures made by sharp).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import sharp from 'sharp';
import type { Classification, DogAnswer } from '../../src/vision/classification.ts';
import { type Breed, loadBreeds, topK } from '../../src/vision/index.ts';
import { clearFrames, isBlack, measureFrame } from '../../src/vision/video/frame-quality.ts';
import { sampleTimes } from '../../src/vision/video/frames.ts';
import { type ReadFrame, readFramesTogether } from '../../src/vision/video/video-answer.ts';
import { MODELS_DIR, readImage } from '../support/paths.ts';

let breeds: readonly Breed[];
before(async () => {
  breeds = await loadBreeds(path.join(MODELS_DIR, 'breeds.json'));
});

/** Every breed's probability: `named` as given, the rest sharing what is left. */
function probs(named: Record<string, number>): Float64Array {
  const left = 1 - Object.values(named).reduce((a, b) => a + b, 0);
  const others = breeds.filter((b) => !(b.id in named)).length;
  return Float64Array.from(breeds, (b) => named[b.id] ?? left / others);
}

function dog(named: Record<string, number>, left: number): DogAnswer {
  return {
    box: { left, top: 10, width: 100, height: 100 },
    detected: { label: 'dog', score: 0.9 },
    isDog: true,
    dogScore: 0.9,
    top: topK(probs(named), breeds, breeds.length),
    group: null,
  };
}

/** A frame at `atS` that saw these dogs (left to right; the first is the main one), or none (a cat). */
function frame(atS: number, dogs: DogAnswer[], cat?: Record<string, number>): ReadFrame {
  const main = dogs[0];
  const result: Classification = {
    isDog: main !== undefined,
    dogScore: main ? 0.9 : 0.05,
    top: main?.top ?? topK(probs(cat ?? { egyptian_cat: 0.5 }), breeds, breeds.length),
    group: null,
    dogs,
    mainDog: main ? 0 : null,
    moreDogs: 0,
    photo: { width: 640, height: 480 },
    model: 'm',
    gateModel: 'g',
    detector: 'd',
    ms: { preprocess: 1, inference: 2, total: 3 },
  };
  return { atS, jpeg: Buffer.from([atS]), result };
}

describe('reading the frames together', () => {
  it('one dog: its breeds averaged over the frames (re-sorted), the surest frame shown, three breeds named', () => {
    const frames = [
      frame(1, [dog({ beagle: 0.5, basset: 0.4 }, 10)]),
      frame(2, [dog({ beagle: 0.6, basset: 0.3 }, 10)]),
      frame(3, [dog({ basset: 0.45, beagle: 0.4 }, 10)]),
    ];
    const { classification, shown } = readFramesTogether(frames, breeds);
    assert.equal(classification.isDog, true);
    assert.deepEqual(
      classification.top.map((g) => g.breed),
      ['beagle', 'basset', classification.top[2]?.breed],
    );
    assert.ok(Math.abs((classification.top[0]?.p ?? 0) - 0.5) < 1e-9, 'the mean of 0.5, 0.6, 0.4');
    assert.equal(classification.top.length, 3);
    assert.equal(shown.atS, 2, 'the frame whose top breed is the most probable');
    assert.deepEqual(classification.dogs[0]?.top, classification.top);
    assert.deepEqual(classification.ms, { preprocess: 3, inference: 6, total: 9 });
  });

  it('a dog then a cat: one dog, from the dog frames alone', () => {
    const beagle = () => [dog({ beagle: 0.7 }, 10)];
    const frames = [frame(1, beagle()), frame(2, beagle()), frame(3, beagle()), frame(4, []), frame(5, [])];
    const { classification } = readFramesTogether(frames, breeds);
    assert.equal(classification.isDog, true);
    assert.equal(classification.top[0]?.breed, 'beagle');
    assert.ok(Math.abs((classification.top[0]?.p ?? 0) - 0.7) < 1e-9, 'the cat frames do not dilute it');
  });

  it('one frame of four saying dog is not a dog; the surest other frame is shown, with no dogs', () => {
    const frames = [frame(0, [dog({ beagle: 0.3 }, 10)]), ...[1, 2, 3].map((t) => frame(t, []))];
    const { classification, shown } = readFramesTogether(frames, breeds);
    assert.equal(classification.isDog, false);
    assert.deepEqual(classification.dogs, []);
    assert.equal(classification.mainDog, null);
    assert.notEqual(shown.atS, 0);
  });

  it('a single frame read is enough when it is all there is', () => {
    const { classification } = readFramesTogether([frame(0, [dog({ pug: 0.8 }, 10)])], breeds);
    assert.equal(classification.isDog, true);
    assert.equal(classification.top[0]?.breed, 'pug');
  });

  it('two dogs when most dog-frames see two: each averaged over those frames, left to right', () => {
    const pair = (b: number, x: number) => [dog({ beagle: b }, 10), dog({ boxer: x }, 300)];
    const frames = [frame(1, pair(0.6, 0.8)), frame(2, pair(0.8, 0.6)), frame(3, [dog({ pug: 0.9 }, 10)])];
    const { classification, shown } = readFramesTogether(frames, breeds);
    assert.equal(classification.dogs.length, 2);
    assert.equal(classification.dogs[0]?.top[0]?.breed, 'beagle');
    assert.ok(Math.abs((classification.dogs[0]?.top[0]?.p ?? 0) - 0.7) < 1e-9);
    assert.equal(classification.dogs[1]?.top[0]?.breed, 'boxer');
    assert.ok(Math.abs((classification.dogs[1]?.top[0]?.p ?? 0) - 0.7) < 1e-9);
    assert.notEqual(shown.atS, 3, 'the frame shown saw two dogs');
    assert.deepEqual(classification.top, classification.dogs[0]?.top);
  });

  it('a tie between one dog and two goes to one', () => {
    const frames = [
      frame(1, [dog({ beagle: 0.6 }, 10), dog({ boxer: 0.6 }, 300)]),
      frame(2, [dog({ beagle: 0.9 }, 10)]),
    ];
    assert.equal(readFramesTogether(frames, breeds).classification.dogs.length, 1);
  });
});

describe('moments sampled', () => {
  it('the centres of equal parts; fewer for a clip of fewer frames; one for a clip with no duration', () => {
    assert.deepEqual(sampleTimes({ durationS: 8, frameCount: 200 }, 8), [0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5]);
    assert.deepEqual(sampleTimes({ durationS: 3, frameCount: 3 }, 8), [0.5, 1.5, 2.5]);
    assert.deepEqual(sampleTimes({ durationS: 0, frameCount: 1 }, 8), [0]);
    assert.equal(sampleTimes({ durationS: 60, frameCount: null }, 8).length, 8);
  });
});

describe('frames kept', () => {
  it('black frames and a blurred copy are left out; a sharp photo is kept', async () => {
    const photo = await sharp(await readImage('dogs/beagle-4aea27da2a0b.jpg'))
      .resize(640, 480, { fit: 'inside' })
      .jpeg()
      .toBuffer();
    const blurred = await sharp(photo).blur(12).jpeg().toBuffer();
    const black = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#050505' } })
      .jpeg()
      .toBuffer();
    const qualities = await Promise.all([photo, blurred, black].map(measureFrame));
    assert.equal(isBlack(qualities[2] as (typeof qualities)[number]), true);
    assert.equal(isBlack(qualities[0] as (typeof qualities)[number]), false);
    assert.deepEqual(clearFrames(qualities), [0]);
  });
});
