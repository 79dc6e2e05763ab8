/**
 * Model manifests and model files: the committed manifests load, a bad field is named, a missing or damaged .onnx file
 * says how to get a good one, `model:pull` installs only a verified file, and the breed ↔ ImageNet mapping is right.
 */
import assert from 'node:assert/strict';
import { copyFile, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ModelError } from '../../src/vision/errors.ts';
import { breedsOfModel, loadBreeds, loadLabelFile, loadModelBreeds } from '../../src/vision/labels.ts';
import { loadManifest, type ResolvedManifest } from '../../src/vision/manifest.ts';
import { pullModelFile, sha256OfFile, verifyModelFile } from '../../src/vision/model-file.ts';
import { MODELS_DIR, ROOT } from '../support/paths.ts';
import { tempDirs } from '../support/temp-dirs.ts';

/** The int8 original of the default model: the manifest whose file is fetched as it is. */
const MOBILENET_ID = 'mobilenetv2-imagenet-int8';
const MOBILENET_FILE = path.join(MODELS_DIR, 'mobilenetv2-12-int8.onnx');
const MOBILENET_SHA = '83530ad811bc31d2b60a5599a21265a5057608c9b044b4ee758cc22f2309f54f';
/** ImageNet index → [WordNet id, class name], shared beside the checkout with the model files. */
const IMAGENET_CLASS_INDEX = path.resolve(ROOT, '../shared/models/reference/imagenet_class_index.json');

type Json = Record<string, unknown>;

const temp = tempDirs();
after(() => temp.removeAll());
const tempDir = () => temp.make('manifest');

async function committedManifestJson(id: string): Promise<Json> {
  return JSON.parse(await readFile(path.join(MODELS_DIR, `${id}.json`), 'utf8')) as Json;
}

/** Writes `<dir>/<id>.json`, a copy of the committed manifest `id` changed by `edit`, and loads it from there. */
async function writeManifest(dir: string, id: string, edit: (json: Json) => void = () => {}): Promise<string> {
  const json = await committedManifestJson(id);
  edit(json);
  const file = path.join(dir, `${id}.json`);
  await writeFile(file, JSON.stringify(json));
  return file;
}

/** A fresh models dir holding only the mobilenet manifest (no .onnx file yet). */
async function mobilenetInTempDir(): Promise<ResolvedManifest> {
  const dir = await tempDir();
  return loadManifest(await writeManifest(dir, MOBILENET_ID), dir);
}

/** Loading a manifest changed by `edit` fails with a ModelError naming `field`. */
async function assertInvalidField(edit: (json: Json) => void, field: string): Promise<void> {
  const dir = await tempDir();
  const file = await writeManifest(dir, MOBILENET_ID, edit);
  await assert.rejects(loadManifest(file, dir), (error: unknown) => {
    assert.ok(error instanceof ModelError, String(error));
    assert.match(error.message, /is invalid/);
    assert.ok(error.message.includes(`${field}:`), `"${error.message}" should name ${field}`);
    assert.ok(error.message.includes(file), 'and say which manifest');
    return true;
  });
}

async function assertModelError(promise: Promise<unknown>, ...expectedParts: string[]): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ModelError, String(error));
    for (const part of expectedParts) assert.ok(error.message.includes(part), `"${error.message}" lacks "${part}"`);
    return true;
  });
}

/** Files in `dir` whose names show an unfinished download. */
async function partialFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.includes('.partial'));
}

function object(json: Json, key: string): Json {
  const value = json[key];
  assert.ok(typeof value === 'object' && value !== null, `${key} is an object`);
  return value as Json;
}

