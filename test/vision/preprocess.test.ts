/**
 * Preprocessing, exactly: the tensor maths on a hand-made 2×2 image, and decoding of every kind of file people send
 * (made here with the real sharp) down to the pixel values that come out.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import sharp, { type Sharp } from 'sharp';
import { ImageInputError, type ImageInputProblem } from '../../src/vision/errors.ts';
import type { InputSpec, Normalization, ResizePolicy } from '../../src/vision/manifest.ts';
import {
  channelAffine,
  type DecodeLimits,
  decodeToRgb,
  inspectImage,
  type RgbImage,
  rgbToTensor,
} from '../../src/vision/preprocess/index.ts';
import { pngBomb } from '../support/images.ts';
import { image } from '../support/paths.ts';
import { DEFAULT_LIMITS } from '../support/vision-options.ts';
import { assertAllClose } from './assert-close.ts';

/** Float32 tensors hold values up to ~2.6: their rounding error is below this. */
const FLOAT32 = 1e-6;

type Rgb = readonly [number, number, number];

const RED: Rgb = [255, 0, 0];
const GREEN: Rgb = [0, 255, 0];
const BLUE: Rgb = [0, 0, 255];
const WHITE: Rgb = [255, 255, 255];
const ORANGE: Rgb = [200, 100, 50];

const IMAGENET: Normalization = { kind: 'mean-std', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
const XCEPTION: Normalization = { kind: 'scale-offset', scale: 1 / 127.5, offset: -1 };
/** Pixel values pass through unchanged: layout and channel order can be checked by hand. */
const IDENTITY: Normalization = { kind: 'scale-offset', scale: 1, offset: 0 };
/** The committed manifests' kernel. */
const SQUASH: ResizePolicy = { kind: 'squash', kernel: 'linear' };
/** Tiny images are fine in these tests. */
const LOOSE_LIMITS: DecodeLimits = { maxInputPixels: DEFAULT_LIMITS.maxInputPixels, minSide: 1 };

/** An RGB image painted pixel by pixel, as a sharp pipeline ready to be encoded in any format. */
function paint(width: number, height: number, colourAt: (x: number, y: number) => Rgb): Sharp {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) raw.set(colourAt(x, y), (y * width + x) * 3);
  }
  return sharp(raw, { raw: { width, height, channels: 3 } });
}

function solid(width: number, height: number, colour: Rgb): Sharp {
  return paint(width, height, () => colour);
}

function decode(input: Buffer, width: number, height: number, resize: ResizePolicy = SQUASH) {
  return decodeToRgb(input, { width, height, resize }, LOOSE_LIMITS);
}

function pixelAt(img: RgbImage, x: number, y: number): Rgb {
  const i = (y * img.width + x) * 3;
  return [img.pixels[i] ?? -1, img.pixels[i + 1] ?? -1, img.pixels[i + 2] ?? -1];
}

function assertColour(actual: Rgb, expected: Rgb, tolerance: number, where: string): void {
  const off = actual.some((v, c) => Math.abs(v - (expected[c] ?? Number.NaN)) > tolerance);
  assert.ok(!off, `${where}: got ${actual.join(',')}, expected ${expected.join(',')} ±${tolerance}`);
}

/** Every pixel in columns [x0, x1) and rows [y0, y1) has `expected` (±tolerance). */
function assertRegion(
  img: RgbImage,
  region: { x: [number, number]; y: [number, number] },
  expected: Rgb,
  tolerance = 0,
) {
  for (let y = region.y[0]; y < region.y[1]; y++) {
    for (let x = region.x[0]; x < region.x[1]; x++)
      assertColour(pixelAt(img, x, y), expected, tolerance, `(${x},${y})`);
  }
}

function assertWhole(img: RgbImage, expected: Rgb, tolerance = 0): void {
  assertRegion(img, { x: [0, img.width], y: [0, img.height] }, expected, tolerance);
}

async function assertRejectsWith(promise: Promise<unknown>, problem: ImageInputProblem): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ImageInputError, `expected an ImageInputError, got ${String(error)}`);
    assert.equal(error.problem, problem);
    return true;
  });
}

