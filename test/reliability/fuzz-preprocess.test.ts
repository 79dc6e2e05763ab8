/**
 * Fuzzing the preprocessing entry (`decodeToRgb`, what every photo goes through) with random bytes and with real
 * images mutated — bytes flipped, cut short, spliced, headers kept: for a bounded time, every input must either decode
 * or be refused with an ImageInputError (a kind message for the person), never another error, a crash or a hang.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import sharp from 'sharp';
import { ImageInputError } from '../../src/vision/index.ts';
import { decodeToRgb } from '../../src/vision/preprocess/index.ts';
import { image } from '../support/paths.ts';
import { seededRandom } from '../support/random.ts';
import { DEFAULT_LIMITS } from '../support/vision-options.ts';

const BUDGET_MS = Number(process.env.FUZZ_MS ?? 8000);
const SPEC = { width: 224, height: 224, resize: { kind: 'crop', shorterSide: 256, kernel: 'linear' } } as const;

function mutate(seedImage: Buffer, rand: () => number): Buffer {
  const out = Buffer.from(seedImage);
  const int = (n: number) => Math.floor(rand() * n);
  switch (int(5)) {
    case 0: // flip a few bytes anywhere
      for (let i = 0; i < 1 + int(20); i++) out[int(out.length)] = int(256);
      return out;
    case 1: // flip bytes in the header, where sizes and markers live
      for (let i = 0; i < 1 + int(6); i++) out[int(Math.min(out.length, 600))] = int(256);
      return out;
    case 2: // cut short
      return out.subarray(0, int(out.length));
    case 3: // splice a chunk of itself elsewhere
      return Buffer.concat([out.subarray(0, int(out.length)), out.subarray(int(out.length))]);
    default: // a valid header followed by garbage
      return Buffer.concat([
        out.subarray(0, 64 + int(512)),
        Buffer.from(Array.from({ length: int(4096) }, () => int(256))),
      ]);
  }
}

test(`fuzz decodeToRgb for ${BUDGET_MS} ms: decoded or refused kindly, nothing else`, async (t) => {
  const dog = await readFile(image('dogs/beagle-4aea27da2a0b.jpg'));
  const seeds = [
    dog,
    await sharp(dog).resize(64).png().toBuffer(),
    await sharp(dog).resize(64).webp().toBuffer(),
    await sharp(dog).resize(64).gif().toBuffer(),
    await sharp(dog).resize(64).tiff().toBuffer(),
    await sharp(dog).resize(64).avif({ effort: 0 }).toBuffer(),
  ];
  const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
  const rand = seededRandom(seed);
  const outcomes = { decoded: 0, refused: {} as Record<string, number>, inputs: 0 };
  const started = Date.now();
  while (Date.now() - started < BUDGET_MS) {
    const input =
      rand() < 0.15
        ? Buffer.from(Array.from({ length: Math.floor(rand() * 2048) }, () => Math.floor(rand() * 256)))
        : mutate(seeds[Math.floor(rand() * seeds.length)] as Buffer, rand);
    outcomes.inputs++;
    try {
      const rgb = await decodeToRgb(input, SPEC, DEFAULT_LIMITS);
      assert.equal(rgb.pixels.length, 224 * 224 * 3);
      outcomes.decoded++;
    } catch (error) {
      if (!(error instanceof ImageInputError)) {
        assert.fail(`seed ${seed}, input #${outcomes.inputs} (${input.length} bytes): ${String(error)}`);
      }
      outcomes.refused[error.problem] = (outcomes.refused[error.problem] ?? 0) + 1;
    }
  }
  assert.ok(outcomes.inputs > 50, 'the fuzzer ran');
  assert.ok(outcomes.decoded > 0 && Object.keys(outcomes.refused).length >= 2, 'inputs of both kinds were produced');
  t.diagnostic(JSON.stringify({ seed, ...outcomes }));
});
