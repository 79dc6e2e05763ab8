/**
 * `dog-breeds eval <labels.csv> --pairs N`: several dogs in one photo. Composes N photos of two of the set's dogs side
 * by side (issue 23's "both found in k of 12") and ⌈N/3⌉ of three, reported on their own line; classifies each, and counts the photos where every placed dog is
 * found (dogs named == dogs placed) and where each placed dog's breed is in the top-3 of the dog whose box covers it.
 */
import sharp from 'sharp';
import { OperatorError } from '../../operator-error.ts';
import { type Box, type Classification, NOT_DOG } from '../../vision/index.ts';
import type { CliContext, ModelFlags } from '../context.ts';
import { openClassifier } from '../context.ts';
import { readInputPhoto } from '../input-photo.ts';
import { type LabelledFile, readLabelsCsv } from '../labelled-files.ts';
import { seededRandom } from '../seeded-random.ts';

export interface EvalPairsFlags extends ModelFlags {
  json?: boolean;
  /** `--pairs <n>`: how many photos to compose (commander has checked it is a whole number ≥ 1). */
  pairs?: unknown;
}

/** The same photos on every run: the figures move only when the code does. */
const SEED = 23;
/** Each dog photo is scaled to a height in this range (px): dogs of several sizes side by side. */
const MIN_HEIGHT = 160;
const MAX_HEIGHT = 320;
/** Gaps between the photos (px), and the canvas's margin, on a neutral grey. */
const MIN_GAP = 8;
const MAX_GAP = 24;
const MARGIN = 16;
const CANVAS = { r: 200, g: 200, b: 200 };

export interface PlacedDog {
  breed: string;
  file: string;
  box: Box;
}

export interface ComposedResult {
  placed: PlacedDog[];
  /** Dogs the answer named. */
  found: number;
  /** Placed dogs whose breed is in the top-3 of the named dog covering them most. */
  named: number;
  width: number;
  height: number;
}

export interface PairsReport {
  photos: ComposedResult[];
  /** Per number of dogs placed (2, 3): photos, all found, all named in top-3. */
  byCount: { dogs: number; photos: number; allFound: number; allNamed: number }[];
  allFound: number;
  allNamed: number;
}

const between = (random: () => number, min: number, max: number) => min + Math.floor(random() * (max - min + 1));

/** `count` photos of different breeds, drawn with `random`. */
function drawDogs(dogs: readonly LabelledFile[], count: number, random: () => number): LabelledFile[] {
  const drawn: LabelledFile[] = [];
  while (drawn.length < count) {
    const dog = dogs[Math.floor(random() * dogs.length)] as LabelledFile;
    if (drawn.every((d) => d.label !== dog.label)) drawn.push(dog);
  }
  return drawn;
}

/** The photos side by side on a grey canvas, each at its height, as a JPEG; and where each lies. */
export async function composeSideBySide(
  photos: readonly { bytes: Buffer; height: number }[],
  gaps: readonly number[],
  random: () => number,
): Promise<{ bytes: Buffer; width: number; height: number; boxes: Box[] }> {
  const tiles = await Promise.all(
    photos.map(async ({ bytes, height }) => {
      const { data, info } = await sharp(bytes).rotate().resize({ height }).toBuffer({ resolveWithObject: true });
      return { data, width: info.width, height: info.height };
    }),
  );
  const tallest = Math.max(...tiles.map((t) => t.height));
  const boxes: Box[] = [];
  let x = MARGIN;
  for (const [i, tile] of tiles.entries()) {
    boxes.push({
      left: x,
      top: MARGIN + between(random, 0, tallest - tile.height),
      width: tile.width,
      height: tile.height,
    });
    x += tile.width + (i < tiles.length - 1 ? (gaps[i] ?? MIN_GAP) : MARGIN);
  }
  const width = x;
  const height = tallest + 2 * MARGIN;
  const bytes = await sharp({ create: { width, height, channels: 3, background: CANVAS } })
    .composite(tiles.map((tile, i) => ({ input: tile.data, left: boxes[i]?.left ?? 0, top: boxes[i]?.top ?? 0 })))
    .jpeg({ quality: 90 })
    .toBuffer();
  return { bytes, width, height, boxes };
}

function overlapArea(a: Box, b: Box): number {
  const w = Math.min(a.left + a.width, b.left + b.width) - Math.max(a.left, b.left);
  const h = Math.min(a.top + a.height, b.top + b.height) - Math.max(a.top, b.top);
  return w > 0 && h > 0 ? w * h : 0;
}

