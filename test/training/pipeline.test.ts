/**
 * training/ (issue 7): the Xception fine-tuning pipeline, proved here on synthetic data with Debian's PyTorch.
 *
 * 1. Keras's ImageNet weights import by name: a synthetic .h5 in the reference layout lands tensor by tensor, and the
 *    imported backbone computes what a NumPy interpreter of the Keras graph computes (TF 'same' padding, odd and even
 *    sizes); planted mistakes (symmetric pooling, torch's BN epsilon, a transposed pointwise kernel) are caught.
 * 2. Both dataset layouts load, with the same seeded stratified split.
 * 3. Training on the CPU (both phases), export to the serving contract, parity between PyTorch and the service's own
 *    preprocessing + onnxruntime-node, and the real CLI classifying with the exported manifest.
 * 4. The pipeline makes its own random-weight Xception with the contract of the shared fixture.
 * Everything generated goes to a temporary folder.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { Classifier } from '../../src/vision/classifier.ts';
import { loadManifest } from '../../src/vision/manifest.ts';
import { verifyModelFile } from '../../src/vision/model-file.ts';
import { MODELS_DIR, ROOT } from '../support/paths.ts';
import { testClassifierOptions } from '../support/vision-options.ts';

/** Debian's python3-torch lives under the system Python, not a pyenv one on PATH. */
const PYTHON = process.env.TRAINING_PYTHON ?? '/usr/bin/python3';
const TRAINING = path.join(ROOT, 'training');
const TOLERANCE = 1e-4;
const BREEDS = ['beagle', 'pug', 'samoyed'];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

type Json = Record<string, unknown>;

/** Runs a command to completion (asynchronously, so the test runner stays responsive). */
function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      // No __pycache__ in the checkout; OpenMP threads that sleep instead of spinning while waiting: on a shared
      // 2-core machine (other tests, other jobs) spinning made training 4× slower.
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', OMP_WAIT_POLICY: 'PASSIVE', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs training/<script> and parses the last stdout line as JSON; `expectCode` is the exit code it must have. */
async function python(script: string, args: string[], expectCode = 0): Promise<{ result: Json; lines: Json[] }> {
  const { code, stdout, stderr } = await run(PYTHON, [path.join(TRAINING, script), ...args]);
  assert.equal(code, expectCode, `${script} ${args.join(' ')} exited ${code}\n${stderr.slice(-3000)}`);
  const lines = stdout
    .trim()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Json);
  const result = lines.at(-1);
  assert.ok(result, `${script} printed no JSON\n${stdout}\n${stderr.slice(-2000)}`);
  return { result, lines };
}

function records(value: unknown): Json[] {
  assert.ok(Array.isArray(value), `expected an array, got ${JSON.stringify(value)}`);
  return value as Json[];
}

