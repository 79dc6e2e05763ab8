/**
 * Videos on the command line (issue 25), with real clips made here by ffmpeg from the shared photos and the real
 * models: `classify` names the dog of a one-dog slideshow and says what it read (human and --json); a GIF animation is
 * read as a video, a still GIF as a photo; a truncated clip gets the reader's one-line reason and the exit code of a
 * bad photo; without ffmpeg, one clear line; `batch --local` over a folder mixing photos and clips answers each (and,
 * without ffmpeg, says so in the clip's row).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { batchCommand } from '../../src/cli/commands/batch.ts';
import { gifFrames, mediaKindOf } from '../../src/cli/media-kind.ts';
import { configSchema } from '../../src/config/index.ts';
import { deleteKeysWithPrefix, REDIS_URL } from '../support/app-harness.ts';
import { captureCli } from '../support/cli-context.ts';
import { image, MODELS_DIR, ROOT } from '../support/paths.ts';
import { tempDirs } from '../support/temp-dirs.ts';
import { ffmpeg, gif, slideshow, truncated } from '../support/videos.ts';

const run = promisify(execFile);
const CLI = path.join(ROOT, 'src/cli/main.ts');

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

async function dogBreeds(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, DEVICE: 'cpu', LOG_LEVEL: 'silent', ...env },
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

const GOLDEN = [
  'dogs/golden_retriever-f7a9e407e825.jpg',
  'dogs/golden_retriever-b5cbdac73688.jpg',
  'dogs/golden_retriever-8640d568a657.jpg',
];
const BEAGLE = ['dogs/beagle-4aea27da2a0b.jpg', 'dogs/beagle-5456244aa5a2.jpg', 'dogs/beagle-7bcc00513054.jpg'];

interface VideoJson {
  file: string;
  isDog: boolean;
  top: { breed: string }[];
  video?: { framesRead: number; framesSampled: number; durationS: number; shownAtS: number };
}

const temp = tempDirs();
let dir: string;
let golden: string;
let beagleGif: string;
let stillGif: string;
let cut: string;

before(async () => {
  dir = await temp.make('cli-video');
  golden = await slideshow(dir, GOLDEN, { name: 'golden.mp4' });
  beagleGif = await gif(dir, BEAGLE, { name: 'beagle.gif' });
  stillGif = path.join(dir, 'still.gif');
  await ffmpeg(['-i', image(BEAGLE[0] as string), '-vf', 'scale=320:-2', '-frames:v', '1', stillGif]);
  cut = await truncated(dir, golden, 0.3);
});
after(() => temp.removeAll());

describe('what a file holds', () => {
  it('tells clips from photos by their bytes: MP4, a GIF of several frames; a still GIF and a JPEG are photos', async () => {
    assert.equal(mediaKindOf(await readFile(golden), 'clip.bin'), 'video');
    assert.equal(mediaKindOf(await readFile(beagleGif), 'x.gif'), 'video');
    assert.ok(gifFrames(await readFile(beagleGif)) > 1);
    assert.equal(gifFrames(await readFile(stillGif)), 1);
    assert.equal(mediaKindOf(await readFile(stillGif), 'x.gif'), 'photo');
    assert.equal(mediaKindOf(await readFile(image(GOLDEN[0] as string)), 'named.mp4'), 'photo');
    // Bytes no signature claims: by the name, so a damaged clip gets the video reader's reason.
    assert.equal(mediaKindOf(Buffer.from('no video here at all'), 'x.mp4'), 'video');
    assert.equal(mediaKindOf(Buffer.from('no photo here at all'), 'x.jpg'), 'photo');
  });
});

describe('dog-breeds classify with videos', () => {
  it('a one-dog slideshow: the breed in the top-3, and what the answer was read from', async () => {
    const { code, stdout } = await dogBreeds(['classify', golden]);
    assert.equal(code, 0);
    assert.match(stdout, /golden\.mp4: .*Golden retriever/i);
    assert.match(stdout, /\[video \d+\.\d s: \d+ of \d+ frames read, surest at \d+\.\d s\]/);
  });

  it('--json: the video facts beside the answer; a photo in the same run has none', async () => {
    const { code, stdout } = await dogBreeds(['classify', '--json', golden, beagleGif, image(BEAGLE[1] as string)]);
    assert.equal(code, 0);
    const [clip, animation, photo] = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as VideoJson);
    assert.ok(clip?.video && animation?.video && photo);
    assert.ok(
      clip.top.some((g) => g.breed === 'golden_retriever'),
      JSON.stringify(clip.top),
    );
    assert.ok(clip.video.framesRead >= 1 && clip.video.framesRead <= clip.video.framesSampled);
    assert.ok(clip.video.framesSampled <= 8, 'VIDEO_MAX_FRAMES (8) by default');
    assert.ok(clip.video.durationS > 5 && clip.video.durationS < 7, `three photos of 2 s: ${clip.video.durationS}`);
    assert.ok(clip.video.shownAtS >= 0 && clip.video.shownAtS <= clip.video.durationS);
    assert.ok(
      animation.top.some((g) => g.breed === 'beagle'),
      JSON.stringify(animation.top),
    );
    assert.equal(photo.video, undefined);
  });

  it('a truncated clip: the reader’s one-line reason, and the exit code of a bad photo', async () => {
    const { code, stdout, stderr } = await dogBreeds(['classify', cut]);
    assert.equal(code, 1);
    assert.equal(stdout, '');
    const lines = stderr.trim().split('\n');
    assert.equal(lines.length, 1, stderr);
    assert.match(lines[0] ?? '', new RegExp(`^${cut}: \\S`));
    assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
  });

  it('without ffmpeg: each video says so in one line, photos are answered as usual', async () => {
    const { code, stdout, stderr } = await dogBreeds(['classify', golden, image(BEAGLE[1] as string)], {
      FFMPEG_PATH: '/nonexistent/ffmpeg',
      FFPROBE_PATH: '/nonexistent/ffprobe',
    });
    assert.equal(code, 0, 'the photo was answered');
    assert.match(stdout, /beagle/i);
    const lines = stderr.trim().split('\n');
    assert.equal(lines.length, 1, stderr);
    assert.match(lines[0] ?? '', new RegExp(`^${golden}: .*ffmpeg`));
  });
});

describe('dog-breeds batch with videos', () => {
  const prefix = `test-${randomUUID().slice(0, 8)}`;
  after(async () => {
    for (const run of [prefix, `${prefix}-no-ffmpeg`]) await deleteKeysWithPrefix(REDIS_URL, run);
  });

  it('a folder mixing photos and clips (--local): every file answered, the clips with their video facts', async () => {
    const folder = await temp.make('cli-video-batch');
    await copyFile(golden, path.join(folder, 'golden.mp4'));
    await copyFile(beagleGif, path.join(folder, 'beagle.gif'));
    await copyFile(image(BEAGLE[2] as string), path.join(folder, 'beagle.jpg'));
    await copyFile(cut, path.join(folder, 'cut.mp4'));
    const config = configSchema.parse({ REDIS_URL, QUEUE_PREFIX: prefix, MODELS_DIR, DEVICE: 'cpu' });
    const out = path.join(dir, 'results.jsonl');
    const context = captureCli(config);
    assert.equal(await batchCommand([folder], { out, local: true }, context), 0);
    assert.match(context.printed(), /done: 4\/4 photos/);
    const rows = new Map(
      (await readFile(out, 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line))
        .map((row) => [path.basename(row.input), row]),
    );
    assert.equal(rows.size, 4);
    const clip = rows.get('golden.mp4');
    assert.ok(clip?.ok && clip.video?.framesRead >= 1, JSON.stringify(clip));
    assert.ok(clip.top.some((g: { breed: string }) => g.breed === 'golden_retriever'));
    assert.ok(rows.get('beagle.gif')?.video, 'the GIF animation read as a video');
    assert.ok(rows.get('beagle.jpg')?.ok && rows.get('beagle.jpg')?.video === undefined);
    const bad = rows.get('cut.mp4');
    assert.equal(bad?.ok, false);
    assert.match(`${bad?.problem}`, /^(no-frames|not-a-video|too-heavy)$/);
  });

  it('a worker without ffmpeg: the clip gets a no-video-decoder row, the photo its answer', async () => {
    const folder = await temp.make('cli-video-batch-no-ffmpeg');
    await copyFile(golden, path.join(folder, 'golden.mp4'));
    await copyFile(image(BEAGLE[2] as string), path.join(folder, 'beagle.jpg'));
    const config = configSchema.parse({
      REDIS_URL,
      QUEUE_PREFIX: `${prefix}-no-ffmpeg`,
      MODELS_DIR,
      DEVICE: 'cpu',
      FFMPEG_PATH: '/nonexistent/ffmpeg',
      FFPROBE_PATH: '/nonexistent/ffprobe',
    });
    const out = path.join(dir, 'results-no-ffmpeg.jsonl');
    assert.equal(await batchCommand([folder], { out, local: true }, captureCli(config)), 0);
    const rows = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const clip = rows.find((row) => row.input.endsWith('golden.mp4'));
    assert.deepEqual([clip?.ok, clip?.problem], [false, 'no-video-decoder']);
    assert.equal(rows.find((row) => row.input.endsWith('beagle.jpg'))?.ok, true);
  });
});