/** How many placed dogs the answer names in the top-3 of the named dog whose box covers each most. */
export function countNamed(placed: readonly { breed: string; box: Box }[], result: Classification): number {
  let named = 0;
  for (const dog of placed) {
    let best: { overlap: number; top: string[] } | undefined;
    for (const answer of result.dogs) {
      const overlap = answer.box ? overlapArea(answer.box, dog.box) : 0;
      if (overlap > 0 && (best === undefined || overlap > best.overlap)) {
        best = { overlap, top: answer.top.slice(0, 3).map((g) => g.breed) };
      }
    }
    if (best?.top.includes(dog.breed)) named++;
  }
  return named;
}

export async function evaluatePairs(
  csvPath: string,
  count: number,
  flags: EvalPairsFlags,
  context: CliContext,
): Promise<PairsReport> {
  const classifier = await openClassifier(context, flags);
  try {
    const known = new Set(classifier.breeds.map((b) => b.id));
    const dogs = (await readLabelsCsv(csvPath)).filter((item) => item.label !== NOT_DOG && known.has(item.label));
    if (new Set(dogs.map((d) => d.label)).size < 3)
      throw new OperatorError(`${csvPath}: fewer than 3 breeds to compose from`);
    // Pairs and trios each from their own seeded stream: `--pairs 12` composes the first 12 pairs of `--pairs 60`.
    const streams = [seededRandom(SEED), seededRandom(SEED + 1)];
    const photos: ComposedResult[] = [];
    for (let k = 0; k < count + Math.ceil(count / 3); k++) {
      const trio = k >= count;
      const random = streams[trio ? 1 : 0] as () => number;
      const drawn = drawDogs(dogs, trio ? 3 : 2, random);
      const heights = drawn.map(() => between(random, MIN_HEIGHT, MAX_HEIGHT));
      const gaps = drawn.map(() => between(random, MIN_GAP, MAX_GAP));
      const inputs = await Promise.all(
        drawn.map(async (d, i) => ({ bytes: await readInputPhoto(d.file), height: heights[i] ?? MIN_HEIGHT })),
      );
      const composed = await composeSideBySide(inputs, gaps, random);
      const result = await classifier.classify(composed.bytes);
      const placed = drawn.map((d, i) => ({ breed: d.label, file: d.file, box: composed.boxes[i] as Box }));
      photos.push({
        placed,
        found: result.dogs.length,
        named: countNamed(placed, result),
        width: composed.width,
        height: composed.height,
      });
    }
    return summarize(photos);
  } finally {
    await classifier.close();
  }
}

function summarize(photos: ComposedResult[]): PairsReport {
  const allFound = (p: ComposedResult) => p.found === p.placed.length;
  const allNamed = (p: ComposedResult) => p.named === p.placed.length;
  const counts = [...new Set(photos.map((p) => p.placed.length))].sort();
  return {
    photos,
    byCount: counts.map((dogs) => {
      const these = photos.filter((p) => p.placed.length === dogs);
      return {
        dogs,
        photos: these.length,
        allFound: these.filter(allFound).length,
        allNamed: these.filter(allNamed).length,
      };
    }),
    allFound: photos.filter(allFound).length,
    allNamed: photos.filter(allNamed).length,
  };
}

function formatPairs(r: PairsReport): string {
  const lines = r.photos.map((p, i) => {
    const dogs = p.placed.map((d) => `${d.breed} ${d.box.height}px`).join(', ');
    return `#${i + 1} ${p.width}×${p.height}: ${dogs} → found ${p.found} of ${p.placed.length}, in top-3 ${p.named}`;
  });
  for (const c of r.byCount) {
    const what = c.dogs === 2 ? 'two dogs: both' : `${c.dogs} dogs: all`;
    lines.push(
      `${what} found ${c.allFound} of ${c.photos}, ${c.dogs === 2 ? 'both' : 'all'} named in top-3 ${c.allNamed} of ${c.photos}`,
    );
  }
  lines.push(
    `all found: ${r.allFound} of ${r.photos.length}   all named in top-3: ${r.allNamed} of ${r.photos.length}`,
  );
  return `${lines.join('\n')}\n`;
}

export async function evalPairsCommand(csvPath: string, flags: EvalPairsFlags, context: CliContext): Promise<number> {
  const count = Number(flags.pairs);
  if (!Number.isInteger(count) || count < 1) throw new OperatorError(`--pairs must be a whole number ≥ 1`);
  const report = await evaluatePairs(csvPath, count, flags, context);
  context.out.write(flags.json ? `${JSON.stringify(report)}\n` : formatPairs(report));
  return 0;
}