let tmp = '';
/** What synthetic.py said it wrote: the notop .h5 and the Kaggle-layout image set the later tests use. */
const fixtures: { h5Tensors?: unknown; images?: unknown } = {};
before(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'dog-breeds-training-'));
  fixtures.h5Tensors = (await python('synthetic.py', ['h5', '--out', path.join(tmp, 'notop.h5')])).result.tensors;
  const kaggle = ['dataset', '--out', path.join(tmp, 'kaggle'), '--per-breed', '10', '--seed', '1'];
  fixtures.images = (await python('synthetic.py', kaggle)).result.images;
});
after(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('training pipeline (issue 7)', () => {
  it('has the Python it needs (Debian: python3-torch python3-torchvision python3-h5py python3-onnx)', async () => {
    const { code, stdout, stderr } = await run(PYTHON, [
      '-c',
      'import torch, torchvision, h5py, onnx; print(torch.__version__)',
    ]);
    assert.equal(code, 0, `${PYTHON} cannot import the training stack:\n${stderr}`);
    assert.match(stdout, /^\d+\.\d+/);
  });

  it('imports Keras weights by name: every tensor in its place, and the backbone computes what Keras does', async (t) => {
    const h5 = path.join(tmp, 'notop.h5');
    assert.equal(fixtures.h5Tensors, 234, 'the notop file has the 236 topology tensors minus predictions');

    const { result } = await python('verify_import.py', ['--h5', h5]);
    assert.equal(result.ok, true);
    assert.equal(result.fileTensors, 234);
    assert.equal(result.consumed, 234, 'every tensor of the file consumed');
    assert.equal(result.distinctTargets, 234, 'each into its own backbone tensor');
    assert.deepEqual(result.skipped, []);
    assert.deepEqual(result.untouched, [], 'no backbone tensor left at its initial value');
    const spots = records(result.spotChecks);
    assert.ok(spots.length >= 10);
    for (const spot of spots) assert.equal(spot.ok, true, `spot check ${JSON.stringify(spot)}`);
    const forwards = records(result.forward);
    assert.deepEqual(
      forwards.map((f) => f.input),
      [
        [71, 71],
        [74, 66],
      ],
    );
    for (const forward of forwards) {
      assert.ok((forward.maxAbsDiff as number) <= TOLERANCE * (forward.maxAbs as number), JSON.stringify(forward));
    }
    t.diagnostic(`Keras-graph forward vs PyTorch: max abs diff ${forwards.map((f) => f.maxAbsDiff).join(', ')}`);

    // A file from a Keras 2.0 session: names without TF's `_1`, shortcuts conv2d_1…4, and the ImageNet top layer.
    const keras2 = path.join(tmp, 'keras2-with-top.h5');
    assert.equal(
      (await python('synthetic.py', ['h5', '--out', keras2, '--keras2-names', '--include-top'])).result.tensors,
      236,
    );
    const withTop = (await python('verify_import.py', ['--h5', keras2])).result;
    assert.equal(withTop.ok, true);
    assert.equal(withTop.consumed, 234);
    assert.deepEqual(withTop.skipped, ['predictions/kernel:0', 'predictions/bias:0']);
  });

  it('catches planted mistakes: symmetric stride-2 pooling (even sizes only), torch BN epsilon, a wrong transpose', async () => {
    const h5 = path.join(tmp, 'notop.h5');
    const pool = (await python('verify_import.py', ['--h5', h5, '--sabotage', 'symmetric-pool'], 1)).result;
    const [odd, even] = records(pool.forward);
    assert.equal(odd?.ok, true, 'on all-odd sizes symmetric padding happens to agree with TF');
    assert.equal(even?.ok, false, 'on even sizes TF pads only bottom/right');
    for (const how of ['torch-eps', 'pointwise-transpose']) {
      const broken = (await python('verify_import.py', ['--h5', h5, '--sabotage', how], 1)).result;
      assert.ok(
        records(broken.forward).every((f) => f.ok === false),
        `${how}: ${JSON.stringify(broken.forward)}`,
      );
    }
  });

  it('reads the Kaggle and the Stanford Dogs layouts with the same seeded, stratified split', async () => {
    const kaggle = path.join(tmp, 'kaggle');
    const stanford = path.join(tmp, 'stanford');
    assert.equal(fixtures.images, 30);
    await python('synthetic.py', ['dataset', '--out', stanford, '--layout', 'stanford', '--per-breed', '10']);
    assert.equal((await readdir(path.join(kaggle, 'train'))).length, 30);
    const a = (await python('data.py', ['--data', kaggle, '--seed', '5'])).result;
    const b = (await python('data.py', ['--data', stanford, '--layout', 'stanford', '--seed', '5'])).result;
    for (const summary of [a, b]) {
      assert.deepEqual(summary.breeds, { beagle: 10, pug: 10, samoyed: 10 });
      assert.equal(summary.train, 24);
      assert.equal(summary.val, 6);
    }
    const again = (await python('data.py', ['--data', kaggle, '--seed', '5'])).result;
    const other = (await python('data.py', ['--data', kaggle, '--seed', '6'])).result;
    assert.deepEqual(again.valFiles, a.valFiles, 'same seed, same split');
    assert.notDeepEqual(other.valFiles, a.valFiles, 'another seed, another split');
  });

  it("leaves out (and counts) feedback photos of a breed beyond the 120, such as the default model's Dalmatian", async () => {
    const kaggle = path.join(tmp, 'kaggle');
    const withDalmatian = path.join(tmp, 'kaggle-dalmatian');
    await cp(kaggle, withDalmatian, { recursive: true });
    const labels = path.join(withDalmatian, 'labels.csv');
    const [header, first, ...rest] = (await readFile(labels, 'utf8')).trim().split('\n');
    const firstId = (first ?? '').split(',')[0];
    await writeFile(labels, [header, `${firstId},dalmatian`, ...rest, ''].join('\n'));
    const { code, stdout, stderr } = await run(PYTHON, [path.join(TRAINING, 'data.py'), '--data', withDalmatian]);
    assert.equal(code, 0, stderr);
    const summary = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Json;
    assert.equal((summary.train as number) + (summary.val as number), 29, 'the Dalmatian photo is left out');
    assert.match(stderr, /left out photos of breeds the 120-way model has no class for: 1 dalmatian/);
    await writeFile(labels, [header, `${firstId},wolfdog`, ...rest, ''].join('\n'));
    const unknown = await run(PYTHON, [path.join(TRAINING, 'data.py'), '--data', withDalmatian]);
    assert.notEqual(unknown.code, 0, 'a breed no file knows is still refused');
    assert.match(unknown.stderr, /breed 'wolfdog'.*is not in breeds\.json/);
  });

  it('trains on the CPU, exports the serving contract, and the service answers what PyTorch answers', async (t) => {
    const data = path.join(tmp, 'kaggle');
    const out = path.join(tmp, 'out');
    const started = performance.now();
    const { result: summary, lines } = await python('train.py', [
      ...['--data', data, '--weights', path.join(tmp, 'notop.h5'), '--out', out],
      ...['--epochs-head', '6', '--epochs-finetune', '1', '--patience', '6', '--max-lr', '3e-3'],
      ...['--image-size', '128', '--batch-size', '8', '--workers', '0', '--device', 'cpu', '--seed', '7'],
    ]);
    t.diagnostic(`train + export: ${((performance.now() - started) / 1000).toFixed(1)} s`);

    // Both phases ran, with the cyclical LR in phase 1 and SGD 1e-4 in phase 2, and the head learned something.
    const epochs = lines.filter((line) => 'epoch' in line && 'valAcc' in line);
    assert.deepEqual(
      epochs.map((e) => e.phase),
      ['head', 'head', 'head', 'head', 'head', 'head', 'finetune'],
    );
    const headRates = epochs.filter((e) => e.phase === 'head').map((e) => e.lr as number);
    assert.ok(new Set(headRates).size > 1, `phase 1 LR cycles: ${headRates}`);
    assert.ok(
      headRates.every((lr) => lr >= 1e-4 - 1e-12 && lr <= 3e-3 + 1e-12),
      `${headRates}`,
    );
    assert.equal(epochs.at(-1)?.lr, 1e-4);
    // Validation accuracy is a count over the held-out photos (6: a fifth of each breed's 10); an epoch is marked
    // `best` exactly when it beats every earlier one (early stopping keeps its weights), and the summary reports that
    // best. (Seven short epochs on 24 synthetic photos do not beat chance on 6: the loss below shows the learning.)
    const valFiles = lines.find((line) => typeof line.valFiles === 'number')?.valFiles;
    assert.equal(valFiles, 6);
    let bestSoFar = -1;
    for (const e of epochs) {
      const accuracy = e.valAcc as number;
      const correct = Math.round(accuracy * valFiles);
      assert.ok(Math.abs(accuracy - correct / valFiles) < 1e-5, `valAcc ${accuracy} is k/${valFiles}`);
      assert.equal(e.best, accuracy > bestSoFar, `${e.phase} epoch ${e.epoch}: valAcc ${accuracy}, best ${bestSoFar}`);
      bestSoFar = Math.max(bestSoFar, accuracy);
    }
    assert.ok(Math.abs((summary.bestValAcc as number) - bestSoFar) < 1e-5, `bestValAcc ${summary.bestValAcc}`);
    const lastLoss = epochs.at(-1)?.valLoss as number;
    assert.ok(lastLoss < Math.log(120) / 2, `validation loss ${lastLoss} well below uniform's ln 120`);
    assert.equal(summary.epochs, 7);

    // The ONNX graph's contract.
    assert.deepEqual(summary.contract, {
      inputs: { input: ['n', 299, 299, 3] },
      outputs: { probs: ['n', 120] },
      opset: 13,
    });

    // The manifest: the repository's template with the file pinned, and the service accepts it (sha256 checked).
    const manifestPath = path.join(out, 'xception-dogs.json');
    const manifest = await loadManifest(manifestPath, out);
    await verifyModelFile(manifest);
    const written = JSON.parse(await readFile(manifestPath, 'utf8')) as Json;
    const template = JSON.parse(await readFile(path.join(MODELS_DIR, 'xception-dogs.json'), 'utf8')) as Json;
    assert.match(String(written.sha256), /^[0-9a-f]{64}$/);
    assert.ok((written.sizeBytes as number) > 80_000_000);
    assert.deepEqual({ ...written, sha256: null, sizeBytes: null }, template);

    // Dynamic batch: 1 and 3 photos, probabilities summing to 1.
    const session = await ort.InferenceSession.create(manifest.modelPath);
    try {
      for (const n of [1, 3]) {
        const input = new ort.Tensor(
          'float32',
          new Float32Array(n * 299 * 299 * 3).map(() => Math.random() * 2 - 1),
          [n, 299, 299, 3],
        );
        const probs = (await session.run({ input })).probs as ort.Tensor;
        assert.deepEqual(probs.dims, [n, 120]);
        const values = probs.data as Float32Array;
        for (let row = 0; row < n; row++) {
          const sum = values.slice(row * 120, (row + 1) * 120).reduce((s, v) => s + v, 0);
          assert.ok(Math.abs(sum - 1) < 1e-5, `row ${row} sums to ${sum}`);
        }
      }
    } finally {
      await session.release();
    }

    // Parity on every photo of the set (up to the limit), then the negative control.
    const checkpoint = path.join(out, 'model.pt');
    const images = path.join(data, 'train');
    const parityStarted = performance.now();
    const parity = (
      await python('parity.py', ['--manifest', manifestPath, '--checkpoint', checkpoint, '--limit', '12', images])
    ).result;
    t.diagnostic(
      `parity on ${parity.images} photos: max abs diff ${parity.maxAbsDiff}, input sensitivity ${parity.inputSensitivity}, ` +
        `service batches ${JSON.stringify(parity.serviceBatchSizes)}, ${((performance.now() - parityStarted) / 1000).toFixed(1)} s`,
    );
    assert.equal(parity.ok, true);
    assert.equal(parity.images, 12);
    assert.ok((parity.maxAbsDiff as number) < TOLERANCE, `max abs diff ${parity.maxAbsDiff}`);
    assert.equal(parity.top3Identical, true);
    assert.ok(
      (parity.inputSensitivity as number) > 100 * TOLERANCE,
      `the model's answers must depend on the photo for parity to mean anything: ${parity.inputSensitivity}`,
    );
    assert.ok(
      (parity.serviceBatchSizes as number[]).some((size) => size > 1),
      'the service batched photos together',
    );
    const sabotaged = (
      await python(
        'parity.py',
        ['--manifest', manifestPath, '--checkpoint', checkpoint, '--limit', '12', '--sabotage', 'bgr', images],
        1,
      )
    ).result;
    assert.ok((sabotaged.maxAbsDiff as number) > TOLERANCE, `BGR input must be caught: ${sabotaged.maxAbsDiff}`);

    // The real CLI with the exported manifest agrees with PyTorch's top-1 for the same photo.
    const first = records(parity.perImage)[0] as Json;
    const photo = path.join(images, String(first.file));
    const cli = await run(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'classify', photo, '--model', manifestPath, '--json'],
      { GATE_MODEL: 'none', DEVICE: 'cpu' },
    );
    assert.equal(cli.code, 0, cli.stderr);
    const answer = JSON.parse(cli.stdout.trim()) as { model: string; top: { breed: string; p: number }[] };
    assert.equal(answer.model, 'xception-dogs');
    assert.equal(answer.top.length, 3);
    const breedIds = (JSON.parse(await readFile(path.join(MODELS_DIR, 'breeds.json'), 'utf8')) as Json).breeds as {
      id: string;
    }[];
    assert.equal(answer.top[0]?.breed, breedIds[(first.top3Torch as number[])[0] as number]?.id);
    assert.ok(BREEDS.includes(answer.top[0]?.breed ?? ''), `a breed it was trained on: ${answer.top[0]?.breed}`);
  });

  it('produces its own random-weight Xception with the contract of the shared fixture', async () => {
    const out = path.join(tmp, 'random');
    const { result } = await python('train.py', [
      ...['--weights', 'none', '--epochs-head', '0', '--epochs-finetune', '0', '--out', out],
      ...['--manifest', path.join(MODELS_DIR, 'xception-random.json')],
    ]);
    assert.equal(result.epochs, 0);
    const manifestPath = path.join(out, 'xception-random.json');
    const written = JSON.parse(await readFile(manifestPath, 'utf8')) as Json;
    const fixture = JSON.parse(await readFile(path.join(MODELS_DIR, 'xception-random.json'), 'utf8')) as Json;
    assert.equal(written.file, 'xception-random-299.onnx');
    assert.deepEqual({ ...written, sha256: fixture.sha256, sizeBytes: fixture.sizeBytes }, fixture);

    // Same names, same shapes in and out as the shared fixture, for a batch of 2.
    const ours = await ort.InferenceSession.create(path.join(out, 'xception-random-299.onnx'));
    const shared = await ort.InferenceSession.create(path.join(MODELS_DIR, 'xception-random-299.onnx'));
    try {
      const input = new ort.Tensor('float32', new Float32Array(2 * 299 * 299 * 3).fill(0.25), [2, 299, 299, 3]);
      for (const session of [ours, shared]) {
        assert.deepEqual(session.inputNames, ['input']);
        assert.deepEqual(session.outputNames, ['probs']);
        assert.deepEqual(((await session.run({ input })).probs as ort.Tensor).dims, [2, 120]);
      }
    } finally {
      await Promise.all([ours.release(), shared.release()]);
    }

    // And the service serves it.
    const classifier = await Classifier.create(
      testClassifierOptions({ modelsDir: out, model: manifestPath, gateModel: 'none' }),
    );
    try {
      const photo = await readFile(
        path.join(tmp, 'kaggle', 'train', (await readdir(path.join(tmp, 'kaggle', 'train')))[0] as string),
      );
      const answer = await classifier.classify(photo, { top: 120 });
      assert.equal(answer.top.length, 120);
      assert.ok(Math.abs(answer.top.reduce((s, g) => s + g.p, 0) - 1) < 1e-6);
    } finally {
      await classifier.close();
    }
  });
});
