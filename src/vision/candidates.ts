/**
 * Which of the detector's candidate boxes are named as dogs. The gate model's verdict on each box's crop decides; the
 * detector only settles a doubtful first dog, and a second or later dog also needs a sure box.
 */
import type { Box } from './classification.ts';
import type { Detection } from './detect/index.ts';
import type { ResolvedDetectorManifest } from './manifest.ts';

export type CandidateRules = ResolvedDetectorManifest['candidates'];

/** A box and the gate's dog score on its crop (null: no gate model, every box counts). */
export interface SeenCandidate {
  detection: Detection;
  dogScore: number | null;
}

/**
 * A box this close to the photo's edge (as a share of the photo's side) is cut by it: it holds a part of an animal
 * more often than a whole one. 1 %: a box clipped to the photo lies exactly on the edge, one drawn a few pixels
 * inside it is as cut.
 */
const EDGE_MARGIN = 0.01;

/** A box touching the photo's edge and small beside the photo: a part of an animal cut by the edge. */
export function isEdgePart(box: Box, photo: { width: number; height: number }, maxSideShare: number): boolean {
  return (
    touchesEdge(box, photo) && Math.min(box.width, box.height) < maxSideShare * Math.min(photo.width, photo.height)
  );
}

export function touchesEdge(box: Box, photo: { width: number; height: number }): boolean {
  const x = photo.width * EDGE_MARGIN;
  const y = photo.height * EDGE_MARGIN;
  return (
    box.left <= x || box.top <= y || box.left + box.width >= photo.width - x || box.top + box.height >= photo.height - y
  );
}

/** Whether the gate calls the crop a dog (no gate: it cannot say no). */
export function gateSaysDog(candidate: SeenCandidate, dogThreshold: number): boolean {
  return candidate.dogScore === null || candidate.dogScore >= dogThreshold;
}

/** The candidates named as dogs, in the order given (best box first). */
export function acceptDogs<C extends SeenCandidate>(
  candidates: readonly C[],
  rules: CandidateRules,
  dogThreshold: number,
  photo: { width: number; height: number },
): C[] {
  const accepted: C[] = [];
  for (const c of candidates) {
    if (isAccepted(c, accepted.length === 0, rules, dogThreshold, photo)) accepted.push(c);
  }
  return accepted;
}

function isAccepted(
  { detection, dogScore }: SeenCandidate,
  first: boolean,
  rules: CandidateRules,
  dogThreshold: number,
  photo: { width: number; height: number },
): boolean {
  const sureBox = first || detection.score >= rules.extraMinScore;
  if (dogScore === null) return sureBox;
  // A sliver of an animal at the edge reads as anything; only a crop the gate is sure of is named.
  if (isEdgePart(detection.box, photo, rules.edgePartMaxSideShare) && dogScore < rules.edgeMinDogScore) return false;
  if (dogScore >= dogThreshold) return sureBox;
  // A doubting gate: a sure "dog" box settles the first dog only, and only above the gate floor.
  return (
    first &&
    detection.label === rules.dogClass &&
    detection.score >= rules.rescueMinScore &&
    dogScore >= rules.rescueMinDogScore
  );
}

/**
 * How far (a share of each box's width and height) two boxes may lie apart and still be halves of one animal. 0.1:
 * the detector's halves of one dog touch or overlap (0-6 px apart in 60-190 px boxes on `eval --pairs 60`); photos of
 * dogs side by side there lie 8-24 px apart, so no dog is joined to its neighbour by the gap alone.
 */
const SPLIT_REACH = 0.1;

/** Whether two boxes, each grown by SPLIT_REACH of its own size, meet. */
function touching(a: Box, b: Box): boolean {
  const grow = (box: Box) => ({
    left: box.left - box.width * SPLIT_REACH,
    top: box.top - box.height * SPLIT_REACH,
    right: box.left + box.width * (1 + SPLIT_REACH),
    bottom: box.top + box.height * (1 + SPLIT_REACH),
  });
  const ga = grow(a);
  const gb = grow(b);
  return ga.left < gb.right && gb.left < ga.right && ga.top < gb.bottom && gb.top < ga.bottom;
}

/**
 * The accepted candidates grouped by animal: a box the detector calls another animal (a "sheep" or "horse" on half a
 * long-haired dog) that touches another accepted box whose crop the breed model names the same breed is the other
 * half of that dog, not a second dog. On `eval --pairs 60` every dog counted twice was such a pair of halves (a
 * Tibetan mastiff, a Cardigan, an Ibizan hound); two real dogs of one breed side by side are both "dog" boxes, and
 * stay two.
 */
export function groupSplitDogs<C extends SeenCandidate>(
  accepted: readonly C[],
  breedOf: (candidate: C) => string | undefined,
  dogClass: string,
): C[][] {
  const groups: C[][] = [];
  for (const c of accepted) {
    const breed = breedOf(c);
    const half = groups.find((group) =>
      group.some(
        (m) =>
          breed !== undefined &&
          breedOf(m) === breed &&
          (m.detection.label !== dogClass || c.detection.label !== dogClass) &&
          touching(m.detection.box, c.detection.box),
      ),
    );
    if (half) half.push(c);
    else groups.push([c]);
  }
  return groups;
}

/** The smallest box holding all of `boxes` (at least one). */
export function unionBox(boxes: readonly Box[]): Box {
  const left = Math.min(...boxes.map((b) => b.left));
  const top = Math.min(...boxes.map((b) => b.top));
  const right = Math.max(...boxes.map((b) => b.left + b.width));
  const bottom = Math.max(...boxes.map((b) => b.top + b.height));
  return { left, top, width: right - left, height: bottom - top };
}

/**
 * The widest band of the photo (full height, or full width) that no box touches, when it is at least
 * `minShare` of the photo's side; else null. A dog the detector does not see at all (a komondor, a shih-tzu beside
 * another dog: no box above 0.1) lies in such a band.
 */
export function widestFreeBand(
  boxes: readonly Box[],
  photo: { width: number; height: number },
  minShare: number,
): Box | null {
  const across = freeRun(
    boxes.map((b) => [b.left, b.left + b.width]),
    photo.width,
  );
  const down = freeRun(
    boxes.map((b) => [b.top, b.top + b.height]),
    photo.height,
  );
  const bands: Box[] = [];
  if (across.length >= minShare * photo.width)
    bands.push({ left: across.from, top: 0, width: across.length, height: photo.height });
  if (down.length >= minShare * photo.height)
    bands.push({ left: 0, top: down.from, width: photo.width, height: down.length });
  return bands.sort((a, b) => b.width * b.height - a.width * a.height)[0] ?? null;
}

/** The longest run of [0, size) outside every span. */
function freeRun(spans: readonly number[][], size: number): { from: number; length: number } {
  const sorted = [...spans].sort((a, b) => (a[0] as number) - (b[0] as number));
  let best = { from: 0, length: 0 };
  let at = 0;
  for (const [start = 0, end = 0] of [...sorted, [size, size]]) {
    const from = Math.max(0, Math.floor(at));
    const length = Math.min(size, Math.ceil(start)) - from;
    if (length > best.length) best = { from, length };
    at = Math.max(at, end);
  }
  return best;
}
