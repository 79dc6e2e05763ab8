/**
 * What the command line reads, on real files: folder walks that meet symlink loops list each photo once and end;
 * FIFOs and devices are refused with a reason (no hang, no unbounded read); files over the bot's 20 MB limit are
 * refused, by `classify`/`eval` and by batch jobs' local paths alike; `eval` refuses a label that is not a breed.
 * CSV files are read and written as CSV (a quoted path with a comma works; a malformed file gets one line naming its
 * line); `--version` is the package's; `model list` lists the manifests and nothing else of the models folder.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, open, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { modelListCommand } from '../../src/cli/commands/model.ts';
import { MAX_CSV_BYTES } from '../../src/cli/csv.ts';
import { readInputPhoto } from '../../src/cli/input-photo.ts';
import { expandImagePaths } from '../../src/cli/labelled-files.ts';
import { ResultFile } from '../../src/cli/result-file.ts';
import { configSchema } from '../../src/config/index.ts';
import { MAX_DOWNLOAD_BYTES } from '../../src/telegram/api.ts';
import { readBatchSource } from '../../src/worker/batch-source.ts';
import { captureCli } from '../support/cli-context.ts';
import { image, MODELS_DIR, ROOT } from '../support/paths.ts';

const CLI = path.join(ROOT, 'src/cli/main.ts');
const PHOTO = image('dogs/papillon-cba2c69da143.jpg');

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI, killed after `timeoutMs` (code null then), so that a hang fails the test instead of stalling it. */
function dogBreeds(args: string[], timeoutMs = 60_000): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', CLI, ...args],
      { cwd: ROOT, env: { ...process.env, DEVICE: 'cpu', LOG_LEVEL: 'silent' }, timeout: timeoutMs },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' && !error.killed ? error.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

let dir: string;
let fifo: string;
let oversized: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'dog-breeds-cli-inputs-'));
  fifo = path.join(dir, 'pipe.jpg');
  execFileSync('mkfifo', [fifo]);
  // Sparse: one byte over the limit without writing 20 MB.
  oversized = path.join(dir, 'huge.jpg');
  const handle = await open(oversized, 'w');
  await handle.truncate(MAX_DOWNLOAD_BYTES + 1);
  await handle.close();
});
after(() => rm(dir, { recursive: true, force: true }));

describe('folder walks', () => {
  it('a folder linking to itself: each photo once', async () => {
    const folder = path.join(dir, 'self-link');
    await mkdir(path.join(folder, 'sub'), { recursive: true });
    await writeFile(path.join(folder, 'a.jpg'), 'a');
    await writeFile(path.join(folder, 'sub', 'b.png'), 'b');
    await writeFile(path.join(folder, 'notes.txt'), 'not a photo');
    await symlink('.', path.join(folder, 'again'));
    assert.deepEqual(await expandImagePaths([folder]), [path.join(folder, 'a.jpg'), path.join(folder, 'sub', 'b.png')]);
  });

  it('two self-links (a cycle through two folders): ends, each photo once', { timeout: 10_000 }, async () => {
    const folder = path.join(dir, 'two-links');
    await mkdir(path.join(folder, 'inner'), { recursive: true });
    await writeFile(path.join(folder, 'a.jpg'), 'a');
    await writeFile(path.join(folder, 'inner', 'b.jpg'), 'b');
    await symlink('.', path.join(folder, 'self'));
    await symlink('..', path.join(folder, 'inner', 'up'));
    assert.deepEqual(await expandImagePaths([folder]), [
      path.join(folder, 'a.jpg'),
      path.join(folder, 'inner', 'b.jpg'),
    ]);
  });

  it('a linked folder elsewhere is still walked', async () => {
    const target = path.join(dir, 'elsewhere');
    const folder = path.join(dir, 'with-link');
    await mkdir(target, { recursive: true });
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(target, 'c.jpg'), 'c');
    await symlink(target, path.join(folder, 'linked'));
    assert.deepEqual(await expandImagePaths([folder]), [path.join(folder, 'linked', 'c.jpg')]);
  });
});

