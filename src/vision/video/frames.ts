/**
 * Frames out of a clip: the moments to sample (spread over it), as JPEGs no larger than the classifier can use. A
 * clip of up to ONE_PASS_MAX_PIXELS is decoded in one pass of one ffmpeg, which keeps a frame every step; a longer
 * one (or one the pass got nothing from) by a bounded ffmpeg per moment with an accurate seek. Each start of
 * Debian's ffmpeg costs 0.1–0.3 s (it links some 200 shared libraries): on a 10 s 720p slideshow, eight seeks took
 * 2.3–3.7 s on a loaded 2-core machine, one pass 0.8 s.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { type BoundedRunLimits, DECODER_THREADS, INPUT_SAFETY, QUIET, runBounded } from './ffmpeg-run.ts';
import type { ClipFacts } from './probe.ts';

export interface ExtractedFrame {
  atS: number;
  jpeg: Buffer;
}

export interface Extraction {
  frames: ExtractedFrame[];
  /** Frames lost to the deadline or the memory limit (not to a damaged stream). */
  heavy: number;
  /** The first failure's words, for the log. */
  firstError: string | null;
}

/** The long side of an extracted frame: the classifier reads 224–448 px crops; 1280 keeps small dogs in a wide shot. */
const FRAME_LONG_SIDE = 1280;
/** A 1280 px JPEG at -q:v 3 is well under 1 MB; 8 MB is a stream that is not one frame. */
const FRAME_BYTES_MAX = 8 << 20;
/** ffmpeg processes at a time for one clip: two keep a 2-core worker answering photos meanwhile. */
const PARALLEL_EXTRACTIONS = 2;
/** The scaling and the JPEG of one frame need one thread each; the decoder gets DECODER_THREADS. */
const THREAD_BOUNDS = ['-filter_threads', '1', '-threads', DECODER_THREADS] as const;
/** Goes after the input: the output's (encoder's) threads. */
const ENCODER_THREADS = ['-threads', '1'] as const;

/** Up to `maxFrames` moments: the centres of equal parts of the clip; fewer when it has fewer frames. */
export function sampleTimes(clip: Pick<ClipFacts, 'durationS' | 'frameCount'>, maxFrames: number): number[] {
  const count = Math.max(1, Math.min(maxFrames, clip.frameCount ?? maxFrames));
  if (clip.durationS <= 0) return [0];
  return Array.from({ length: count }, (_, i) => Math.round(((clip.durationS * (i + 0.5)) / count) * 1000) / 1000);
}

/**
 * Clips of at most this many pixels in all their frames are decoded whole in one pass; past it, a seek per moment
 * decodes only from the keyframe before it. Where they cost the same, measured on a 19 MB 25 s 1080p clip (one
 * keyframe a second): one pass 2.5 s, eight seeks 2.2 s; on a 10 s 720p slideshow one pass is twice as quick.
 */
const ONE_PASS_MAX_PIXELS = 750 * 1920 * 1080;

/** Never scaled up; the long side at most FRAME_LONG_SIDE, the other kept in proportion. */
const SCALE = `scale='if(gte(iw,ih),min(${FRAME_LONG_SIDE},iw),-2)':'if(gte(iw,ih),-2,min(${FRAME_LONG_SIDE},ih))'`;

function extractArgs(file: string, atS: number): string[] {
  return [
    ...QUIET,
    ...THREAD_BOUNDS,
    '-ss',
    String(atS),
    ...INPUT_SAFETY,
    '-i',
    file,
    '-map',
    '0:v:0',
    '-frames:v',
    '1',
    '-vf',
    SCALE,
    '-f',
    'image2pipe',
    ...ENCODER_THREADS,
    '-c:v',
    'mjpeg',
    '-q:v',
    '3',
    'pipe:1',
  ];
}

/** Runs `work` on each item, at most `limit` at a time, results in the items' order. */
async function inParallel<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/** A whole JPEG, start (SOI) to end (EOI): a frame being written when the deadline killed ffmpeg is cut short. */
const isWholeJpeg = (bytes: Buffer) =>
  bytes.length > 4 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes.at(-2) === 0xff && bytes.at(-1) === 0xd9;

/**
 * The frames at `times` (equally spaced) in one ffmpeg: a seek to the first, then a frame kept every step to the end,
 * written as files into `dir` (the reader's private folder). A frame is named by its place, so its time is the first
 * moment plus its place times the step (within a frame of the truth).
 */
