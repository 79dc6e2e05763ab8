/**
 * The video reader as the configuration sets it up — one place for the worker and the CLI: its options from the
 * VIDEO_* and FFMPEG_* settings, and, where ffmpeg is missing, one start-up warning instead of a failure: videos are an
 * extra, and a worker without ffmpeg still answers every photo.
 */
import type { Config } from '../config/index.ts';
import type { Logger } from '../ops/index.ts';
import { VideoDecoderMissing, VideoReader, type VideoReaderOptions } from '../vision/index.ts';

export function videoReaderOptions(
  config: Pick<
    Config,
    | 'FFMPEG_PATH'
    | 'FFPROBE_PATH'
    | 'VIDEO_MAX_FRAMES'
    | 'VIDEO_MAX_SECONDS'
    | 'VIDEO_MAX_PIXELS'
    | 'VIDEO_TIMEOUT_MS'
    | 'VIDEO_MAX_MEMORY_MB'
  >,
): VideoReaderOptions {
  return {
    ffmpegPath: config.FFMPEG_PATH,
    ffprobePath: config.FFPROBE_PATH,
    maxFrames: config.VIDEO_MAX_FRAMES,
    maxDurationS: config.VIDEO_MAX_SECONDS,
    maxFramePixels: config.VIDEO_MAX_PIXELS,
    timeoutMs: config.VIDEO_TIMEOUT_MS,
    maxMemoryMb: config.VIDEO_MAX_MEMORY_MB,
  };
}

/** What the start-up warning says when ffmpeg is missing (also a field of the log line, for a search). */
export const NO_VIDEO_DECODER_NOTE =
  'videos cannot be read: ffmpeg/ffprobe not found (install Debian\'s "ffmpeg" package, or set FFMPEG_PATH and ' +
  'FFPROBE_PATH); photos are answered as usual, videos get a kind note';

/**
 * The reader, or undefined where ffmpeg or ffprobe is missing — said once, as a warning naming what is missing and how
 * to install it. Any other failure is a bug and is thrown.
 */
export async function openVideoReader(config: Config, logger: Logger): Promise<VideoReader | undefined> {
  try {
    const reader = await VideoReader.open(videoReaderOptions(config));
    logger.info({ ffmpeg: reader.version, maxFrames: config.VIDEO_MAX_FRAMES }, 'videos are read with ffmpeg');
    return reader;
  } catch (error) {
    if (!(error instanceof VideoDecoderMissing)) throw error;
    logger.warn(
      { ffmpegPath: config.FFMPEG_PATH, ffprobePath: config.FFPROBE_PATH, reason: error.message },
      NO_VIDEO_DECODER_NOTE,
    );
    return undefined;
  }
}
