/** Photos made in a test from the shared dog photos: several dogs side by side, in a row or a grid. */
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { image } from './paths.ts';

/**
 * The photos (paths relative to the shared images folder), each scaled to `height` and set side by side on white,
 * as a JPEG. Returns the bytes and where each photo lies (x range), left to right.
 */
export async function sideBySide(
  files: readonly string[],
  height = 400,
): Promise<{ bytes: Buffer; width: number; height: number; spans: { left: number; right: number }[] }> {
  const tiles = await Promise.all(
    files.map(async (file) => {
      const { data, info } = await sharp(await readFile(image(file)))
        .rotate()
        .resize({ height })
        .toBuffer({ resolveWithObject: true });
      return { data, width: info.width };
    }),
  );
  const spans: { left: number; right: number }[] = [];
  let x = 0;
  for (const tile of tiles) {
    spans.push({ left: x, right: x + tile.width });
    x += tile.width;
  }
  const bytes = await sharp({ create: { width: x, height, channels: 3, background: '#ffffff' } })
    .composite(tiles.map((tile, i) => ({ input: tile.data, left: spans[i]?.left ?? 0, top: 0 })))
    .jpeg({ quality: 92 })
    .toBuffer();
  return { bytes, width: x, height, spans };
}

/** `columns × rows` copies of the photos (cycled), each in a `tile`-pixel square cell, as a JPEG. */
export async function grid(files: readonly string[], columns: number, rows: number, tile = 160): Promise<Buffer> {
  const tiles = await Promise.all(
    files.map(async (file) =>
      sharp(await readFile(image(file)))
        .rotate()
        .resize(tile, tile, { fit: 'cover' })
        .toBuffer(),
    ),
  );
  const cells = Array.from({ length: columns * rows }, (_, i) => ({
    input: tiles[i % tiles.length] as Buffer,
    left: (i % columns) * tile,
    top: Math.floor(i / columns) * tile,
  }));
  return sharp({ create: { width: columns * tile, height: rows * tile, channels: 3, background: '#ffffff' } })
    .composite(cells)
    .jpeg({ quality: 90 })
    .toBuffer();
}
