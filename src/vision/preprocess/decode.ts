/**
 * Stage 1 of preprocessing: any photo people send → 8-bit sRGB pixels at the model's input size.
 * EXIF orientation applied, transparency flattened onto white, grey/CMYK/16-bit/palette converted, first frame of
 * animations. Refuses what is not a photo with an ImageInputError before decoding a single pixel of it.
 */
import sharp, { type Metadata, type OutputInfo, type Sharp, type SharpOptions } from 'sharp';
import { ImageInputError } from '../errors.ts';
import type { InputSpec, ResizePolicy } from '../manifest.ts';

/** Formats we decode. SVG (can reference external resources), PDF and the like are refused on purpose. */
const ACCEPTED_FORMATS: ReadonlySet<string> = new Set(['jpeg', 'png', 'webp', 'gif', 'avif', 'heif', 'tiff']);

export interface DecodeLimits {
  /** Largest width × height accepted; guards against decompression bombs (a 30000×30000 PNG of a few KB). */
  maxInputPixels: number;
  /** Smallest side accepted: below this there is nothing to see. */
  minSide: number;
}

/** Interleaved RGB, 8 bits a channel, `width × height × 3` bytes, rows top to bottom. */
export interface RgbImage {
  pixels: Uint8Array;
  width: number;
  height: number;
}

export type ImageSource = Buffer | Uint8Array;

function sharpOptions(limits: DecodeLimits): SharpOptions {
  return {
    limitInputPixels: limits.maxInputPixels,
    // Abort on decoding errors (including truncation): a half-grey photo would get a confident wrong answer.
    failOn: 'error',
    // First frame of an animated GIF/WebP.
    pages: 1,
  };
}

/** Reads the header only: format, size, orientation. Throws ImageInputError for what we do not accept. */
export async function inspectImage(
  input: ImageSource,
  limits: DecodeLimits,
): Promise<{ format: string; width: number; height: number }> {
  if (input.length === 0) throw new ImageInputError('empty', 'The file is empty.');
  let meta: Metadata;
  try {
    meta = await sharp(input, { ...sharpOptions(limits), limitInputPixels: false }).metadata();
  } catch (error) {
    throw new ImageInputError('not-an-image', 'The file is not an image this service can read.', { cause: error });
  }
  const format = meta.format ?? 'unknown';
  if (!ACCEPTED_FORMATS.has(format)) {
    throw new ImageInputError('unsupported-format', `Images of type "${format}" are not accepted.`);
  }
  // sharp's prebuilt libvips decodes AVIF but not HEVC-coded HEIF (iPhone .heic, patent-encumbered).
  if (format === 'heif' && meta.compression === 'hevc') {
    throw new ImageInputError('unsupported-format', 'HEIC (HEVC) images cannot be decoded here.');
  }
  const width = meta.autoOrient?.width ?? meta.width ?? 0;
  const height = meta.autoOrient?.height ?? meta.height ?? 0;
  if (width * height > limits.maxInputPixels) {
    throw new ImageInputError('too-large', `The image is ${width}×${height}: more pixels than accepted.`);
  }
  if (Math.min(width, height) < limits.minSide) {
    throw new ImageInputError('too-small', `The image is ${width}×${height}: too small to see a dog in.`);
  }
  return { format, width, height };
}

function applyResize(image: Sharp, policy: ResizePolicy, width: number, height: number): Sharp {
  switch (policy.kind) {
    case 'squash':
      return image.resize(width, height, { fit: 'fill', kernel: policy.kernel });
    case 'pad':
      return image.resize(width, height, { fit: 'contain', background: '#ffffff', kernel: policy.kernel });
    case 'crop': {
      // Shorter side to `shorterSide`, centre crop of width × height. Cropping the centre square first is the same
      // thing (centre crops compose) and lets sharp shrink-on-load large JPEGs.
      const side = Math.max(policy.shorterSide ?? Math.max(width, height), width, height);
      const resized = image.resize(side, side, { fit: 'cover', position: 'centre', kernel: policy.kernel });
      if (side === width && side === height) return resized;
      return resized.extract({
        left: Math.floor((side - width) / 2),
        top: Math.floor((side - height) / 2),
        width,
        height,
      });
    }
  }
}

/**
 * The photo is decoded once, to at most this many pixels a side: every view (the detector's, the whole photo's, each
 * dog's crop) is cut from it. Telegram sends at most 1280 px; a 12-megapixel file would otherwise cost 36 MB of pixels
 * and most of the time, for models that look at 224–416 px.
 */
export const WORKING_MAX_SIDE = 1024;

/** A photo decoded for the models, and the size of the photo it was made from. */
export interface DecodedPhoto extends RgbImage {
  /** The photo's own size after EXIF orientation: the frame people see, where boxes are reported. */
  original: { width: number; height: number };
}

/** Decodes `input` once: oriented, flattened onto white, sRGB, at most WORKING_MAX_SIDE a side. */
export async function decodePhoto(input: ImageSource, limits: DecodeLimits): Promise<DecodedPhoto> {
  const original = await inspectImage(input, limits);
  const pipeline = sharp(input, sharpOptions(limits))
    .autoOrient()
    .flatten({ background: '#ffffff' })
    .resize(WORKING_MAX_SIDE, WORKING_MAX_SIDE, { fit: 'inside', withoutEnlargement: true })
    .toColourspace('srgb')
    .removeAlpha()
    .raw({ depth: 'uchar' });
  let result: { data: Buffer; info: OutputInfo };
  try {
    result = await pipeline.toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new ImageInputError('corrupt', 'The image is damaged and cannot be decoded.', { cause: error });
  }
  const { data, info } = result;
  if (info.channels !== 3) throw new Error(`decodePhoto produced ${info.channels} channels, expected 3`);
  return {
    pixels: new Uint8Array(data.buffer, data.byteOffset, data.length),
    width: info.width,
    height: info.height,
    original: { width: original.width, height: original.height },
  };
}

/** A rectangle of an RgbImage, in whole pixels. */
export interface Region {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** A view of a decoded photo (all of it, or `region`) at the model's input size, per its resize policy. */
export async function resizeRgb(
  image: RgbImage,
  spec: Pick<InputSpec, 'width' | 'height' | 'resize'>,
  region?: Region,
): Promise<RgbImage> {
  let source = sharp(image.pixels, { raw: { width: image.width, height: image.height, channels: 3 } });
  if (region !== undefined) source = source.extract(region);
  const { data, info } = await applyResize(source, spec.resize, spec.width, spec.height)
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || info.width !== spec.width || info.height !== spec.height) {
    // Not the person's fault: a sharp/libvips behaviour we did not expect. Say what came out.
    throw new Error(
      `resizeRgb produced ${info.width}×${info.height}×${info.channels}, expected ${spec.width}×${spec.height}×3`,
    );
  }
  return { pixels: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

/** Decodes `input` and resizes it per the model's input spec. */
export async function decodeToRgb(
  input: ImageSource,
  spec: Pick<InputSpec, 'width' | 'height' | 'resize'>,
  limits: DecodeLimits,
): Promise<RgbImage> {
  return resizeRgb(await decodePhoto(input, limits), spec);
}
