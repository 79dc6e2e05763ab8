/**
 * What a clip declares, read by ffprobe before a frame is decoded, and the refusals that need no decoding: no picture
 * stream, frames too large (a decompression bomb declares its size in a few bytes), a clip too long.
 */
import { VideoInputError } from './errors.ts';
import { type BoundedRunLimits, DECODER_THREADS, INPUT_SAFETY, runBounded } from './ffmpeg-run.ts';
import type { VideoReaderOptions } from './video-options.ts';

export interface ClipFacts {
  /** Seconds, as the container says; 0 when it says nothing. */
  durationS: number;
  width: number;
  height: number;
  /** Frames of the video stream: declared, else estimated from the duration and the frame rate; null when unknown. */
  frameCount: number | null;
}

interface ProbedStream {
  codec_type?: string;
  width?: number;
  height?: number;
  nb_frames?: string;
  duration?: string;
  avg_frame_rate?: string;
  disposition?: { attached_pic?: number };
}

interface ProbeOutput {
  streams?: ProbedStream[];
  format?: { duration?: string };
}

/** ffprobe's JSON is small; a few hundred KB means a file with thousands of streams, which no phone makes. */
const PROBE_OUTPUT_MAX = 1 << 20;

const positive = (text: string | undefined): number => {
  const value = Number(text);
  return Number.isFinite(value) && value > 0 ? value : 0;
};

/** "30000/1001" → 29.97; 0 when ffprobe says 0/0. */
function rate(text: string | undefined): number {
  const [num, den] = (text ?? '').split('/').map(Number);
  return num && den ? num / den : 0;
}

/** The refusal for a probe that failed, from how it ended. */
function probeFailure(run: { killed: string | null; stderr: string }): VideoInputError {
  if (run.killed !== null || /cannot allocate memory/i.test(run.stderr)) {
    return new VideoInputError('too-heavy', `ffprobe gave up (${run.killed ?? 'out of memory'}): ${run.stderr}`);
  }
  // An MP4 cut short loses its index (written at the end): a video, but no frame of it can be found.
  if (/moov atom not found/i.test(run.stderr)) {
    return new VideoInputError('no-frames', `a damaged MP4 (no index): ${run.stderr}`);
  }
  return new VideoInputError('not-a-video', `ffprobe cannot read it: ${run.stderr}`);
}

export async function probeClip(
  file: string,
  options: Pick<VideoReaderOptions, 'ffprobePath' | 'maxDurationS' | 'maxFramePixels'>,
  limits: Omit<BoundedRunLimits, 'maxStdoutBytes'>,
): Promise<ClipFacts> {
  // Threads bounded as the extraction's: ffprobe decodes a frame or two to fill in what the container omits.
  const args = [
    '-hide_banner',
    '-v',
    'error',
    '-threads',
    DECODER_THREADS,
    ...INPUT_SAFETY,
    '-print_format',
    'json',
    '-show_streams',
    '-show_format',
    file,
  ];
  const run = await runBounded(options.ffprobePath, args, { ...limits, maxStdoutBytes: PROBE_OUTPUT_MAX });
  if (run.code !== 0 || run.killed !== null) throw probeFailure(run);
  let output: ProbeOutput;
  try {
    output = JSON.parse(run.stdout.toString('utf8')) as ProbeOutput;
  } catch (error) {
    throw new VideoInputError('not-a-video', 'ffprobe said something that is not JSON', { cause: error });
  }
  // A cover picture in a music file is a "video" stream of one still: not a clip.
  const video = output.streams?.find((s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1);
  if (!video) throw new VideoInputError('not-a-video', 'no video stream');
  const width = video.width ?? 0;
  const height = video.height ?? 0;
  // ffmpeg declares 0×0 for a size it refuses outright (sides past about 16 000).
  if (width <= 0 || height <= 0) throw new VideoInputError('no-frames', `frames of ${width}×${height} pixels`);
  if (width * height > options.maxFramePixels) {
    throw new VideoInputError('too-large', `frames of ${width}×${height}, over ${options.maxFramePixels} pixels`);
  }
  const durationS = positive(output.format?.duration) || positive(video.duration);
  if (durationS > options.maxDurationS) {
    throw new VideoInputError('too-long', `${Math.round(durationS)} s, over ${options.maxDurationS} s`);
  }
  const declared = positive(video.nb_frames);
  const estimated = Math.round(durationS * rate(video.avg_frame_rate));
  return { durationS, width, height, frameCount: declared || estimated || null };
}
