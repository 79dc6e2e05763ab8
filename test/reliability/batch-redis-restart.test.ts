/**
 * `dog-breeds batch --local` while its Redis restarts mid-run, as a person runs it (a real process, a real
 * redis-server of the test's own, the real model): the run says once that Redis is gone and once that it is back —
 * no stack trace per reconnect try — and every photo gets its one row. With its data kept (AOF) the jobs simply go
 * on; restarted without its data, the jobs Redis lost are queued again instead of being waited for for ever.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { IMAGES_DIR, ROOT, VALIDATION_DIR } from '../support/paths.ts';
import { poll } from '../support/poll.ts';
import { TestRedisServer } from '../support/redis-server.ts';
import { tempDirs } from '../support/temp-dirs.ts';

const CLI = path.join(ROOT, 'src/cli/main.ts');
/** Enough photos (about 650) that the run is still going when Redis goes, on a fast machine too. */
const FOLDERS = [
  path.join(IMAGES_DIR, 'dogs'),
  path.join(IMAGES_DIR, 'not-dogs'),
  path.join(VALIDATION_DIR, 'dogs'),
  path.join(VALIDATION_DIR, 'not-dogs'),
];
const temp = tempDirs();
const children = new Set<ChildProcess>();
after(async () => {
  for (const child of children) child.kill('SIGKILL');
  await temp.removeAll();
});

const rowsIn = async (file: string): Promise<{ input: string }[]> => {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { input: string });
};

interface RestartRun {
  code: number | null;
  stderr: string;
  /** Photos the run said it had to do. */
  photos: number;
  rows: number;
  /** Different photos among the rows. */
  inputs: number;
}

async function batchThroughRestart(extraArgs: string[]): Promise<RestartRun> {
  const redis = await TestRedisServer.start(extraArgs);
  try {
    const out = path.join(await temp.make('batch-restart'), 'results.jsonl');
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'batch', ...FOLDERS, '--out', out, '--local'], {
      cwd: ROOT,
      env: { ...process.env, REDIS_URL: redis.url, QUEUE_PREFIX: 'batch-restart', DEVICE: 'cpu' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = once(child, 'exit');
    // Mid-run: some photos answered, most still queued.
    await poll(async () => (await rowsIn(out)).length >= 40, {
      timeoutMs: 120_000,
      label: '40 results before the restart',
    });
    await redis.restart(1500);
    const [code] = (await Promise.race([
      exited,
      new Promise((_, reject) => setTimeout(() => reject(new Error(`batch still running:\n${stderr}`)), 180_000)),
    ])) as [number | null];
    children.delete(child);
    const rows = await rowsIn(out);
    const photos = Number(/^(\d+) photos, \1 to do/m.exec(stderr)?.[1] ?? Number.NaN);
    return { code, stderr, photos, rows: rows.length, inputs: new Set(rows.map((r) => r.input)).size };
  } finally {
    await redis.close();
  }
}

describe('dog-breeds batch while its Redis restarts', () => {
  it('with its data kept: one note each way, no stack traces, every photo one row', async () => {
    const run = await batchThroughRestart([]);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(run.photos > 600, run.stderr);
    assert.equal(run.rows, run.photos, run.stderr);
    assert.equal(run.inputs, run.photos);
    assert.equal(run.stderr.match(/is unreachable: waiting for it/g)?.length, 1, run.stderr);
    assert.equal(run.stderr.match(/\) is back\./g)?.length, 1, run.stderr);
    assert.doesNotMatch(run.stderr, /ECONNREFUSED|at TCPConnectWrap|"level":"error"/);
    assert.doesNotMatch(run.stderr, /lost \d+ of the queued photos/);
  });

  it('restarted without its data: the photos Redis lost are queued again, and every photo gets one row', async () => {
    const run = await batchThroughRestart(['--appendonly', 'no']);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(run.photos > 600, run.stderr);
    assert.equal(run.rows, run.photos, run.stderr);
    assert.equal(run.inputs, run.photos, 'no photo answered twice');
    assert.match(
      run.stderr,
      /Redis had lost [1-9]\d* of the queued photos \(restarted without its data\?\): they are queued again\./,
    );
    assert.doesNotMatch(run.stderr, /ECONNREFUSED|at TCPConnectWrap/);
  });
});
