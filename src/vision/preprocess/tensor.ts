/**
 * Stage 2 of preprocessing: 8-bit RGB pixels → the model's float input, in its layout (NCHW or NHWC), channel order
 * and normalisation. Pure arithmetic, tested to the last digit on tiny synthetic images.
 */
import type { InputSpec, Normalization } from '../manifest.ts';
import type { RgbImage } from './decode.ts';

/** Per-channel affine map: value = pixel × gain[c] + bias[c], in RGB order. */
export interface ChannelAffine {
  gain: [number, number, number];
  bias: [number, number, number];
}

export function channelAffine(normalize: Normalization): ChannelAffine {
  if (normalize.kind === 'scale-offset') {
    const { scale, offset } = normalize;
    return { gain: [scale, scale, scale], bias: [offset, offset, offset] };
  }
  // (p / 255 − mean) / std  =  p × 1/(255·std) − mean/std
  const { mean, std } = normalize;
  return {
    gain: [1 / (255 * std[0]), 1 / (255 * std[1]), 1 / (255 * std[2])],
    bias: [-mean[0] / std[0], -mean[1] / std[1], -mean[2] / std[2]],
  };
}

export interface TensorOptions {
  /** Mirror left–right (for horizontal-flip test-time augmentation). */
  mirror?: boolean;
}

/** Writes one image as `3 × height × width` floats; the caller's spec says how. */
export function rgbToTensor(
  image: RgbImage,
  spec: Pick<InputSpec, 'layout' | 'channels' | 'normalize'>,
  options: TensorOptions = {},
): Float32Array {
  const { pixels, width, height } = image;
  const plane = width * height;
  const out = new Float32Array(plane * 3);
  const { gain, bias } = channelAffine(spec.normalize);
  // Source channel feeding destination channel d.
  const order = spec.channels === 'RGB' ? [0, 1, 2] : [2, 1, 0];
  const nchw = spec.layout === 'NCHW';
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const srcX = options.mirror ? width - 1 - x : x;
      const src = (y * width + srcX) * 3;
      const dstPixel = y * width + x;
      for (let d = 0; d < 3; d++) {
        const c = order[d] as number;
        const value = (pixels[src + c] as number) * (gain[c] as number) + (bias[c] as number);
        out[nchw ? d * plane + dstPixel : dstPixel * 3 + d] = value;
      }
    }
  }
  return out;
}
