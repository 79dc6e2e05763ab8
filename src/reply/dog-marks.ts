/**
 * The numbered marks of an answer about several dogs: a coloured box around each dog on the photo, with its number in
 * a circle of the same colour, and the matching coloured-circle emoji before that number in the text — so a person
 * finds "2" on the photo by colour as well as by number.
 *
 * The digits are drawn as SVG paths, not text: the slim deployment images have no fonts, and librsvg would draw
 * nothing where a font is missing.
 */
import sharp from 'sharp';
import type { Box } from '../vision/index.ts';

export interface DogMarkColour {
  /** The emoji shown before the dog's number in the answer. */
  emoji: string;
  /** Box and circle colour (CSS hex). */
  fill: string;
  /** Colour of the number inside the circle, readable on `fill`. */
  ink: string;
}

/** Distinct colours, most distinct first; numbers beyond them reuse the colours (the numbers still differ). */
export const DOG_MARK_COLOURS: readonly DogMarkColour[] = [
  { emoji: '🔴', fill: '#e53935', ink: '#ffffff' },
  { emoji: '🔵', fill: '#1e88e5', ink: '#ffffff' },
  { emoji: '🟡', fill: '#fdd835', ink: '#000000' },
  { emoji: '🟢', fill: '#43a047', ink: '#ffffff' },
  { emoji: '🟣', fill: '#8e24aa', ink: '#ffffff' },
  { emoji: '🟠', fill: '#fb8c00', ink: '#000000' },
  { emoji: '🟤', fill: '#795548', ink: '#ffffff' },
  { emoji: '⚪', fill: '#fafafa', ink: '#000000' },
  { emoji: '⚫', fill: '#212121', ink: '#ffffff' },
];

/** The colour of dog number `number` (1-based, as people see it). */
export function markColour(number: number): DogMarkColour {
  return DOG_MARK_COLOURS[(number - 1) % DOG_MARK_COLOURS.length] as DogMarkColour;
}

export interface DogMark {
  /** 1-based, left to right. */
  number: number;
  /** In the photo's pixels after EXIF orientation; null draws nothing (the text still names the dog). */
  box: Box | null;
}

/** Telegram shows photos at most 1280 px on the long side; a larger upload only costs time. */
export const ANNOTATED_LONG_SIDE = 1280;

/** Digit outlines in a 10 × 16 cell, drawn with a round stroke. */
const DIGIT_PATHS: readonly string[] = [
  'M5 1Q1 1 1 6V10Q1 15 5 15Q9 15 9 10V6Q9 1 5 1Z',
  'M2.5 4L6 1V15',
  'M1.5 5Q1.5 1 5 1Q8.5 1 8.5 4.5Q8.5 7 5 10L1.5 15H9',
  'M1.5 1.5H8.5L4.5 7Q9 7 9 11Q9 15 5 15Q2 15 1 13',
  'M7 15V1L1 11H9.5',
  'M8.5 1H2L1.5 7Q3 6 5 6Q9 6 9 10.5Q9 15 5 15Q2 15 1 13',
  'M8 2Q6.5 1 5 1Q1 1 1 9Q1 15 5 15Q9 15 9 11Q9 7 5 7Q1 7 1 10',
  'M1 1H9L4 15',
  'M5 7.5Q1.5 7.5 1.5 4.25Q1.5 1 5 1Q8.5 1 8.5 4.25Q8.5 7.5 5 7.5Q1 7.5 1 11.25Q1 15 5 15Q9 15 9 11.25Q9 7.5 5 7.5Z',
  'M9 6Q9 9 5 9Q1 9 1 5Q1 1 5 1Q9 1 9 7Q9 15 5 15Q3.5 15 2 14',
];
const DIGIT_WIDTH = 10;
const DIGIT_HEIGHT = 16;
const DIGIT_ADVANCE = 11.5;

const clamp = (value: number, low: number, high: number) => Math.min(Math.max(value, low), Math.max(low, high));

