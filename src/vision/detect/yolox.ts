/**
 * YOLOX's contract, both ends: the letterboxed input tensor and the decoding of its raw head output into boxes.
 * Pure arithmetic over arrays (the resize itself is sharp's, in detector.ts).
 */
import type { ResolvedDetectorManifest } from '../manifest.ts';
import type { RgbImage } from '../preprocess/index.ts';
import type { Detection } from './boxes.ts';

/** Scale r that fits a photo into the input (YOLOX letterbox: the photo scaled by r, at the top-left corner). */
export function letterboxScale(photo: { width: number; height: number }, input: { width: number; height: number }) {
  return Math.min(input.width / photo.width, input.height / photo.height);
}

/**
 * The detector's input: `scaled` (the photo already resized by r) at the top-left corner of the input frame, the rest
 * filled with `padValue`; raw 0–255 values, planar, in the model's channel order.
 */
export function letterboxTensor(scaled: RgbImage, input: ResolvedDetectorManifest['input']): Float32Array {
  const { width, height } = input;
  const plane = width * height;
  const out = new Float32Array(plane * 3).fill(input.padValue);
  const order = input.channels === 'RGB' ? [0, 1, 2] : [2, 1, 0];
  for (let y = 0; y < Math.min(scaled.height, height); y++) {
    for (let x = 0; x < Math.min(scaled.width, width); x++) {
      const src = (y * scaled.width + x) * 3;
      const dst = y * width + x;
      for (let d = 0; d < 3; d++) out[d * plane + dst] = scaled.pixels[src + (order[d] as number)] as number;
    }
  }
  return out;
}

/**
 * Raw head output (rows of `[x, y, w, h, objectness, …class scores]`, one per grid cell, stride by stride, each grid
 * row-major) → the boxes of the wanted classes scoring at least `minScore`, in the letterboxed frame divided by `r`
 * (the photo's pixels). Each cell gives at most one box: its best wanted class.
 */
export function decodeYolox(
  output: Float32Array,
  manifest: Pick<ResolvedDetectorManifest, 'input' | 'output' | 'classes'>,
  wanted: ReadonlySet<number>,
  minScore: number,
  r: number,
): Detection[] {
  const columns = 5 + manifest.classes.length;
  const detections: Detection[] = [];
  let row = 0;
  for (const stride of manifest.output.strides) {
    const cols = Math.floor(manifest.input.width / stride);
    const rows = Math.floor(manifest.input.height / stride);
    for (let cell = 0; cell < cols * rows; cell++, row++) {
      const at = row * columns;
      const objectness = output[at + 4] as number;
      if (objectness < minScore) continue;
      let best = -1;
      let bestScore = minScore;
      for (const c of wanted) {
        const score = objectness * (output[at + 5 + c] as number);
        if (score >= bestScore) {
          best = c;
          bestScore = score;
        }
      }
      if (best < 0) continue;
      const cx = ((output[at] as number) + (cell % cols)) * stride;
      const cy = ((output[at + 1] as number) + Math.floor(cell / cols)) * stride;
      const w = Math.exp(output[at + 2] as number) * stride;
      const h = Math.exp(output[at + 3] as number) * stride;
      detections.push({
        box: { left: (cx - w / 2) / r, top: (cy - h / 2) / r, width: w / r, height: h / r },
        label: manifest.classes[best] as string,
        score: bestScore,
      });
    }
  }
  if (row * columns !== output.length) {
    throw new Error(`detector output has ${output.length / columns} rows, its strides make ${row}`);
  }
  return detections;
}
