/**
 * The service's half of training/parity.py: what the TypeScript side feeds an exported model and what it answers.
 *
 *   node --import tsx training/parity-ts.ts --manifest out/xception-dogs.json --out <dir> photo.jpg …
 *
 * Writes `<dir>/inputs.npy` (float32 [N, H, W, C], exactly the tensors `decodeToRgb` + `rgbToTensor` make from the
 * manifest's input spec, so PyTorch sees the very same pixels) and `<dir>/ts-probs.json` (each photo's probability for
 * every breed, in label order, from the real Classifier: sha256 check, inference thread, micro-batching, no gate).
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { classifierOptions, decodeLimitsOf } from '../src/app/index.ts';
import { configSchema } from '../src/config/index.ts';
import { createLogger } from '../src/ops/index.ts';
import { Classifier } from '../src/vision/classifier.ts';
import { loadManifest } from '../src/vision/manifest.ts';
import { decodeToRgb, rgbToTensor } from '../src/vision/preprocess/index.ts';

/** A version 1.0 .npy header for a little-endian float32 C-order array (numpy's format, padded to 64 bytes). */
function npyHeader(shape: readonly number[]): Buffer {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const unpadded = 10 + dict.length + 1;
  const text = `${dict}${' '.repeat((64 - (unpadded % 64)) % 64)}\n`;
  const header = Buffer.alloc(10);
  header.write('\x93NUMPY', 0, 'latin1');
  header.writeUInt8(1, 6);
  header.writeUInt8(0, 7);
  header.writeUInt16LE(text.length, 8);
  return Buffer.concat([header, Buffer.from(text, 'latin1')]);
}

const { values, positionals: files } = parseArgs({
  options: { manifest: { type: 'string' }, out: { type: 'string' } },
  allowPositionals: true,
});
if (values.manifest === undefined || values.out === undefined || files.length === 0) {
  process.stderr.write('usage: parity-ts.ts --manifest <model.json> --out <dir> <photo>…\n');
  process.exit(2);
}
const manifestPath = path.resolve(values.manifest);
const modelsDir = path.dirname(manifestPath);
const manifest = await loadManifest(manifestPath, modelsDir);
// The service's own settings (the schema's defaults), the whole photo: what a chat photo goes through.
// The breed cards (groups) are the project's; the model under test is the exported one (modelsDir below).
const config = configSchema.parse({
  MODELS_DIR: path.resolve(import.meta.dirname, '../models'),
  DEVICE: 'cpu',
  DETECTOR: 'none',
});
const { width, height } = manifest.input;
const photos = await Promise.all(files.map((file) => readFile(file)));

const tensors = await Promise.all(
  photos.map(async (photo) =>
    rgbToTensor(await decodeToRgb(photo, manifest.input, decodeLimitsOf(config)), manifest.input),
  ),
);
const dims = manifest.input.layout === 'NHWC' ? [height, width, 3] : [3, height, width];
const body = Buffer.concat(tensors.map((t) => Buffer.from(t.buffer, t.byteOffset, t.byteLength)));
await writeFile(path.join(values.out, 'inputs.npy'), Buffer.concat([npyHeader([files.length, ...dims]), body]));

const batchSizes: number[] = [];
const classifier = await Classifier.create(
  classifierOptions(config, createLogger({ level: 'silent' }), {
    modelsDir,
    model: manifestPath,
    gateModel: 'none',
    onBatch: (_model, size) => batchSizes.push(size),
  }),
);
try {
  const order = new Map(classifier.breeds.map((breed, i) => [breed.id, i]));
  // All at once: the micro-batcher groups them, so the model's dynamic batch axis is used with N > 1.
  const results = await Promise.all(photos.map((photo) => classifier.classify(photo, { top: order.size })));
  const probs = results.map((result) => {
    const row = new Array<number>(order.size).fill(Number.NaN);
    for (const guess of result.top) row[order.get(guess.breed) as number] = guess.p;
    return row;
  });
  const report = { files, model: manifest.id, breeds: classifier.breeds.map((b) => b.id), probs, batchSizes };
  await writeFile(path.join(values.out, 'ts-probs.json'), `${JSON.stringify(report)}\n`);
} finally {
  await classifier.close();
}
