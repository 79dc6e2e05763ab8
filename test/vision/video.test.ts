/**
 * Videos end to end in the vision core: real clips made here with ffmpeg from the shared photos (test/support/
 * videos.ts), the real ffmpeg and the real default models (with the detector, as the service runs them). The right
 * breed from a slideshow, a GIF and a round note; two dogs counted as two; a dog then a cat read as the dog; and every
 * bad file answered with the VideoInputError that names its problem, the reader working on after each.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { videoReaderOptions } from '../../src/app/index.ts';
import { Classifier } from '../../src/vision/classifier.ts';
import {
  type VideoClassification,
  VideoDecoderMissing,
  VideoInputError,
  type VideoInputProblem,
  VideoReader,
} from '../../src/vision/index.ts';
import { BEAGLE, BOXER } from '../bot/chat.ts';
import { readImage } from '../support/paths.ts';
import { type TempDirs, tempDirs } from '../support/temp-dirs.ts';
import {
  audioOnly,
  blackClip,
  blurredClip,
  fourK120,
  gif,
  gifBomb,
  longClip,
  photosOf,
  playlistOf,
  randomFile,
  slideshow,
  truncated,
  twoDogs,
  videoNote,
  zeroFrames,
} from '../support/videos.ts';
import { TEST_CONFIG, testClassifierOptions } from '../support/vision-options.ts';

/** A photo of a cat the detector finds as a cat (test/vision/detector.test.ts). */
const CAT = 'not-dogs/not_dog-1b2264e006ff.jpg';

let dirs: TempDirs;
let dir: string;
let classifier: Classifier;
let reader: VideoReader;
let beagles: string[];

before(async () => {
  dirs = tempDirs();
  dir = await dirs.make('video');
  classifier = await Classifier.create(testClassifierOptions({ detector: 'yolox-nano-coco' }));
  reader = await VideoReader.open(videoReaderOptions(TEST_CONFIG));
  beagles = await photosOf('beagle');
  assert.ok(beagles.length >= 3, `beagle photos in labels.csv: ${beagles}`);
});
after(async () => {
  await classifier.close();
  await dirs.removeAll();
});

const read = async (file: string) => reader.read(await readFile(file), classifier);

const breedsOf = (result: VideoClassification) => result.top.map((g) => `${g.breed} ${g.p.toFixed(2)}`).join(', ');

/** The answer names `breed` in its top 3, from a sensible number of frames, and shows a JPEG of the clip's size. */
async function assertDogVideo(result: VideoClassification, breed: string, size: { width: number; height: number }) {
  assert.equal(result.isDog, true, breedsOf(result));
  assert.ok(
    result.top.slice(0, 3).some((g) => g.breed === breed),
    `${breed} in the top 3: ${breedsOf(result)}`,
  );
  assert.ok(result.top.length <= 3);
  const { video } = result;
  assert.ok(video.framesSampled >= 1 && video.framesSampled <= 8, `sampled ${video.framesSampled}`);
  assert.ok(video.framesRead >= 1 && video.framesRead <= video.framesSampled, `read ${video.framesRead}`);
  const shown = await sharp(video.shownFrame.jpeg).metadata();
  assert.equal(shown.format, 'jpeg');
  assert.deepEqual({ width: shown.width, height: shown.height }, size);
  assert.deepEqual(result.photo, size, 'the boxes are in the shown frame');
  assert.ok(video.shownFrame.atS >= 0 && video.shownFrame.atS <= video.durationS);
}