describe('reading an input photo', () => {
  it('reads a regular file whole', async () => {
    const copy = path.join(dir, 'photo.jpg');
    await copyFile(PHOTO, copy);
    assert.ok((await readInputPhoto(copy)).length > 1000);
  });

  it('refuses a FIFO without waiting for a writer', { timeout: 5_000 }, async () => {
    await assert.rejects(readInputPhoto(fifo), /not a regular file \(a FIFO\)/);
  });

  it('refuses /dev/zero instead of reading it without end', { timeout: 5_000 }, async () => {
    await assert.rejects(readInputPhoto('/dev/zero'), /not a regular file \(a character device\)/);
  });

  it('refuses a file over the bot’s 20 MB limit', async () => {
    await assert.rejects(readInputPhoto(oversized), /over the limit of 20971520/);
  });

  it('batch jobs’ local paths: the same refusals, as unavailable / too-big', { timeout: 5_000 }, async () => {
    const read = (file: string) => readBatchSource({ kind: 'path', path: file }, {});
    await assert.rejects(read(fifo), {
      name: 'FileDownloadError',
      reason: 'unavailable',
      message: /not a regular file/,
    });
    await assert.rejects(read('/dev/zero'), { reason: 'unavailable', message: /not a regular file/ });
    await assert.rejects(read(oversized), { reason: 'too-big' });
    assert.ok((await read(PHOTO)).length > 1000);
  });
});

describe('dog-breeds classify and eval on odd inputs', () => {
  it('classify: a FIFO, /dev/zero and an oversized file each get a line on stderr; the photo is answered', async () => {
    const run = await dogBreeds(['classify', '--json', '--no-detector', fifo, '/dev/zero', oversized, PHOTO]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /pipe\.jpg: not a regular file \(a FIFO\)/);
    assert.match(run.stderr, /\/dev\/zero: not a regular file \(a character device\)/);
    assert.match(run.stderr, /huge\.jpg: \d+ bytes, over the limit/);
    const lines = run.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    assert.equal((JSON.parse(lines[0] ?? '{}') as { file: string }).file, PHOTO);
  });

  it('eval: an unknown breed label is refused with one line naming the csv line', async () => {
    const csv = path.join(dir, 'labels.csv');
    await writeFile(csv, `file,breed\n${PHOTO},papillon\n\n${PHOTO},papilon\n${PHOTO},not_dog\n`);
    const run = await dogBreeds(['eval', '--no-detector', csv]);
    assert.equal(run.code, 2, 'an operator error');
    assert.match(run.stderr, /labels\.csv:4: "papilon" is not one of the 121 breed ids or not_dog/);
    assert.equal(run.stdout, '');
  });

  it('eval: with no non-dog photos the gate line says so instead of 0 %', async () => {
    const csv = path.join(dir, 'dogs-only.csv');
    await writeFile(csv, `file,breed\n${PHOTO},papillon\n`);
    const run = await dogBreeds(['eval', '--no-detector', csv]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /non-dogs passing n\/a \(no non-dog photos\)/);
    const json = await dogBreeds(['eval', '--json', '--no-detector', csv]);
    assert.equal((JSON.parse(json.stdout) as { notDogsPassingGate: number | null }).notDogsPassingGate, null);
  });
});

