/**
 * The numbered boxes drawn on a photo of several dogs: where the classifier says the dogs are (in the photo's frame
 * after EXIF orientation, scaled down to what Telegram shows), in each number's colour, and nothing elsewhere.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import sharp, { type OutputInfo } from 'sharp';
import { ANNOTATED_LONG_SIDE, DOG_MARK_COLOURS, drawDogMarks, markColour } from '../../src/reply/dog-marks.ts';

const GREY = { r: 128, g: 128, b: 128 };

/** The colour at (x, y) of a decoded RGB image. */
function pixelAt(image: { data: Buffer; info: OutputInfo }, x: number, y: number) {
  const offset = (Math.round(y) * image.info.width + Math.round(x)) * image.info.channels;
  return { r: image.data[offset] ?? -1, g: image.data[offset + 1] ?? -1, b: image.data[offset + 2] ?? -1 };
}

/** Close to `hex` (JPEG moves colours a little, and smears them at sharp edges). */
function near(colour: { r: number; g: number; b: number }, expected: { r: number; g: number; b: number }): boolean {
  return Math.max(...(['r', 'g', 'b'] as const).map((c) => Math.abs(colour[c] - expected[c]))) <= 40;
}

const rgb = (hex: string) => ({
  r: Number.parseInt(hex.slice(1, 3), 16),
  g: Number.parseInt(hex.slice(3, 5), 16),
  b: Number.parseInt(hex.slice(5, 7), 16),
});

describe('numbered boxes on the photo', () => {
  test('each box in its colour where the dog is, scaled to the sent size, after EXIF orientation', async () => {
    // Stored 1200×1600 with a black corner, shown (EXIF orientation 6: turned 90° clockwise) as 1600×1200 with the
    // black corner top right. The classifier's boxes are in the shown frame.
    const stored = await sharp({ create: { width: 1200, height: 1600, channels: 3, background: GREY } })
      .composite([
        { input: { create: { width: 200, height: 200, channels: 3, background: '#000000' } }, left: 0, top: 0 },
      ])
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const photo = { width: 1600, height: 1200 };
    const marks = [
      { number: 1, box: { left: 100, top: 120, width: 400, height: 300 } },
      { number: 2, box: { left: 900, top: 200, width: 500, height: 800 } },
      { number: 3, box: null },
    ];
    const drawn = await drawDogMarks(stored, marks, photo);
    const image = await sharp(drawn).raw().toBuffer({ resolveWithObject: true });
    assert.equal((await sharp(drawn).metadata()).format, 'jpeg');
    assert.deepEqual([image.info.width, image.info.height], [ANNOTATED_LONG_SIDE, 960], 'the shown frame, shrunk');

    const scale = ANNOTATED_LONG_SIDE / photo.width;
    const red = rgb(markColour(1).fill);
    const blue = rgb(markColour(2).fill);
    // The line runs just inside each box edge, a few pixels wide.
    const inside = 2;
    // Dog 1's box (100, 120, 400×300) → (80, 96, 320×240): its left, right and bottom edges are red.
    assert.ok(near(pixelAt(image, 100 * scale + inside, 270 * scale), red), 'left edge of box 1');
    assert.ok(near(pixelAt(image, 500 * scale - inside, 270 * scale), red), 'right edge of box 1');
    assert.ok(near(pixelAt(image, 300 * scale, 420 * scale - inside), red), 'bottom edge of box 1');
    // Dog 2's box (900, 200, 500×800): blue edges.
    assert.ok(near(pixelAt(image, 1400 * scale - inside, 600 * scale), blue), 'right edge of box 2');
    assert.ok(near(pixelAt(image, 1150 * scale, 1000 * scale - inside), blue), 'bottom edge of box 2');
    // Just outside the boxes: still the photo.
    assert.ok(near(pixelAt(image, 100 * scale - 6, 270 * scale), GREY), 'left of box 1');
    assert.ok(near(pixelAt(image, 1400 * scale + 6, 600 * scale), GREY), 'right of box 2');
    // Its number's circle, in the box's top-left corner, is blue too (away from the digit's strokes).
    assert.ok(near(pixelAt(image, 900 * scale + 8, 200 * scale + 40), blue), 'circle of dog 2');
    // Inside the boxes, between them and outside them: the photo as it was.
    for (const [x, y] of [
      [300, 300],
      [1150, 700],
      [700, 600],
      [300, 1100],
    ] as const) {
      assert.ok(near(pixelAt(image, x * scale, y * scale), GREY), `untouched at ${x},${y}`);
    }
    // The black corner is top right: the photo was turned as EXIF says before the boxes were drawn.
    assert.ok(near(pixelAt(image, 1250, 30), { r: 0, g: 0, b: 0 }), 'black corner top right');
    assert.ok(near(pixelAt(image, 30, 30), GREY), 'grey top left');
  });

  test('a small photo is not enlarged, and the marks stay within it', async () => {
    const small = await sharp({ create: { width: 300, height: 200, channels: 3, background: GREY } })
      .png()
      .toBuffer();
    const drawn = await drawDogMarks(
      small,
      [
        { number: 1, box: { left: 0, top: 0, width: 150, height: 200 } },
        { number: 2, box: { left: 150, top: 0, width: 150, height: 200 } },
      ],
      { width: 300, height: 200 },
    );
    const image = await sharp(drawn).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([image.info.width, image.info.height], [300, 200]);
    assert.ok(near(pixelAt(image, 1, 100), rgb(markColour(1).fill)), 'a box on the photo’s edge is drawn');
  });

  test('the colours are distinct, and numbers past them reuse them', () => {
    assert.equal(new Set(DOG_MARK_COLOURS.map((c) => c.fill)).size, DOG_MARK_COLOURS.length);
    assert.equal(new Set(DOG_MARK_COLOURS.map((c) => c.emoji)).size, DOG_MARK_COLOURS.length);
    assert.equal(markColour(DOG_MARK_COLOURS.length + 1), markColour(1));
  });
});