describe('videos of dogs (real ffmpeg, real models)', () => {
  it('a slideshow of one beagle: a beagle in the top 3, from 8 frames', async () => {
    const clip = await slideshow(dir, beagles.slice(0, 4), { name: 'beagles.mp4' });
    const result = await read(clip);
    await assertDogVideo(result, 'beagle', { width: 640, height: 480 });
    assert.equal(result.video.framesSampled, 8);
    assert.equal(result.video.durationS, 8);
    assert.equal(result.dogs.length, 1);
  });

  it('a 40 s 1080p clip (past one decoding pass): each moment by its own seek, a beagle in the top 3', async () => {
    const clip = await slideshow(dir, beagles.slice(0, 4), {
      name: 'long-beagles.mp4',
      secondsEach: 10,
      width: 1920,
      height: 1080,
    });
    const result = await read(clip);
    await assertDogVideo(result, 'beagle', { width: 1280, height: 720 });
    assert.equal(result.video.framesSampled, 8);
    assert.deepEqual(
      [result.video.durationS, result.video.shownFrame.atS % 2.5],
      [40, 0],
      'shown at a sampled moment: a centre of one of 8 parts of 5 s',
    );
  });

  it('a GIF of a beagle', async () => {
    const result = await read(await gif(dir, beagles.slice(0, 3)));
    await assertDogVideo(result, 'beagle', { width: 320, height: 240 });
  });

  it('a round 240×240 video note of a beagle', async () => {
    const result = await read(await videoNote(dir, beagles.slice(0, 3)));
    await assertDogVideo(result, 'beagle', { width: 240, height: 240 });
  });

  it('two dogs side by side: two dogs, left to right, each named, boxes in the shown frame', async () => {
    const clip = await twoDogs(dir, [[BEAGLE, BOXER]], { secondsEach: 3 });
    const result = await read(clip);
    const summary = result.dogs.map((d) => `${d.top[0]?.breed} ${JSON.stringify(d.box)}`).join('; ');
    assert.equal(result.dogs.length, 2, summary);
    assert.ok(
      result.dogs[0]?.top.some((g) => g.breed === 'beagle'),
      summary,
    );
    assert.ok(
      result.dogs[1]?.top.some((g) => g.breed === 'boxer'),
      summary,
    );
    const [left, right] = result.dogs.map((d) => d.box?.left ?? -1);
    assert.ok((left ?? -1) >= 0 && (left ?? 0) < (right ?? 0), summary);
    assert.deepEqual(result.photo, { width: 960, height: 400 });
  });

  it('a dog then a cat: one dog, the right breed', async () => {
    const clip = await slideshow(dir, [...beagles.slice(0, 3), CAT], { name: 'dog-then-cat.mp4' });
    const result = await read(clip);
    await assertDogVideo(result, 'beagle', { width: 640, height: 480 });
    assert.equal(result.dogs.length, 1);
    assert.equal(result.top[0]?.breed, 'beagle', breedsOf(result));
  });

  it('a video of a cat only: no dog', async () => {
    const result = await read(await slideshow(dir, [CAT, CAT], { name: 'cat.mp4' }));
    assert.equal(result.isDog, false, breedsOf(result));
    assert.deepEqual(result.dogs, []);
    assert.ok(result.video.framesRead >= 1);
  });
});