describe('CSV files', () => {
  it('eval: a quoted path with a comma in it ("dogs/my, beagle.jpg") is one path', async () => {
    const set = path.join(dir, 'quoted');
    await mkdir(path.join(set, 'dogs'), { recursive: true });
    await copyFile(image('dogs/beagle-4aea27da2a0b.jpg'), path.join(set, 'dogs', 'my, beagle.jpg'));
    await copyFile(PHOTO, path.join(set, 'dogs', 'a "papillon".jpg'));
    const csv = path.join(set, 'labels.csv');
    await writeFile(
      csv,
      'file,breed,source\n"dogs/my, beagle.jpg",beagle,x\n"dogs/a ""papillon"".jpg",papillon,"y, z"\n',
    );
    const run = await dogBreeds(['eval', '--json', '--no-detector', csv]);
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as { dogs: number; top1: number };
    assert.equal(report.dogs, 2);
    assert.equal(report.top1, 1, 'both photos found and named');
  });

  it('eval: a malformed CSV gets one line naming the file, the line and what is wrong (no stack, no JSON)', async () => {
    const cases = [
      [
        'unclosed.csv',
        `file,breed\n${PHOTO},papillon\n"${PHOTO},papillon\n`,
        /unclosed\.csv:3: a quoted field is never closed/,
      ],
      [
        'short.csv',
        `file,breed\n${PHOTO},papillon\n${PHOTO}\n`,
        /short\.csv:3: 1 field where the first line has 2 fields/,
      ],
      ['stray.csv', `file,breed\n${PHOTO},papi"llon\n`, /stray\.csv:2: a " inside a field that is not quoted/],
      [
        'header.csv',
        `path,label\n${PHOTO},papillon\n`,
        /header\.csv:1: expected a header with "file" \(or "id"\) and "breed"/,
      ],
    ] as const;
    for (const [name, text, expected] of cases) {
      await writeFile(path.join(dir, name), text);
      const run = await dogBreeds(['eval', '--no-detector', path.join(dir, name)]);
      assert.equal(run.code, 2, `${name}: an operator error`);
      assert.match(run.stderr, expected);
      assert.equal(run.stderr.trim().split('\n').length, 1, `${name}: one line, got ${run.stderr}`);
      assert.equal(run.stdout, '');
    }
  });

  it('eval and batch: a FIFO, /dev/zero or an oversized file as the CSV is refused at once with one line', {
    timeout: 120_000,
  }, async () => {
    const pipe = path.join(dir, 'pipe.csv');
    execFileSync('mkfifo', [pipe]);
    const zero = path.join(dir, 'zero.csv');
    await symlink('/dev/zero', zero);
    // Sparse: one byte over the limit without writing it.
    const huge = path.join(dir, 'huge.csv');
    const handle = await open(huge, 'w');
    await handle.truncate(MAX_CSV_BYTES + 1);
    await handle.close();
    const cases = [
      [pipe, /pipe\.csv: not a regular file \(a FIFO\)/],
      [zero, /zero\.csv: not a regular file \(a character device\)/],
      [huge, new RegExp(`huge\\.csv: ${MAX_CSV_BYTES + 1} bytes, over the limit of ${MAX_CSV_BYTES}`)],
    ] as const;
    for (const [csv, expected] of cases) {
      for (const args of [
        ['eval', '--no-detector', csv],
        ['batch', '--local', '--out', path.join(dir, 'never.jsonl'), csv],
      ]) {
        const run = await dogBreeds(args, 20_000);
        const what = `${args[0]} ${path.basename(csv)}`;
        assert.equal(run.code, 2, `${what}: an operator error, not a hang (${run.stderr})`);
        assert.match(run.stderr, expected, what);
        assert.equal(run.stderr.trim().split('\n').length, 1, `${what}: one line, got ${run.stderr}`);
      }
    }
  });

  it('results files: cells with commas, quotes and line breaks are written as CSV and read back; a cut last row is redone', async () => {
    const file = path.join(dir, 'results.csv');
    const results = new ResultFile(file);
    const inputs = [
      path.join(dir, 'my, beagle.jpg'),
      path.join(dir, 'a "quoted" name.jpg'),
      path.join(dir, 'two\nlines.jpg'),
    ];
    const failure = { ok: false, problem: 'unreadable', message: 'not an image, "really"' } as const;
    for (const input of inputs) await results.append({ input, label: 'beagle', result: failure });
    await results.close();
    assert.deepEqual([...(await new ResultFile(file).doneInputs())].sort(), [...inputs].sort());
    // An interrupted write: half a row, inside a quoted cell.
    await writeFile(file, `${await readFile(file, 'utf8')}"${path.join(dir, 'cut, short')}`);
    assert.deepEqual([...(await new ResultFile(file).doneInputs())].sort(), [...inputs].sort());
  });
});

describe('dog-breeds --version and model list', () => {
  it('--version prints the version in package.json', async () => {
    const { version } = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const run = await dogBreeds(['--version']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, `${version}\n`);
  });

  it('model list: every manifest of models/, and not the breed list or cards beside them', async () => {
    const cli = captureCli(configSchema.parse({ MODELS_DIR }));
    assert.equal(await modelListCommand(cli), 0);
    const ids = cli
      .printed()
      .trim()
      .split('\n')
      .map((line) => line.split('\t')[0]);
    assert.deepEqual(ids, [
      'mobilenetv2-imagenet-int8',
      'mobilenetv2-imagenet',
      'xception-dogs',
      'xception-random',
      'yolox-nano-coco',
    ]);
  });

  it('model list: a broken manifest (or a file that is not JSON) is listed as invalid; other JSON is not listed', async () => {
    const models = path.join(dir, 'models');
    await mkdir(models);
    await copyFile(path.join(MODELS_DIR, 'yolox-nano-coco.json'), path.join(models, 'yolox-nano-coco.json'));
    const broken = JSON.parse(await readFile(path.join(MODELS_DIR, 'xception-random.json'), 'utf8'));
    await writeFile(path.join(models, 'broken.json'), JSON.stringify({ ...broken, sha256: 'abc' }));
    await writeFile(path.join(models, 'typo.json'), '{ "file": "x.onnx",');
    await copyFile(path.join(MODELS_DIR, 'breed-cards.json'), path.join(models, 'breed-cards.json'));
    await writeFile(path.join(models, 'other.json'), '[1, 2, 3]');
    const cli = captureCli(configSchema.parse({ MODELS_DIR: models }));
    await modelListCommand(cli);
    const lines = cli.printed().trim().split('\n');
    assert.equal(lines.length, 3, cli.printed());
    assert.match(lines[0] ?? '', /^broken\.json\tinvalid: .*sha256/);
    assert.match(lines[1] ?? '', /^typo\.json\tinvalid: .*not valid JSON/);
    assert.match(lines[2] ?? '', /^yolox-nano-coco\t/);
  });
});