// Pixels 1…12, so each value's position in the tensor shows where it went.
const TWO_BY_TWO: RgbImage = { width: 2, height: 2, pixels: Uint8Array.from({ length: 12 }, (_, i) => i + 1) };
// The corners of the range, and values whose normalisation is not symmetric per channel.
const EXTREMES: RgbImage = {
  width: 2,
  height: 2,
  pixels: Uint8Array.from([0, 128, 255, 255, 0, 128, 17, 200, 64, 1, 2, 254]),
};

describe('rgbToTensor', () => {
  const layouts: {
    layout: InputSpec['layout'];
    channels: InputSpec['channels'];
    mirror: boolean;
    expected: number[];
  }[] = [
    { layout: 'NHWC', channels: 'RGB', mirror: false, expected: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] },
    { layout: 'NCHW', channels: 'RGB', mirror: false, expected: [1, 4, 7, 10, 2, 5, 8, 11, 3, 6, 9, 12] },
    { layout: 'NHWC', channels: 'BGR', mirror: false, expected: [3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10] },
    { layout: 'NCHW', channels: 'BGR', mirror: false, expected: [3, 6, 9, 12, 2, 5, 8, 11, 1, 4, 7, 10] },
    { layout: 'NHWC', channels: 'RGB', mirror: true, expected: [4, 5, 6, 1, 2, 3, 10, 11, 12, 7, 8, 9] },
    { layout: 'NCHW', channels: 'RGB', mirror: true, expected: [4, 1, 10, 7, 5, 2, 11, 8, 6, 3, 12, 9] },
    { layout: 'NCHW', channels: 'BGR', mirror: true, expected: [6, 3, 12, 9, 5, 2, 11, 8, 4, 1, 10, 7] },
  ];
  for (const { layout, channels, mirror, expected } of layouts) {
    it(`places values for ${layout} ${channels}${mirror ? ' mirrored' : ''}`, () => {
      const tensor = rgbToTensor(TWO_BY_TWO, { layout, channels, normalize: IDENTITY }, { mirror });
      assert.ok(tensor instanceof Float32Array);
      assert.deepEqual(Array.from(tensor), expected);
    });
  }

  /** Expected tensor by the textbook formulas, NCHW: plane d holds source channel `order[d]`. */
  function byFormula(img: RgbImage, normalize: Normalization, channels: InputSpec['channels']): number[] {
    const order = channels === 'RGB' ? [0, 1, 2] : [2, 1, 0];
    const plane = img.width * img.height;
    return order.flatMap((c) =>
      Array.from({ length: plane }, (_, p) => {
        const value = img.pixels[p * 3 + c] ?? Number.NaN;
        if (normalize.kind === 'scale-offset') return value * normalize.scale + normalize.offset;
        return (value / 255 - (normalize.mean[c] ?? Number.NaN)) / (normalize.std[c] ?? Number.NaN);
      }),
    );
  }

  for (const [label, normalize] of [
    ['mean-std (ImageNet)', IMAGENET],
    ['scale-offset (Xception)', XCEPTION],
  ] as const) {
    for (const channels of ['RGB', 'BGR'] as const) {
      it(`normalises ${label} per source channel, ${channels}`, () => {
        const tensor = rgbToTensor(EXTREMES, { layout: 'NCHW', channels, normalize });
        assertAllClose(tensor, byFormula(EXTREMES, normalize, channels), FLOAT32);
      });
    }
  }

  it('maps 0 and 255 to −1 and 1 with the Xception scale-offset', () => {
    const green = { width: 1, height: 1, pixels: Uint8Array.from([0, 255, 0]) };
    assertAllClose(rgbToTensor(green, { layout: 'NHWC', channels: 'RGB', normalize: XCEPTION }), [-1, 1, -1], FLOAT32);
  });
});