describe('bad videos get a VideoInputError naming the problem (real ffmpeg)', () => {
  const cases: [string, () => Promise<Buffer>, VideoInputProblem][] = [
    ['empty', async () => Buffer.alloc(0), 'empty'],
    ['random bytes', async () => readFile(await randomFile(dir)), 'not-a-video'],
    ['audio only', async () => readFile(await audioOnly(dir)), 'not-a-video'],
    [
      'an MP4 cut at 40 %',
      async () => readFile(await truncated(dir, await slideshow(dir, beagles.slice(0, 2)))),
      'no-frames',
    ],
    ['an MP4 of no frames', async () => readFile(await zeroFrames(dir, beagles.slice(0, 1))), 'no-frames'],
    [
      'an HLS playlist naming a clip on this machine',
      async () => readFile(await playlistOf(dir, await slideshow(dir, beagles.slice(0, 1), { name: 'target.mp4' }))),
      'not-a-video',
    ],
    ['a JPEG photo', async () => readImage(beagles[0] as string), 'not-a-video'],
    ['a ten-hour clip', async () => readFile(await longClip(dir)), 'too-long'],
    ['a GIF declaring 16000×16000', async () => readFile(await gifBomb(dir)), 'too-large'],
    ['a black clip', async () => readFile(await blackClip(dir)), 'no-clear-frame'],
    ['a blurred clip', async () => readFile(await blurredClip(dir, beagles.slice(0, 2))), 'no-clear-frame'],
  ];
  for (const [what, make, problem] of cases) {
    it(`${what} → ${problem}`, async () => {
      const bytes = await make();
      await assert.rejects(reader.read(bytes, classifier), (error: unknown) => {
        assert.ok(error instanceof VideoInputError, String(error));
        assert.equal(error.problem, problem, error.message);
        return true;
      });
    });
  }

  it('a bomb let past the pixel bound fails inside ffmpeg, at its memory limit: too-heavy', async () => {
    const loose = await VideoReader.open({ ...videoReaderOptions(TEST_CONFIG), maxFramePixels: 1e9 });
    await assert.rejects(loose.read(await readFile(await gifBomb(dir)), classifier), (error: unknown) => {
      assert.ok(error instanceof VideoInputError, String(error));
      assert.equal(error.problem, 'too-heavy', error.message);
      return true;
    });
  });

  it('a memory limit too tight for ffmpeg to start: an operator error that says so', async () => {
    await assert.rejects(
      VideoReader.open({ ...videoReaderOptions(TEST_CONFIG), maxMemoryMb: 64 }),
      (error: unknown) => {
        assert.ok(error instanceof VideoDecoderMissing, String(error));
        assert.match(error.message, /VIDEO_MAX_MEMORY_MB=64/);
        return true;
      },
    );
  });

  it('4K at 120 fps is read within the bounds: an answer (no dog in a test pattern) or too-heavy', async (t) => {
    const bytes = await readFile(await fourK120(dir));
    try {
      const result = await reader.read(bytes, classifier);
      t.diagnostic(`answered from ${result.video.framesRead} frames in ${result.ms.total.toFixed(0)} ms`);
      assert.equal(result.isDog, false, breedsOf(result));
      const shown = await sharp(result.video.shownFrame.jpeg).metadata();
      assert.equal(shown.width, 1280, 'scaled down to 1280 on its long side');
    } catch (error) {
      assert.ok(error instanceof VideoInputError && error.problem === 'too-heavy', String(error));
    }
  });

  it('a deadline too short for any frame: too-heavy', async () => {
    const hasty = await VideoReader.open({ ...videoReaderOptions(TEST_CONFIG), timeoutMs: 1 });
    const bytes = await readFile(await slideshow(dir, beagles.slice(0, 1), { name: 'hasty.mp4' }));
    await assert.rejects(hasty.read(bytes, classifier), (error: unknown) => {
      assert.ok(error instanceof VideoInputError, String(error));
      assert.equal(error.problem, 'too-heavy', error.message);
      return true;
    });
  });

  it('the private copy of the clip is removed after a read, answered or refused', async () => {
    const own = await dirs.make('video-tmp');
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = own; // os.tmpdir() reads it on each call
    try {
      await read(await slideshow(dir, beagles.slice(0, 1), { name: 'tmp-check.mp4' }));
      await assert.rejects(reader.read(await readFile(await randomFile(dir)), classifier), VideoInputError);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
    assert.deepEqual(await readdir(own), []);
  });

  it('the reader keeps working after the bad files', async () => {
    const result = await read(await slideshow(dir, beagles.slice(0, 2), { name: 'after.mp4' }));
    assert.equal(result.isDog, true);
  });
});

describe('ffmpeg missing', () => {
  it('VideoReader.open says what to install', async () => {
    for (const missing of [{ ffmpegPath: '/nonexistent/ffmpeg' }, { ffprobePath: '/nonexistent/ffprobe' }]) {
      await assert.rejects(VideoReader.open({ ...videoReaderOptions(TEST_CONFIG), ...missing }), (error: unknown) => {
        assert.ok(error instanceof VideoDecoderMissing, String(error));
        assert.match(error.message, /apt-get install ffmpeg/);
        assert.match(error.message, /FFMPEG_PATH/);
        return true;
      });
    }
  });
});