describe('loadManifest: the committed manifests', () => {
  it('mobilenetv2-imagenet-int8: NCHW 224, ImageNet mean/std, crop 256, ImageNet logits', async () => {
    const m = await loadManifest(MOBILENET_ID, MODELS_DIR);
    assert.equal(m.id, MOBILENET_ID);
    assert.equal(m.modelPath, MOBILENET_FILE);
    assert.equal(m.labelsPath, path.join(MODELS_DIR, 'breeds.json'));
    assert.equal(m.manifestPath, path.join(MODELS_DIR, `${MOBILENET_ID}.json`));
    assert.equal(m.sha256, MOBILENET_SHA);
    assert.equal(m.sizeBytes, 3_655_640);
    assert.deepEqual(m.input, {
      name: 'input',
      width: 224,
      height: 224,
      layout: 'NCHW',
      channels: 'RGB',
      normalize: { kind: 'mean-std', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
      resize: { kind: 'crop', shorterSide: 256, kernel: 'linear' },
    });
    assert.equal(m.output.kind, 'imagenet-1k-logits');
    assert.equal(m.output.name, 'output');
  });

  it('mobilenetv2-imagenet (the default): the same contract, its float32 graph derived from the int8 file', async () => {
    const [float, int8] = await Promise.all([
      loadManifest('mobilenetv2-imagenet', MODELS_DIR),
      loadManifest(MOBILENET_ID, MODELS_DIR),
    ]);
    assert.deepEqual(float.input, int8.input);
    assert.deepEqual(float.output, int8.output);
    assert.equal(float.modelPath, path.join(MODELS_DIR, 'mobilenetv2-12-float.onnx'));
    assert.deepEqual(float.derivedFrom, {
      method: 'dequantize-qlinear',
      file: 'mobilenetv2-12-int8.onnx',
      sha256: MOBILENET_SHA,
      sizeBytes: 3_655_640,
    });
    assert.equal(float.source, int8.source);
  });

  for (const id of ['xception-dogs', 'xception-random']) {
    it(`${id}: the Keras Xception contract (NHWC 299, pixel/127.5 − 1, squash, 120 probabilities)`, async () => {
      const m = await loadManifest(id, MODELS_DIR);
      assert.equal(m.id, id);
      assert.deepEqual(m.input, {
        name: 'input',
        width: 299,
        height: 299,
        layout: 'NHWC',
        channels: 'RGB',
        normalize: { kind: 'scale-offset', scale: 1 / 127.5, offset: -1 },
        resize: { kind: 'squash', kernel: 'linear' },
      });
      assert.deepEqual(m.output, { name: 'probs', kind: 'breed-probs' });
    });
  }

  it('xception-random is pinned to its file; xception-dogs is not pinned yet', async () => {
    const random = await loadManifest('xception-random', MODELS_DIR);
    assert.equal(random.modelPath, path.join(MODELS_DIR, 'xception-random-299.onnx'));
    assert.equal(random.sha256, '33deb383dd50d8df87b329683a27cf288b9be48ef0e5b52956ef3fd21e70b0b8');
    assert.equal(random.sizeBytes, 84_048_286);
    const dogs = await loadManifest('xception-dogs', MODELS_DIR);
    assert.deepEqual([dogs.sha256, dogs.sizeBytes, dogs.source], [null, null, null]);
  });

  it('loads by path as well as by id, resolving files beside the manifest', async () => {
    const byPath = await loadManifest(path.join(MODELS_DIR, 'xception-random.json'), '/nonexistent');
    assert.equal(byPath.modelPath, path.join(MODELS_DIR, 'xception-random-299.onnx'));
  });
});

describe('loadManifest: validation names the bad field', () => {
  const cases: { field: string; edit: (json: Json) => void }[] = [
    { field: 'input.layout', edit: (j) => Object.assign(object(j, 'input'), { layout: 'NWHC' }) },
    { field: 'output.name', edit: (j) => delete object(j, 'output').name },
    { field: 'sha256', edit: (j) => Object.assign(j, { sha256: 'ABC123' }) },
    {
      field: 'input.normalize.std',
      edit: (j) => Object.assign(object(object(j, 'input'), 'normalize'), { std: [0.229, 0, 0.225] }),
    },
    {
      field: 'output.dogClasses',
      edit: (j) => Object.assign(object(j, 'output'), { dogClasses: { from: 275, to: 151 } }),
    },
    { field: 'input.resize.kind', edit: (j) => Object.assign(object(j, 'input'), { resize: { kind: 'stretch' } }) },
    {
      field: 'input.resize.kernel',
      edit: (j) => Object.assign(object(j, 'input'), { resize: { kind: 'squash', kernel: 'bilinear' } }),
    },
    {
      field: 'output.breedClasses.pug',
      edit: (j) => Object.assign(object(object(j, 'output'), 'breedClasses'), { pug: 1000 }),
    },
  ];
  for (const { field, edit } of cases) {
    it(field, () => assertInvalidField(edit, field));
  }

  it('a resize without a kernel gets lanczos3', async () => {
    const dir = await tempDir();
    const file = await writeManifest(dir, 'xception-random', (j) =>
      Object.assign(object(j, 'input'), { resize: { kind: 'pad' } }),
    );
    assert.deepEqual((await loadManifest(file, dir)).input.resize, { kind: 'pad', kernel: 'lanczos3' });
  });

  it('a manifest that is not JSON says so', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'broken.json');
    await writeFile(file, '{ "id": "broken", ');
    await assertModelError(loadManifest(file, dir), file, 'not valid JSON');
  });

  it('an unknown id says where it looked', async () => {
    const dir = await tempDir();
    await assertModelError(
      loadManifest('no-such-model', dir),
      path.join(dir, 'no-such-model.json'),
      `*.json files in ${dir}`,
    );
  });
});

