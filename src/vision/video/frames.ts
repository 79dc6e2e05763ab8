/**
 * Frames out of a clip: the moments to sample (spread over it), each one extracted by its own bounded ffmpeg with an
 * accurate seek, as a JPEG no larger than the classifier can use.
 */
import { type BoundedRunLimits, QUIET, runBounded } from './ffmpeg-run.ts';
import type { ClipFacts } from './probe.ts';

export interface ExtractedFrame {
  atS: number;
  jpeg: Buffer;
}

export interface Extraction {
  frames: ExtractedFrame[];
  /** Moments tried. */
  tried: number;
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
/** Decoder threads per ffmpeg: a 4K frame decodes in time on two; more only adds memory. */
const DECODER_THREADS = '2';

/** Up to `maxFrames` moments: the centres of equal parts of the clip; fewer when it has fewer frames. */
export function sampleTimes(clip: Pick<ClipFacts, 'durationS' | 'frameCount'>, maxFrames: number): number[] {
  const count = Math.max(1, Math.min(maxFrames, clip.frameCount ?? maxFrames));
  if (clip.durationS <= 0) return [0];
  return Array.from({ length: count }, (_, i) => Math.round(((clip.durationS * (i + 0.5)) / count) * 1000) / 1000);
}

function extractArgs(file: string, atS: number): string[] {
  // Never scaled up; the long side at most FRAME_LONG_SIDE, the other kept in proportion.
  const long = FRAME_LONG_SIDE;
  const scale = `scale='if(gte(iw,ih),min(${long},iw),-2)':'if(gte(iw,ih),-2,min(${long},ih))'`;
  return [
    ...QUIET,
    '-threads',
    DECODER_THREADS,
    '-ss',
    String(atS),
    '-i',
    file,
    '-map',
    '0:v:0',
    '-frames:v',
    '1',
    '-vf',
    scale,
    '-f',
    'image2pipe',
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

const isJpeg = (bytes: Buffer) => bytes.length > 4 && bytes[0] === 0xff && bytes[1] === 0xd8;

/** The frames at `times`; one that fails is left out, and why is counted. */
export async function extractFrames(
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
    if (run.code === 0 && run.killed === null && isJpeg(run.stdout)) return { atS, jpeg: run.stdout };
    if (run.killed === 'deadline' || /cannot allocate memory|out of memory/i.test(run.stderr)) heavy++;
    firstError ??= run.killed ? `killed (${run.killed})` : run.stderr || `exit ${run.code}, no frame`;
    return null;
  });
  const frames = results.filter((frame): frame is ExtractedFrame => frame !== null);
  return { frames, tried: times.length, heavy, firstError };
}
