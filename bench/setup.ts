/**
 * What the benchmarks run on: the project's models, the shared photos (never committed; DOG_IMAGES_DIR moves them),
 * and the vision core set up from the configuration schema's defaults, as the service sets it up.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { classifierOptions, decodeLimitsOf } from '../src/app/index.ts';
import { type Config, configSchema } from '../src/config/index.ts';
import { createLogger } from '../src/ops/index.ts';
import type { ClassifierOptions, DecodeLimits } from '../src/vision/index.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
export const MODELS_DIR = path.join(ROOT, 'models');
export const IMAGES_DIR = process.env.DOG_IMAGES_DIR ?? path.resolve(ROOT, '../shared/images');

/** The defaults, on the CPU (the baseline runs there too), with the whole-photo path unless a row asks for more. */
export const BENCH_CONFIG: Config = configSchema.parse({ MODELS_DIR, DEVICE: 'cpu', DETECTOR: 'none' });
export const LIMITS: DecodeLimits = decodeLimitsOf(BENCH_CONFIG);

export function benchClassifierOptions(overrides: Partial<ClassifierOptions> = {}): ClassifierOptions {
  return classifierOptions(BENCH_CONFIG, createLogger({ level: 'silent' }), overrides);
}

/** Runs ffmpeg quietly (the bench's clips are made on each run, into a temp folder, never committed). */
async function ffmpeg(args: readonly string[]): Promise<void> {
  await promisify(execFile)('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', ...args]);
}

/** A 720p H.264 slideshow of the photos, `secondsEach` each: a phone's clip of a dog, as the video bench reads it. */
export async function benchSlideshow(dir: string, photos: readonly string[], secondsEach = 2): Promise<string> {
  const out = path.join(dir, 'slideshow-720p.mp4');
  const fit = 'scale=1280:720:force_original_aspect_ratio=decrease,pad=1280:720:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=25';
  const each = photos.map((_, i) => `[${i}:v]${fit},format=yuv420p[v${i}]`);
  const graph = `${each.join(';')};${photos.map((_, i) => `[v${i}]`).join('')}concat=n=${photos.length}:v=1:a=0[out]`;
  const inputs = photos.flatMap((photo) => ['-loop', '1', '-t', String(secondsEach), '-i', photo]);
  await ffmpeg([...inputs, '-filter_complex', graph, '-map', '[out]', '-c:v', 'libx264', '-preset', 'veryfast', out]);
  return out;
}

/**
 * A clip just under the Bot API's 20 MB download limit, as heavy to decode as such a file gets: 10 s of 1080p at
 * 30 fps, a test pattern under moving noise (which no encoder can shrink), at 15 Mbit/s.
 */
export async function benchHeavyClip(dir: string): Promise<string> {
  const out = path.join(dir, 'heavy-1080p.mp4');
  await ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=1920x1080:rate=30:duration=10',
    '-vf',
    'noise=alls=30:allf=t',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-b:v',
    '15M',
    '-maxrate',
    '15M',
    '-bufsize',
    '8M',
    '-pix_fmt',
    'yuv420p',
    out,
  ]);
  return out;
}