/** The SVG (width × height) of the marks for a photo of `photo` size drawn at `width × height`. */
export function dogMarksSvg(
  marks: readonly DogMark[],
  photo: { width: number; height: number },
  width: number,
  height: number,
): string {
  const scale = width / photo.width;
  const longSide = Math.max(width, height);
  // Sized by the picture, not by the box: a phone shows the whole photo about 360 points wide.
  const stroke = Math.max(3, Math.round(longSide * 0.005));
  const radius = Math.max(11, Math.round(longSide * 0.032));
  const parts: string[] = [];
  for (const { number, box } of marks) {
    if (box === null) continue;
    const colour = markColour(number);
    const x = box.left * scale;
    const y = box.top * scale;
    const w = box.width * scale;
    const h = box.height * scale;
    // The line runs just inside the box, so a dog at the photo's edge keeps its whole line.
    const inset = stroke / 2;
    const rect = `x="${(x + inset).toFixed(1)}" y="${(y + inset).toFixed(1)}" width="${Math.max(1, w - stroke).toFixed(1)}" height="${Math.max(1, h - stroke).toFixed(1)}"`;
    // A dark edge under the colour keeps the box visible on a background of the same colour.
    parts.push(`<rect ${rect} fill="none" stroke="#000" stroke-opacity="0.55" stroke-width="${stroke + 2}"/>`);
    parts.push(`<rect ${rect} fill="none" stroke="${colour.fill}" stroke-width="${stroke}"/>`);
    // The circle sits in the box's top-left corner, inside the photo.
    const cx = clamp(x + radius * 0.8, radius + 1, width - radius - 1);
    const cy = clamp(y + radius * 0.8, radius + 1, height - radius - 1);
    parts.push(
      `<circle cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="${radius}" fill="${colour.fill}" stroke="#000" stroke-opacity="0.55" stroke-width="${Math.max(1, stroke / 2)}"/>`,
    );
    const digits = String(number);
    const glyphScale = (radius * 1.05) / DIGIT_HEIGHT / Math.max(1, digits.length * 0.7);
    const textWidth = (digits.length - 1) * DIGIT_ADVANCE + DIGIT_WIDTH;
    const originX = cx - (textWidth * glyphScale) / 2;
    const originY = cy - (DIGIT_HEIGHT * glyphScale) / 2;
    [...digits].forEach((digit, i) => {
      const path = DIGIT_PATHS[Number(digit)] ?? '';
      const tx = (originX + i * DIGIT_ADVANCE * glyphScale).toFixed(2);
      parts.push(
        `<path d="${path}" transform="translate(${tx} ${originY.toFixed(2)}) scale(${glyphScale.toFixed(4)})" fill="none" stroke="${colour.ink}" stroke-width="2.4" stroke-linecap="round" stroke-linejoin="round"/>`,
      );
    });
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join('')}</svg>`;
}

/**
 * The photo (as the worker downloaded it) with the marks drawn on it, as a JPEG at most ANNOTATED_LONG_SIDE on the
 * long side. `photo` is the frame the boxes are in (the classifier's, after EXIF orientation).
 */
export async function drawDogMarks(
  bytes: Uint8Array,
  marks: readonly DogMark[],
  photo: { width: number; height: number },
): Promise<Buffer> {
  const shrink = Math.min(1, ANNOTATED_LONG_SIDE / Math.max(photo.width, photo.height));
  const width = Math.max(1, Math.round(photo.width * shrink));
  const height = Math.max(1, Math.round(photo.height * shrink));
  const svg = Buffer.from(dogMarksSvg(marks, photo, width, height));
  // The vision core has already decoded this photo within its pixel limit; the first frame of an animation, as it saw.
  return sharp(bytes, { limitInputPixels: false, pages: 1 })
    .rotate()
    .resize(width, height, { fit: 'fill' })
    .flatten({ background: '#ffffff' })
    .composite([{ input: svg, top: 0, left: 0 }])
    .jpeg({ quality: 88 })
    .toBuffer();
}
