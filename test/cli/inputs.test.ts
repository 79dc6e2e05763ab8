/**
 * What the command line reads, on real files: folder walks that meet symlink loops list each photo once and end;
 * FIFOs and devices are refused with a reason (no hang, no unbounded read); files over the bot's 20 MB limit are
 * refused, by `classify`/`eval` and by batch jobs' local paths alike; `eval` refuses a label that is not a breed.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, open, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readInputPhoto } from '../../src/cli/input-photo.ts';
import { expandImagePaths } from '../../src/cli/labelled-files.ts';
import { MAX_DOWNLOAD_BYTES } from '../../src/telegram/api.ts';
import { readBatchSource } from '../../src/worker/batch-source.ts';
import { image, ROOT } from '../support/paths.ts';

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
    assert.match(run.stderr, /labels\.csv:4: "papilon" is not one of the 120 breed ids or not_dog/);
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