describe('channelAffine', () => {
  it('turns mean-std into gain 1/(255·std) and bias −mean/std', () => {
    const { gain, bias } = channelAffine(IMAGENET);
    assertAllClose(gain, [1 / (255 * 0.229), 1 / (255 * 0.224), 1 / (255 * 0.225)], 1e-12);
    assertAllClose(bias, [-0.485 / 0.229, -0.456 / 0.224, -0.406 / 0.225], 1e-12);
    // p × gain + bias is (p/255 − mean)/std for the red channel at 0, 128 and 255.
    for (const p of [0, 128, 255]) {
      assert.ok(Math.abs(p * gain[0] + bias[0] - (p / 255 - 0.485) / 0.229) < 1e-12);
    }
  });

  it('turns scale-offset into the same gain and bias on every channel', () => {
    assert.deepEqual(channelAffine({ kind: 'scale-offset', scale: 0.5, offset: -3 }), {
      gain: [0.5, 0.5, 0.5],
      bias: [-3, -3, -3],
    });
  });
});

describe('decodeToRgb resizing', () => {
  it('squash keeps the colour of a 40×20 solid image at 8×8', async () => {
    const img = await decode(await solid(40, 20, ORANGE).png().toBuffer(), 8, 8);
    assert.deepEqual([img.width, img.height, img.pixels.length], [8, 8, 192]);
    assertWhole(img, ORANGE);
  });

  it('crop keeps the centre square: green borders gone, red left and blue right', async () => {
    // Columns: 0–9 green, 10–19 red, 20–29 blue, 30–39 green. The centre 20×20 is half red, half blue.
    const bands = paint(40, 20, (x) => (x < 10 || x >= 30 ? GREEN : x < 20 ? RED : BLUE));
    const img = await decode(await bands.png().toBuffer(), 20, 20, { kind: 'crop', kernel: 'linear' });
    assertRegion(img, { x: [0, 10], y: [0, 20] }, RED);
    assertRegion(img, { x: [10, 20], y: [0, 20] }, BLUE);
  });

  it('crop with shorterSide scales the shorter side first, then takes the centre', async () => {
    // 40×40: a 10-pixel green frame around a red 20×20 centre. Shorter side to 40 (as is), centre 20×20 = all red;
    // without shorterSide the whole image is shrunk to 20×20 and the frame shows.
    const framed = await paint(40, 40, (x, y) => (Math.min(x, y, 39 - x, 39 - y) < 10 ? GREEN : RED))
      .png()
      .toBuffer();
    assertWhole(await decode(framed, 20, 20, { kind: 'crop', shorterSide: 40, kernel: 'linear' }), RED);
    const whole = await decode(framed, 20, 20, { kind: 'crop', kernel: 'linear' });
    assertColour(pixelAt(whole, 0, 0), GREEN, 0, 'corner without shorterSide');
    assertColour(pixelAt(whole, 10, 10), RED, 0, 'centre without shorterSide');
  });

  it('pad fits the whole image and fills the rest with white', async () => {
    const img = await decode(await solid(40, 20, RED).png().toBuffer(), 20, 20, { kind: 'pad', kernel: 'linear' });
    assertRegion(img, { x: [0, 20], y: [0, 5] }, WHITE);
    assertRegion(img, { x: [0, 20], y: [5, 15] }, RED);
    assertRegion(img, { x: [0, 20], y: [15, 20] }, WHITE);
  });

  it("uses the manifest's kernel: nearest copies pixels, linear blends them", async () => {
    // 16×16, left half red, right half blue, stretched to 64×16.
    const halves = await paint(16, 16, (x) => (x < 8 ? RED : BLUE))
      .png()
      .toBuffer();
    const nearest = await decode(halves, 64, 16, { kind: 'squash', kernel: 'nearest' });
    assertRegion(nearest, { x: [0, 32], y: [0, 16] }, RED);
    assertRegion(nearest, { x: [32, 64], y: [0, 16] }, BLUE);
    const linear = await decode(halves, 64, 16, { kind: 'squash', kernel: 'linear' });
    const [r, , b] = pixelAt(linear, 31, 8);
    assert.ok(r < 255 && b > 0, `column 31 is a blend: ${r},${b}`);
  });

  it('applies the EXIF orientation (6: rotate 90° clockwise)', async () => {
    // 20×10, left half red, right half blue. Rotated it is 10×20 with red on top and blue below.
    const jpeg = await paint(20, 10, (x) => (x < 10 ? RED : BLUE))
      .jpeg({ quality: 100, chromaSubsampling: '4:4:4' })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    assert.equal((await sharp(jpeg).metadata()).orientation, 6);
    assert.deepEqual(await inspectImage(jpeg, LOOSE_LIMITS), { format: 'jpeg', width: 10, height: 20 });
    const img = await decode(jpeg, 10, 20);
    assertRegion(img, { x: [0, 10], y: [0, 8] }, RED, 40);
    assertRegion(img, { x: [0, 10], y: [12, 20] }, BLUE, 40);
  });
});