async function extractInOnePass(
  ffmpegPath: string,
  file: string,
  times: readonly number[],
  dir: string,
  limits: Omit<BoundedRunLimits, 'maxStdoutBytes'>,
): Promise<Extraction> {
  const first = times[0] ?? 0;
  const step = times.length > 1 ? (times[1] as number) - first : 0;
  // Less a millisecond, so that frame times rounded to the stream's time base do not skip a step.
  const select = `select='isnan(prev_selected_t)+gte(t-prev_selected_t\\,${Math.max(0, step - 0.001)})'`;
  const args = [
    ...QUIET,
    ...THREAD_BOUNDS,
    '-ss',
    String(first),
    ...INPUT_SAFETY,
    '-i',
    file,
    '-map',
    '0:v:0',
    '-vf',
    `${select},${SCALE}`,
    // -vsync, not 5.1's -fps_mode: the gpu image's Ubuntu 22.04 ffmpeg is 4.4 (0 is passthrough: no frame duplicated)
    '-vsync',
    '0',
    '-frames:v',
    String(times.length),
    ...ENCODER_THREADS,
    '-c:v',
    'mjpeg',
    '-q:v',
    '3',
    path.join(dir, 'frame-%03d.jpg'),
  ];
  const run = await runBounded(ffmpegPath, args, { ...limits, maxStdoutBytes: FRAME_BYTES_MAX });
  const names = (await readdir(dir)).filter((name) => /^frame-\d{3}\.jpg$/.test(name)).sort();
  const frames: ExtractedFrame[] = [];
  for (const name of names) {
    const place = Number(name.slice(6, 9)) - 1; // the image muxer counts from 1
    const jpeg = await readFile(path.join(dir, name));
    if (isWholeJpeg(jpeg)) frames.push({ atS: Math.round((first + place * step) * 1000) / 1000, jpeg });
  }
  const heavy = run.killed === 'deadline' || /cannot allocate memory|out of memory/i.test(run.stderr) ? 1 : 0;
  const failed = run.code !== 0 || run.killed !== null;
  return {
    frames,
    heavy,
    firstError: failed ? (run.killed ? `killed (${run.killed})` : run.stderr || `exit ${run.code}`) : null,
  };
}

/**
 * The frames at `times`, in one pass for a short clip, else one seek each (also when the pass found none: a seek
 * may still reach a part of a damaged clip). A frame that fails is left out, and why is counted.
 */
export async function extractFrames(
  ffmpegPath: string,
  file: string,
  clip: Pick<ClipFacts, 'frameCount' | 'width' | 'height'>,
  times: readonly number[],
  dir: string,
  limits: Omit<BoundedRunLimits, 'maxStdoutBytes'>,
): Promise<Extraction> {
  const pixels = clip.frameCount === null ? Number.POSITIVE_INFINITY : clip.frameCount * clip.width * clip.height;
  if (pixels <= ONE_PASS_MAX_PIXELS && times.length > 1) {
    const pass = await extractInOnePass(ffmpegPath, file, times, dir, limits);
    if (pass.frames.length > 0 || pass.heavy > 0) return pass;
  }
  return extractBySeeks(ffmpegPath, file, times, limits);
}

/** The frames at `times`, each by its own ffmpeg, two at a time. */
async function extractBySeeks(
  ffmpegPath: string,
  file: string,
  times: readonly number[],
  limits: Omit<BoundedRunLimits, 'maxStdoutBytes'>,
): Promise<Extraction> {
  let heavy = 0;
  let firstError: string | null = null;
  const results = await inParallel(times, PARALLEL_EXTRACTIONS, async (atS): Promise<ExtractedFrame | null> => {
    if (Date.now() >= limits.deadline) {
      heavy++;
      return null;
    }
    const run = await runBounded(ffmpegPath, extractArgs(file, atS), { ...limits, maxStdoutBytes: FRAME_BYTES_MAX });
    if (run.code === 0 && run.killed === null && isWholeJpeg(run.stdout)) return { atS, jpeg: run.stdout };
    if (run.killed === 'deadline' || /cannot allocate memory|out of memory/i.test(run.stderr)) heavy++;
    firstError ??= run.killed ? `killed (${run.killed})` : run.stderr || `exit ${run.code}, no frame`;
    return null;
  });
  const frames = results.filter((frame): frame is ExtractedFrame => frame !== null);
  return { frames, heavy, firstError };
}
