/** Videos: frames sampled with ffmpeg, each classified, read together into one answer. */
export {
  isVideoInputError,
  VideoDecoderMissing,
  VideoInputError,
  type VideoInputProblem,
} from './errors.ts';
export type { VideoClassification, VideoFacts } from './video-classification.ts';
export type { VideoReaderOptions } from './video-options.ts';
export { type FrameClassifier, VideoReader } from './video-reader.ts';