describe('decodeToRgb formats', () => {
  // Each encoder gets the same orange 40×20 image; lossless ones must give it back exactly.
  const encoders: { name: string; encode: (s: Sharp) => Sharp; tolerance: number }[] = [
    { name: 'palette PNG', encode: (s) => s.png({ palette: true }), tolerance: 0 },
    { name: 'lossless WebP', encode: (s) => s.webp({ lossless: true }), tolerance: 0 },
    { name: 'lossy WebP', encode: (s) => s.webp({ quality: 80 }), tolerance: 12 },
    { name: 'GIF', encode: (s) => s.gif(), tolerance: 0 },
    { name: 'AVIF', encode: (s) => s.avif({ lossless: true }), tolerance: 0 },
    { name: 'TIFF', encode: (s) => s.tiff(), tolerance: 0 },
    { name: 'JPEG', encode: (s) => s.jpeg({ quality: 95 }), tolerance: 4 },
  ];
  for (const { name, encode, tolerance } of encoders) {
    it(`decodes ${name}`, async () => {
      assertWhole(await decode(await encode(solid(40, 20, ORANGE)).toBuffer(), 8, 8), ORANGE, tolerance);
    });
  }

  it('this sharp can write AVIF (so the AVIF case above is real)', () => {
    assert.equal(sharp.format.heif.output.buffer, true);
  });

  it('reads the first frame of an animated GIF', async () => {
    // Two 20×20 frames stacked: red, then blue.
    const raw = Buffer.alloc(20 * 40 * 3);
    for (let p = 0; p < 20 * 40; p++) raw.set(p < 400 ? RED : BLUE, p * 3);
    const gif = await sharp(raw, { raw: { width: 20, height: 40, channels: 3, pageHeight: 20 } })
      .gif()
      .toBuffer();
    assert.equal((await sharp(gif).metadata()).pages, 2);
    assert.deepEqual(await inspectImage(gif, DEFAULT_LIMITS), { format: 'gif', width: 20, height: 20 });
    assertWhole(await decode(gif, 8, 8), RED);
  });

  it('flattens a fully transparent PNG onto white', async () => {
    const clear = sharp({
      create: { width: 40, height: 20, channels: 4, background: { r: 10, g: 20, b: 30, alpha: 0 } },
    });
    assertWhole(await decode(await clear.png().toBuffer(), 8, 8), WHITE);
  });

  it('blends half-transparent black with white to mid grey', async () => {
    const veil = sharp({
      create: { width: 40, height: 20, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0.5 } },
    });
    assertWhole(await decode(await veil.png().toBuffer(), 8, 8), [127, 127, 127], 1);
  });

  it('expands a one-channel greyscale PNG to three equal channels', async () => {
    const grey = await sharp(Buffer.alloc(40 * 20, 77), { raw: { width: 40, height: 20, channels: 1 } })
      .toColourspace('b-w')
      .png()
      .toBuffer();
    assert.equal((await sharp(grey).metadata()).channels, 1);
    const img = await decode(grey, 8, 8);
    assert.equal(img.pixels.length, 8 * 8 * 3);
    assertWhole(img, [77, 77, 77]);
  });

  it('reduces a 16-bit PNG to the high byte of each sample', async () => {
    // 0xC880, 0x6480, 0x3280: high bytes 200, 100, 50; a decoder reading the low byte would give 128.
    const samples = new Uint16Array(40 * 20 * 3);
    for (let i = 0; i < samples.length; i += 3) samples.set([0xc880, 0x6480, 0x3280], i);
    const png16 = await sharp(samples, { raw: { width: 40, height: 20, channels: 3 } })
      .toColourspace('rgb16')
      .png()
      .toBuffer();
    assert.equal((await sharp(png16).metadata()).depth, 'ushort');
    assertWhole(await decode(png16, 8, 8), ORANGE);
  });

  it('converts a CMYK JPEG to three sRGB channels, roughly the original colour', async () => {
    const cmyk = await solid(40, 20, ORANGE).toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer();
    const meta = await sharp(cmyk).metadata();
    assert.deepEqual([meta.space, meta.channels], ['cmyk', 4]);
    const img = await decode(cmyk, 8, 8);
    assert.equal(img.pixels.length, 8 * 8 * 3);
    assertWhole(img, ORANGE, 40);
    const [r, g, b] = pixelAt(img, 4, 4);
    assert.ok(r > g && g > b, `still orange: ${r},${g},${b}`);
  });
});