describe('verifyModelFile', () => {
  it('accepts the committed model file', async () => {
    await verifyModelFile(await loadManifest('mobilenetv2-imagenet', MODELS_DIR));
    await verifyModelFile(await loadManifest(MOBILENET_ID, MODELS_DIR));
  });

  it('a missing file → says where and how to get it', async () => {
    const m = await mobilenetInTempDir();
    await assertModelError(verifyModelFile(m), 'not found', m.modelPath, `npm run model:pull -- ${MOBILENET_ID}`);
  });

  it('a file of the wrong size → truncated, with the pull command', async () => {
    const m = await mobilenetInTempDir();
    await writeFile(m.modelPath, (await readFile(MOBILENET_FILE)).subarray(0, 1000));
    await assertModelError(verifyModelFile(m), 'has 1000 bytes', 'says 3655640', 'model:pull');
  });

  it('a file of the right size but another sha256 → corrupt, with the pull command', async () => {
    const m = await mobilenetInTempDir();
    const bytes = await readFile(MOBILENET_FILE);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
    await writeFile(m.modelPath, bytes);
    await assertModelError(verifyModelFile(m), 'corrupt', MOBILENET_SHA, 'model:pull');
  });

  it('a manifest without a source tells the operator to pass --from', async () => {
    const dir = await tempDir();
    const m = await loadManifest(await writeManifest(dir, 'xception-random'), dir);
    await assertModelError(verifyModelFile(m), 'npm run model:pull -- xception-random --from');
  });
});

describe('pullModelFile', () => {
  async function assertInstalled(m: ResolvedManifest, result: { path: string; bytes: number; sha256: string }) {
    assert.deepEqual(result, { path: m.modelPath, bytes: 3_655_640, sha256: MOBILENET_SHA });
    assert.equal(await sha256OfFile(m.modelPath), MOBILENET_SHA);
    await verifyModelFile(m);
    assert.deepEqual(await partialFiles(path.dirname(m.modelPath)), []);
  }

  it('from a local path', async () => {
    const m = await mobilenetInTempDir();
    await assertInstalled(m, await pullModelFile(m, { from: MOBILENET_FILE }));
  });

  it('from a file: URL', async () => {
    const m = await mobilenetInTempDir();
    await assertInstalled(m, await pullModelFile(m, { from: pathToFileURL(MOBILENET_FILE).href }));
  });

  it('from a relative path, resolved against cwd', async () => {
    const m = await mobilenetInTempDir();
    await assertInstalled(m, await pullModelFile(m, { from: 'mobilenetv2-12-int8.onnx', cwd: MODELS_DIR }));
  });

  it("from the manifest's own source, a path relative to the manifest", async () => {
    const dir = await tempDir();
    await copyFile(MOBILENET_FILE, path.join(dir, 'upstream.onnx'));
    const m = await loadManifest(
      await writeManifest(dir, MOBILENET_ID, (j) => Object.assign(j, { source: 'file:upstream.onnx' })),
      '/nonexistent',
    );
    await assertInstalled(m, await pullModelFile(m));
  });

  it('refuses a file with another sha256 and leaves nothing behind', async () => {
    const m = await mobilenetInTempDir();
    const wrong = path.join(await tempDir(), 'wrong.onnx');
    await writeFile(wrong, Buffer.alloc(4096, 7));
    await assertModelError(pullModelFile(m, { from: wrong }), 'not installed', MOBILENET_SHA);
    assert.deepEqual(await readdir(path.dirname(m.modelPath)), [`${MOBILENET_ID}.json`]);
  });

  it('a refused pull keeps the good file that was there', async () => {
    const m = await mobilenetInTempDir();
    await copyFile(MOBILENET_FILE, m.modelPath);
    const wrong = path.join(await tempDir(), 'wrong.onnx');
    await writeFile(wrong, 'not a model');
    await assertModelError(pullModelFile(m, { from: wrong }), 'not installed');
    await verifyModelFile(m);
    assert.deepEqual(await partialFiles(path.dirname(m.modelPath)), []);
  });

  it('a source that does not exist → ModelError, nothing left behind', async () => {
    const m = await mobilenetInTempDir();
    const missing = path.join(path.dirname(m.modelPath), 'nowhere.onnx');
    await assertModelError(pullModelFile(m, { from: missing }), 'does not exist', missing);
    assert.deepEqual(await readdir(path.dirname(m.modelPath)), [`${MOBILENET_ID}.json`]);
  });

  it('a manifest without a source and no --from → says to pass one', async () => {
    const dir = await tempDir();
    const m = await loadManifest(await writeManifest(dir, 'xception-random'), dir);
    await assertModelError(pullModelFile(m), 'no source', '--from');
  });
});

