/**
 * `batch`'s summary gives the rate of the work, not of the wall clock: a run that waited for a worker says the wait
 * apart ("151/151 photos in 51.6 s (2.9/s)" was mostly a wait; the worker did 14/s).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, test } from 'node:test';
import { batchCommand } from '../../src/cli/commands/batch.ts';
import { configSchema } from '../../src/config/index.ts';
import { deleteKeysWithPrefix, type Harness, REDIS_URL, startHarness } from '../support/app-harness.ts';
import { captureCli } from '../support/cli-context.ts';
import { image, MODELS_DIR } from '../support/paths.ts';
import { tempDirs } from '../support/temp-dirs.ts';

const PREFIX = `test-batch-rate-${randomUUID().slice(0, 8)}`;
const WAIT_MS = 3000;
const PHOTOS = 8;
const temp = tempDirs();
let worker: Harness | undefined;

after(async () => {
  await worker?.close();
  await deleteKeysWithPrefix(REDIS_URL, PREFIX);
  await temp.removeAll();
});

test('a batch that waited for a worker: the rate is over the work, and the wait is said apart', async () => {
  const config = configSchema.parse({ REDIS_URL, QUEUE_PREFIX: PREFIX, MODELS_DIR, DEVICE: 'cpu', OPS_PORT: '0' });
  const files = (await readdir(image('dogs')))
    .sort()
    .slice(0, PHOTOS)
    .map((f) => image(`dogs/${f}`));
  const out = path.join(await temp.make('batch-rate'), 'results.jsonl');
  const context = captureCli(config);
  // No worker yet: the photos wait in the queue.
  const run = batchCommand(files, { out }, context);
  await new Promise((resolve) => setTimeout(resolve, WAIT_MS));
  worker = await startHarness({ QUEUE_PREFIX: PREFIX, BATCH_WORKER_CONCURRENCY: '2' }, { roles: ['worker'] });
  assert.equal(await run, 0);

  const line = context.printed();
  const match =
    /^done: 8\/8 photos in (\d+\.\d) s: (\d+\.\d) s of work \((\d+\.\d)\/s\) after (\d+\.\d) s waiting for a worker, 0 could not/m.exec(
      line,
    );
  assert.ok(match, `the summary line: ${line}`);
  const [total, work, rate, wait] = match.slice(1).map(Number) as [number, number, number, number];
  assert.ok(wait >= WAIT_MS / 1000, `waited at least ${WAIT_MS} ms: ${line}`);
  assert.ok(work + wait <= total + 0.2, line);
  // Rounded to 0.1 s as printed.
  assert.ok(rate >= PHOTOS / (work + 0.05) && rate <= PHOTOS / Math.max(0.01, work - 0.05), `the work's rate: ${line}`);
  assert.ok(rate > PHOTOS / total, line);
});