describe('refused inputs', () => {
  it('empty buffer → empty', async () => {
    await assertRejectsWith(decode(Buffer.alloc(0), 8, 8), 'empty');
  });

  it('text → not-an-image', async () => {
    await assertRejectsWith(
      decode(Buffer.from('This is a text file named dog.jpg, not a photo.\n'), 8, 8),
      'not-an-image',
    );
  });

  it('random bytes → not-an-image', async () => {
    const noise = Buffer.from(Array.from({ length: 4096 }, (_, i) => ((i * 2654435761) >>> 24) & 0xff));
    await assertRejectsWith(decode(noise, 8, 8), 'not-an-image');
  });

  it('SVG → unsupported-format', async () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64"/></svg>';
    await assertRejectsWith(decode(Buffer.from(svg), 8, 8), 'unsupported-format');
  });

  it('1×1 and 15×100 → too-small under the default limits; 16×16 passes', async () => {
    const sized = (w: number, h: number) => solid(w, h, RED).png().toBuffer();
    await assertRejectsWith(inspectImage(await sized(1, 1), DEFAULT_LIMITS), 'too-small');
    await assertRejectsWith(inspectImage(await sized(15, 100), DEFAULT_LIMITS), 'too-small');
    assert.deepEqual(await inspectImage(await sized(16, 16), DEFAULT_LIMITS), { format: 'png', width: 16, height: 16 });
  });

  it('more pixels than maxInputPixels → too-large (exactly at the limit passes)', async () => {
    const png = await solid(40, 20, RED).png().toBuffer();
    const limits = (maxInputPixels: number): DecodeLimits => ({ maxInputPixels, minSide: 1 });
    await assertRejectsWith(decodeToRgb(png, { width: 8, height: 8, resize: SQUASH }, limits(799)), 'too-large');
    assert.deepEqual(await inspectImage(png, limits(800)), { format: 'png', width: 40, height: 20 });
  });

  it('a decompression bomb (a small PNG declaring 30000×30000) → too-large, without decoding it', async () => {
    const bomb = pngBomb(30_000);
    assert.ok(bomb.length < 1_000_000, `bomb is ${bomb.length} bytes`);
    await assertRejectsWith(decode(bomb, 8, 8), 'too-large');
  });

  it('a truncated JPEG (first 60 % of a real photo) → corrupt', async () => {
    const photo = await readFile(image('dogs/chihuahua-2e0261e14e8e.jpg'));
    const truncated = photo.subarray(0, Math.floor(photo.length * 0.6));
    // The header is intact, so it is recognised as a JPEG; its pixel data is not all there.
    assert.equal((await inspectImage(truncated, DEFAULT_LIMITS)).format, 'jpeg');
    await assertRejectsWith(decode(truncated, 8, 8), 'corrupt');
  });
});
