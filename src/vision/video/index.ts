/** Videos: frames sampled with ffmpeg, each classified, read together into one answer. */
export {
  isVideoInputError,
  VideoDecoderMissing,
  VideoInputError,
  type VideoInputProblem,
} from './errors.ts';
export {
  summarizeVideo,
  type VideoClassification,
  type VideoFacts,
  type VideoSummary,
} from './video-classification.ts';
export type { VideoReaderOptions } from './video-options.ts';
export { type FrameClassifier, VideoReader } from './video-reader.ts';
