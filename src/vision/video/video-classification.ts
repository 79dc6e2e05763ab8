/**
 * What the vision core says about a video: a Classification, as for a photo — read from several frames of the clip —
 * plus what the answer was read from and the frame it shows. Boxes in `dogs` are in the shown frame's pixels, and
 * `photo` is that frame's size, so a reply draws the numbered boxes on `video.shownFrame.jpeg` as on a photo.
 */
import type { Classification } from '../classification.ts';

export interface VideoFacts {
  /** Frames the answer was read from (sampled frames, less those skipped as black or blurred). */
  framesRead: number;
  /** Frames sampled from the clip (at most VIDEO_MAX_FRAMES). */
  framesSampled: number;
  /** The clip's length in seconds, as the container says (0 when it says nothing, e.g. a one-frame clip). */
  durationS: number;
  /** The surest frame (its main dog's top breed the most probable): shown with the answer. */
  shownFrame: { atS: number; jpeg: Buffer };
}

export interface VideoClassification extends Classification {
  video: VideoFacts;
}

/** A video's facts as results files, `classify --json` and log lines carry them: the shown frame's time, not its pixels. */
export interface VideoSummary {
  framesRead: number;
  framesSampled: number;
  durationS: number;
  shownAtS: number;
}

export function summarizeVideo({ framesRead, framesSampled, durationS, shownFrame }: VideoFacts): VideoSummary {
  return { framesRead, framesSampled, durationS, shownAtS: shownFrame.atS };
}
