/** Box arithmetic for detections: overlap, suppression of duplicates, padding within the photo. */
import type { Box } from '../classification.ts';

export interface Detection {
  box: Box;
  /** Class name, e.g. `dog`. */
  label: string;
  /** Objectness × class score, 0–1. */
  score: number;
}

/** Intersection over union of two boxes (0 when they do not touch). */
export function iou(a: Box, b: Box): number {
  const width = Math.min(a.left + a.width, b.left + b.width) - Math.max(a.left, b.left);
  const height = Math.min(a.top + a.height, b.top + b.height) - Math.max(a.top, b.top);
  if (width <= 0 || height <= 0) return 0;
  const inter = width * height;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

/** Share of the smaller box's area that lies inside the other box. */
export function insideShare(a: Box, b: Box): number {
  const width = Math.min(a.left + a.width, b.left + b.width) - Math.max(a.left, b.left);
  const height = Math.min(a.top + a.height, b.top + b.height) - Math.max(a.top, b.top);
  if (width <= 0 || height <= 0) return 0;
  return (width * height) / Math.min(a.width * a.height, b.width * b.height);
}

/**
 * Greedy non-maximum suppression across classes: the best box of an animal wins over every box overlapping it by more
 * than `maxIou`, whatever class those say — so a dog also scored as a sheep is one animal, and a cat stays a cat when
 * the detector is surer of "cat" than of "dog". A box lying almost wholly inside a better one (`maxInside`) is a part
 * of that animal (its head) far more often than a second animal, and goes too.
 */
export function suppressOverlaps(detections: readonly Detection[], maxIou: number, maxInside = 1): Detection[] {
  const sorted = [...detections].sort((a, b) => b.score - a.score);
  const kept: Detection[] = [];
  for (const d of sorted) {
    if (kept.every((k) => iou(k.box, d.box) <= maxIou && insideShare(k.box, d.box) <= maxInside)) kept.push(d);
  }
  return kept;
}

/** `box` grown by `pad` (a share of its width and height on each side), clipped to the photo, in whole pixels. */
export function padBox(box: Box, pad: number, photo: { width: number; height: number }): Box {
  const left = Math.max(0, Math.floor(box.left - box.width * pad));
  const top = Math.max(0, Math.floor(box.top - box.height * pad));
  const right = Math.min(photo.width, Math.ceil(box.left + box.width * (1 + pad)));
  const bottom = Math.min(photo.height, Math.ceil(box.top + box.height * (1 + pad)));
  return { left, top, width: Math.max(1, right - left), height: Math.max(1, bottom - top) };
}

/** `box` in another frame: every coordinate times `factor`. */
export function scaleBox(box: Box, factor: number): Box {
  return { left: box.left * factor, top: box.top * factor, width: box.width * factor, height: box.height * factor };
}
