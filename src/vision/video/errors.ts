/**
 * Why a video could not be read, and the operator's missing decoder. A `VideoInputError` is the person's file (a kind
 * message says what to send instead); `VideoDecoderMissing` is the operator's (ffmpeg is not installed).
 */
import { OperatorError } from '../../operator-error.ts';

/** Stable strings: callers map them to messages. */
export type VideoInputProblem =
  | 'empty' // zero bytes
  | 'not-a-video' // no video stream ffmpeg can read: random bytes, a text file, an audio-only file
  | 'no-frames' // a video stream that yields no decodable frame (truncated, damaged)
  | 'too-long' // longer than maxDurationS
  | 'too-large' // frames of more pixels than maxFramePixels (a decompression bomb, 8K)
  | 'too-heavy' // the time or memory bound was reached before a frame could be read
  | 'no-clear-frame'; // every frame sampled was black or blurred

export class VideoInputError extends Error {
  override readonly name = 'VideoInputError';
  constructor(
    readonly problem: VideoInputProblem,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isVideoInputError(error: unknown): error is VideoInputError {
  return error instanceof VideoInputError;
}

/** ffmpeg (or ffprobe) is not where FFMPEG_PATH / FFPROBE_PATH say: videos cannot be read until it is installed. */
export class VideoDecoderMissing extends OperatorError {
  override readonly name = 'VideoDecoderMissing';
}
