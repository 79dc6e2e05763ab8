/** Photo bytes → model input tensor: decode (sharp) then normalise (pure maths). */
import type { InputSpec } from '../manifest.ts';
import { type DecodeLimits, decodeToRgb, type ImageSource } from './decode.ts';
import { rgbToTensor, type TensorOptions } from './tensor.ts';

export {
  type DecodedPhoto,
  type DecodeLimits,
  decodePhoto,
  decodeToRgb,
  type ImageSource,
  inspectImage,
  type Region,
  type RgbImage,
  resizeRgb,
  WORKING_MAX_SIDE,
} from './decode.ts';
export { channelAffine, rgbToTensor } from './tensor.ts';

export async function preprocess(
  input: ImageSource,
  spec: InputSpec,
  limits: DecodeLimits,
  options?: TensorOptions,
): Promise<Float32Array> {
  return rgbToTensor(await decodeToRgb(input, spec, limits), spec, options);
}