describe('breeds and the ImageNet mapping', () => {
  async function mapping(id = 'mobilenetv2-imagenet'): Promise<{ ids: string[]; classes: Record<string, number> }> {
    const m = await loadManifest(id, MODELS_DIR);
    assert.equal(m.output.kind, 'imagenet-1k-logits');
    if (m.output.kind !== 'imagenet-1k-logits') throw new Error('unreachable');
    const ids = (await loadModelBreeds(m)).map((b) => b.id);
    return { ids, classes: m.output.breedClasses };
  }

  it('the label file: 120 breeds, ids sorted byte-wise (the class order of breed models), then the Dalmatian', async () => {
    const labels = await loadLabelFile(path.join(MODELS_DIR, 'breeds.json'));
    const ids = labels.breeds.map((b) => b.id);
    assert.equal(ids.length, 120);
    const sorted = [...ids].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    assert.deepEqual(ids, sorted);
    assert.equal(ids[0], 'affenpinscher');
    assert.equal(ids[119], 'yorkshire_terrier');
    assert.deepEqual(
      labels.moreImageNetBreeds.map((b) => b.id),
      ['dalmatian'],
    );
  });

  it('the ImageNet models name 121 breeds (the 120, then the Dalmatian); the Xception ones exactly the 120', async () => {
    for (const id of ['mobilenetv2-imagenet', 'mobilenetv2-imagenet-int8']) {
      const breeds = await loadModelBreeds(await loadManifest(id, MODELS_DIR));
      assert.equal(breeds.length, 121, id);
      assert.deepEqual(breeds.at(-1), {
        id: 'dalmatian',
        name: 'Dalmatian',
        wikipedia: 'https://en.wikipedia.org/wiki/Dalmatian_dog',
      });
    }
    const the120 = await loadBreeds(path.join(MODELS_DIR, 'breeds.json'));
    for (const id of ['xception-dogs', 'xception-random']) {
      assert.deepEqual(await loadModelBreeds(await loadManifest(id, MODELS_DIR)), the120, id);
    }
  });

  it('a breedClasses id that is no breed of the label file, or a breed left unmapped, is named', async () => {
    const m = await loadManifest('mobilenetv2-imagenet', MODELS_DIR);
    assert.ok(m.output.kind === 'imagenet-1k-logits');
    const labels = await loadLabelFile(m.labelsPath);
    const { pug: _dropped, ...breedClasses } = m.output.breedClasses;
    const output = { ...m.output, breedClasses: { ...breedClasses, dalmation: 251 } };
    assert.throws(
      () => breedsOfModel({ ...m, output }, labels),
      (error: unknown) => {
        assert.ok(error instanceof ModelError);
        assert.match(error.message, /mobilenetv2-imagenet\.json is invalid: output\.breedClasses/);
        assert.match(error.message, /not a breed there: dalmation; no class for breed: pug$/);
        return true;
      },
    );
  });

  it('every breed has exactly one ImageNet class, and no class is mapped that is not a breed', async () => {
    for (const id of ['mobilenetv2-imagenet', 'mobilenetv2-imagenet-int8']) {
      const { ids, classes } = await mapping(id);
      assert.deepEqual(Object.keys(classes).sort(), [...ids].sort());
    }
  });

  it('the classes are 151–268 plus 273–275, and the gate range covers them, less the wolves and the coyote', async () => {
    const { classes } = await mapping();
    const expected = [...Array.from({ length: 118 }, (_, i) => 151 + i), 273, 274, 275];
    assert.deepEqual(
      Object.values(classes).sort((a, b) => a - b),
      expected,
    );
    const m = await loadManifest('mobilenetv2-imagenet', MODELS_DIR);
    assert.ok(m.output.kind === 'imagenet-1k-logits');
    assert.deepEqual(m.output.dogClasses, { from: 151, to: 275, except: [269, 270, 271, 272] });
  });

  it("each breed's class is the ImageNet class of that name", async () => {
    const { classes } = await mapping();
    const index = JSON.parse(await readFile(IMAGENET_CLASS_INDEX, 'utf8')) as Record<string, [string, string]>;
    for (const [breed, i] of Object.entries(classes)) {
      assert.equal(index[String(i)]?.[1].toLowerCase(), breed, `class ${i}`);
    }
  });
});
