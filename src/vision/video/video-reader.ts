/**
 * The video front door. SKELETON: the interface is fixed; the implementation lands in the next commits.
 */
import type { Classifier } from '../classifier.ts';
import type { VideoClassification } from './video-classification.ts';
import type { VideoReaderOptions } from './video-options.ts';

/** What reading a video needs of the classifier: each frame classified, the breeds to average over. */
export type FrameClassifier = Pick<Classifier, 'classify' | 'breeds'>;

export class VideoReader {
  private constructor(
    readonly options: VideoReaderOptions,
    /** ffmpeg's version line, for the start-up log. */
    readonly version: string,
  ) {}

  /**
   * Finds ffmpeg and ffprobe (runs `-version`); throws VideoDecoderMissing, whose message says what to install,
   * when either is missing.
   */
  static async open(options: VideoReaderOptions): Promise<VideoReader> {
    throw new Error(`not implemented yet (${options.ffmpegPath})`);
  }

  /**
   * Reads the clip in `input` (its bytes, as downloaded: at most 20 MB): samples up to maxFrames frames spread over
   * it, skips black or blurred ones, classifies each with `classifier`, and reads them together — the main dog's
   * per-frame readings averaged; several dogs when the frames agree on several. Throws VideoInputError for a file
   * that cannot be read as a video (never hangs: ffmpeg is bounded in time and memory).
   */
  async read(input: Buffer, classifier: FrameClassifier): Promise<VideoClassification> {
    throw new Error(`not implemented yet (${input.length} bytes, ${classifier.breeds.length} breeds)`);
  }
}
