/**
 * Which sampled frames are worth classifying: not black (a covered lens, a fade) and not blurred (the phone swung).
 * Measured on a small greyscale copy, so that a frame's size does not change the figures.
 */
import sharp from 'sharp';

export interface FrameQuality {
  /** Mean luminance, 0–255. */
  mean: number;
  /** Standard deviation of luminance, 0–255. */
  spread: number;
  /** Variance of a 4-neighbour Laplacian: the energy of edges, high when sharp. */
  sharpness: number;
}

/** The side the measures are taken at: small enough to be quick, large enough that fur still has edges. */
const MEASURE_SIDE = 256;
// Measured with measureFrame on the 269 shared photos at 640×480: sharpness min 24, 5th percentile 308, median 1386; blurred with σ 4: median 21; σ 8:
// at most 14. Darkest photo: mean 19.7 with a spread of 21.7 at the least.
/** Black: darker than this mean… */
const BLACK_MEAN_MAX = 24;
/** …and this flat (the darkest photo of a scene still spreads over 20). */
const BLACK_SPREAD_MAX = 12;
/** Under this edge energy a frame has shapes but no detail, whatever the clip: every photo blurred with σ 8 is under. */
const BLUR_FLOOR = 15;
/** A frame with under this share of the clip's sharpest frame's edge energy is a blurred moment of a sharper clip… */
const BLUR_RELATIVE = 0.15;
/** …unless it is sharp enough on its own (19 photos in 20 are over this): the rule is for motion blur, not for a
 * calm scene beside a busy one. */
const BLUR_RELATIVE_UNDER = 100;

export async function measureFrame(jpeg: Buffer): Promise<FrameQuality> {
  const { data, info } = await sharp(jpeg)
    .resize(MEASURE_SIDE, MEASURE_SIDE, { fit: 'inside' })
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const { width, height } = info;
  let sum = 0;
  let squares = 0;
  for (const value of data) {
    sum += value;
    squares += value * value;
  }
  const mean = sum / data.length;
  const spread = Math.sqrt(Math.max(0, squares / data.length - mean * mean));
  let lapSum = 0;
  let lapSquares = 0;
  let count = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const lap =
        (data[i - 1] as number) +
        (data[i + 1] as number) +
        (data[i - width] as number) +
        (data[i + width] as number) -
        4 * (data[i] as number);
      lapSum += lap;
      lapSquares += lap * lap;
      count++;
    }
  }
  const lapMean = count > 0 ? lapSum / count : 0;
  const sharpness = count > 0 ? lapSquares / count - lapMean * lapMean : 0;
  return { mean, spread, sharpness };
}

export function isBlack(quality: FrameQuality): boolean {
  return quality.mean < BLACK_MEAN_MAX && quality.spread < BLACK_SPREAD_MAX;
}

/** Blurred, given the sharpest frame of the clip that is not black. */
export function isBlurred(quality: FrameQuality, sharpest: number): boolean {
  if (quality.sharpness < BLUR_FLOOR) return true;
  return quality.sharpness < BLUR_RELATIVE * sharpest && quality.sharpness < BLUR_RELATIVE_UNDER;
}

/** The indices of the frames to classify: neither black nor blurred. */
export function clearFrames(qualities: readonly FrameQuality[]): number[] {
  const lit = qualities.map((q, i) => ({ q, i })).filter(({ q }) => !isBlack(q));
  const sharpest = Math.max(0, ...lit.map(({ q }) => q.sharpness));
  return lit.filter(({ q }) => !isBlurred(q, sharpest)).map(({ i }) => i);
}
