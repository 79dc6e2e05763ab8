/**
 * A model names its own breeds: the default ImageNet model knows the Dalmatian (ImageNet class 251) beyond Kaggle's
 * 120 and names it on photos it never saw (`../shared/validation/beyond-120.csv`); the Xception contract keeps exactly
 * the 120, and `eval` refuses a Dalmatian label with it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Classifier } from '../../src/vision/classifier.ts';
import { ROOT, readValidationImage, VALIDATION_DIR } from '../support/paths.ts';
import { testClassifierOptions } from '../support/vision-options.ts';

const BEYOND_120_CSV = path.join(VALIDATION_DIR, 'beyond-120.csv');

/** The Dalmatian photos of beyond-120.csv (`file,breed,source`). */
async function dalmatianPhotos(): Promise<string[]> {
  const rows = (await readFile(BEYOND_120_CSV, 'utf8')).trim().split('\n').slice(1);
  return rows.map((row) => row.split(',')).flatMap(([file, breed]) => (breed === 'dalmatian' && file ? [file] : []));
}

describe('the default model names the Dalmatian', () => {
  let classifier: Classifier;
  before(async () => {
    // With the detector, as the bot answers.
    classifier = await Classifier.create(testClassifierOptions({ detector: 'yolox-nano-coco' }));
  });
  after(() => classifier.close());

  it('knows 121 breeds: the 120, then the Dalmatian', () => {
    assert.equal(classifier.breeds.length, 121);
    assert.equal(classifier.breeds.at(-1)?.id, 'dalmatian');
  });

  it('a Dalmatian it never saw is a dog, named Dalmatian (not Great Dane)', async () => {
    const files = await dalmatianPhotos();
    assert.ok(files.length >= 2, `Dalmatian photos in ${BEYOND_120_CSV}`);
    for (const file of files) {
      const result = await classifier.classify(await readValidationImage(file));
      assert.equal(result.isDog, true, file);
      assert.equal(result.top[0]?.breed, 'dalmatian', `${file}: ${JSON.stringify(result.top)}`);
      assert.equal(result.top[0]?.name, 'Dalmatian');
    }
  });
});

describe('the Xception contract keeps its 120', () => {
  it('xception-random names exactly the 120 breeds, no Dalmatian', async () => {
    const classifier = await Classifier.create(testClassifierOptions({ model: 'xception-random' }));
    try {
      assert.equal(classifier.breeds.length, 120);
      assert.ok(!classifier.breeds.some((b) => b.id === 'dalmatian'));
    } finally {
      await classifier.close();
    }
  });
});

describe('eval on beyond-120.csv', () => {
  const CLI = path.join(ROOT, 'src/cli/main.ts');
  const dogBreeds = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', CLI, ...args],
        { cwd: ROOT, timeout: 120_000 },
        (error, stdout, stderr) => {
          resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
        },
      );
    });

  it('runs with the default model and names the Dalmatians', async () => {
    const run = await dogBreeds(['eval', '--json', BEYOND_120_CSV]);
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout) as { top1: number; images: number };
    assert.equal(summary.top1, 1, run.stdout);
  });

  it('refuses the Dalmatian label with an Xception model, naming the line', async () => {
    const run = await dogBreeds(['eval', '--model', 'xception-random', BEYOND_120_CSV]);
    assert.equal(run.code, 2, 'an operator error');
    assert.match(run.stderr, /beyond-120\.csv:2: "dalmatian" is not one of the 120 breed ids or not_dog/);
  });
});
