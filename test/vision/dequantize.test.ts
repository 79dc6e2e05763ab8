/**
 * The float default derived from the int8 MobileNetV2: deterministic and pinned by sha256, free of quantized ops,
 * installed by `model pull` with its source, and refused with one clear error when the derivation is not the one the
 * manifest pins. (Its answers on the shared photos are checked against the published figures in classifier.test.ts.)
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import onnxProto from 'onnx-proto';
import { dequantizeModel } from '../../src/vision/dequantize.ts';
import { ModelError } from '../../src/vision/errors.ts';
import { loadManifest, type ResolvedManifest } from '../../src/vision/manifest.ts';
import { pullModelFile, sha256OfFile, verifyModelFile } from '../../src/vision/model-file.ts';
import { MODELS_DIR, ROOT } from '../support/paths.ts';
import { tempDirs } from '../support/temp-dirs.ts';

const { onnx } = onnxProto;
const SHARED_INT8 = path.resolve(ROOT, '../shared/models/mobilenetv2-12-int8.onnx');
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

const temp = tempDirs();
after(() => temp.removeAll());

/** A models dir holding a copy of the default's manifest, edited by `edit`. */
async function defaultManifestIn(edit: (json: Record<string, unknown>) => void = () => {}): Promise<ResolvedManifest> {
  const dir = await temp.make('derive');
  const json = JSON.parse(await readFile(path.join(MODELS_DIR, 'mobilenetv2-imagenet.json'), 'utf8'));
  edit(json);
  const file = path.join(dir, 'mobilenetv2-imagenet.json');
  await writeFile(file, JSON.stringify(json));
  return loadManifest(file, dir);
}

describe('dequantizeModel (the int8 MobileNetV2)', () => {
  let manifest: ResolvedManifest;
  let derived: Uint8Array;
  before(async () => {
    manifest = await loadManifest('mobilenetv2-imagenet', MODELS_DIR);
    derived = dequantizeModel(await readFile(SHARED_INT8));
  });

  it('gives exactly the file the manifest pins (sha256 and size), the same bytes every time', async () => {
    assert.equal(sha256(derived), manifest.sha256);
    assert.equal(derived.length, manifest.sizeBytes);
    assert.equal(sha256(dequantizeModel(await readFile(SHARED_INT8))), manifest.sha256);
  });

  it('has no quantized operator left: float Conv/Add/MatMul/GlobalAveragePool with the clamps, float32 weights', () => {
    const model = onnx.ModelProto.decode(derived);
    const ops = new Set(model.graph?.node?.map((n) => `${n.domain ?? ''}:${n.opType}`));
    for (const op of ops) assert.ok(!/QLinear|Quantize|Dequantize/.test(op) && op.startsWith(':'), op);
    for (const op of [':Conv', ':Add', ':MatMul', ':GlobalAveragePool', ':Clip']) assert.ok(ops.has(op), op);
    const types = new Set(model.graph?.initializer?.map((t) => t.dataType));
    assert.deepEqual([...types].sort(), [onnx.TensorProto.DataType.FLOAT, onnx.TensorProto.DataType.INT64].sort());
    assert.deepEqual(
      model.opsetImport?.map((o) => o.domain ?? ''),
      [''],
    );
  });

  it('refuses what it cannot dequantize with a ModelError naming the operator', () => {
    const model = onnx.ModelProto.encode(
      onnx.ModelProto.create({
        irVersion: 7,
        graph: {
          name: 'g',
          node: [{ opType: 'QLinearSigmoid', domain: 'com.microsoft', input: ['x'], output: ['y'] }],
        },
      }),
    ).finish();
    assert.throws(
      () => dequantizeModel(model),
      (error: unknown) => error instanceof ModelError && /com\.microsoft\.QLinearSigmoid/.test(error.message),
    );
    assert.throws(() => dequantizeModel(Buffer.from([0xff, 0xff, 0xff])), ModelError);
  });
});

describe('model pull of a derived model', () => {
  it('fetches and checks the int8 source, installs it too, and derives the float file', async () => {
    const m = await defaultManifestIn();
    const result = await pullModelFile(m, { from: SHARED_INT8 });
    assert.deepEqual(result, { path: m.modelPath, bytes: m.sizeBytes, sha256: m.sha256 });
    await verifyModelFile(m);
    const dir = path.dirname(m.modelPath);
    assert.equal(await sha256OfFile(path.join(dir, 'mobilenetv2-12-int8.onnx')), m.derivedFrom?.sha256);
    assert.deepEqual((await readdir(dir)).sort(), [
      'mobilenetv2-12-float.onnx',
      'mobilenetv2-12-int8.onnx',
      'mobilenetv2-imagenet.json',
    ]);
  });

  it('a derivation that is not the pinned one → one clear error, no derived file, no partial file', async () => {
    const m = await defaultManifestIn((j) => Object.assign(j, { sha256: '0'.repeat(64) }));
    await assert.rejects(pullModelFile(m, { from: SHARED_INT8 }), (error: unknown) => {
      assert.ok(error instanceof ModelError, String(error));
      assert.match(
        error.message,
        /^Deriving "mobilenetv2-imagenet" from mobilenetv2-12-int8\.onnx gave sha256 [0-9a-f]{64}/,
      );
      assert.match(error.message, /expects 0{64}.*Not installed\.$/);
      return true;
    });
    const files = await readdir(path.dirname(m.modelPath));
    assert.ok(!files.includes('mobilenetv2-12-float.onnx'), files.join(', '));
    assert.deepEqual(
      files.filter((f) => f.includes('.partial')),
      [],
    );
  });

  it('a source that is not the pinned int8 file → refused before deriving, nothing installed', async () => {
    const m = await defaultManifestIn();
    const wrong = path.join(path.dirname(m.manifestPath), 'other.onnx');
    await writeFile(wrong, Buffer.alloc(4096, 1));
    await assert.rejects(
      pullModelFile(m, { from: wrong }),
      (error: unknown) => error instanceof ModelError && /source of "mobilenetv2-imagenet"/.test(error.message),
    );
    assert.deepEqual((await readdir(path.dirname(m.modelPath))).sort(), ['mobilenetv2-imagenet.json', 'other.onnx']);
  });
});
