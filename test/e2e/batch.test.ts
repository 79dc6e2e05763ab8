/**
 * Bulk work through the queue: `dog-breeds batch` (labelled csv, results file, resumable) and `dog-breeds reprocess`
 * (chat photos from the history re-run through another model), on the same BullMQ infrastructure as the chat.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { batchCommand } from '../../src/cli/commands/batch.ts';
import { reprocessCommand } from '../../src/cli/commands/reprocess.ts';
import { parseDuration } from '../../src/cli/run-control.ts';
import { privateChat, user } from '../../src/playground/bot-api/stand-in.ts';
import { type Harness, startHarness } from '../support/app-harness.ts';
import { captureCli } from '../support/cli-context.ts';
import { IMAGES_DIR, image, readImage } from '../support/paths.ts';
import { poll, waitForReplyTo } from '../support/poll.ts';
import { tempDirs } from '../support/temp-dirs.ts';

let h: Harness;
const temp = tempDirs();
let dir: string;

/** A CLI context on the harness's configuration, capturing what the command prints. */
const cli = () => captureCli(h.config);

const batchJobsDone = async () => {
  const text = await h.app.metrics.registry.metrics();
  const match = /^dog_breeds_jobs_total\{queue="batch-mobilenetv2-imagenet",outcome="[a-z-]+"\} (\d+)/gm;
  return [...text.matchAll(match)].reduce((sum, m) => sum + Number(m[1]), 0);
};

before(async () => {
  h = await startHarness({ BATCH_WORKER_CONCURRENCY: '4' });
  dir = await temp.make('batch');
});
after(async () => {
  await h.close();
  await temp.removeAll();
});

test('batch over a labelled csv: every photo gets a row, a broken one a clear error, and accuracy is printed', async () => {
  const labels = (await readFile(path.join(IMAGES_DIR, 'labels.csv'), 'utf8')).split('\n');
  const rows = labels.slice(1, 13).map((line) => {
    const [file, breed] = line.split(',');
    return `${path.join(IMAGES_DIR, file ?? '')},${breed}`;
  });
  await writeFile(path.join(dir, 'broken.jpg'), Buffer.from('not really a jpeg'));
  rows.push(`${path.join(dir, 'broken.jpg')},beagle`);
  const csv = path.join(dir, 'labels.csv');
  await writeFile(csv, `file,breed\n${rows.join('\n')}\n`);
  const out = path.join(dir, 'results.jsonl');

  const context = cli();
  assert.equal(await batchCommand([csv], { out }, context), 0);
  const lines = (await readFile(out, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(lines.length, 13);
  const broken = lines.find((l) => l.input.endsWith('broken.jpg'));
  assert.deepEqual([broken.ok, broken.problem], [false, 'not-an-image']);
  const good = lines.filter((l) => l.ok);
  assert.equal(good.length, 12);
  assert.ok(good.every((l) => l.top.length === 3 && l.model === 'mobilenetv2-imagenet'));
  assert.ok(good.filter((l) => l.top[0].breed === l.label).length >= 9, 'most top-1 answers are right');
  assert.match(context.printed(), /done: 13\/13 photos.*1 could not be classified/);
  assert.match(context.printed(), /top-1 \d+\.\d%, top-3 \d+\.\d% over 12 dogs/);

  // Resume after a crash that lost the last 5 rows: nothing is classified again (the jobs' results are still in
  // Redis), and the file is whole again.
  await writeFile(
    out,
    `${lines
      .slice(0, 8)
      .map((l) => JSON.stringify(l))
      .join('\n')}\n`,
  );
  const processedBefore = await batchJobsDone();
  const again = cli();
  assert.equal(await batchCommand([csv], { out }, again), 0);
  assert.match(again.printed(), /done: 5\/5 photos/);
  assert.equal(await batchJobsDone(), processedBefore, 'finished jobs are collected, not re-run');
  const resumed = (await readFile(out, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(new Set(resumed.map((l) => l.input)), new Set(lines.map((l) => l.input)));

  // Once complete, a re-run has nothing to do.
  const third = cli();
  assert.equal(await batchCommand([csv], { out }, third), 0);
  assert.match(third.printed(), /done: 0\/0 photos/);
});

test('batch writes CSV when asked, and runs its own worker with --local', async () => {
  const out = path.join(dir, 'results.csv');
  const context = cli();
  const files = [image('dogs/boxer-5e7846c317a2.jpg'), image('dogs/beagle-4aea27da2a0b.jpg')];
  assert.equal(await batchCommand(files, { out, local: true, model: 'xception-random' }, context), 0);
  const [header, ...rows] = (await readFile(out, 'utf8')).trim().split('\n');
  assert.equal(header, 'input,label,ok,is_dog,dog_score,breed1,p1,breed2,p2,breed3,p3,model,error');
  assert.equal(rows.length, 2);
  assert.ok(rows.every((r) => r.includes(',true,true,') && r.includes(',xception-random,')));
});

test('reprocess: chat photos from the history through another model, with what changed', async () => {
  const photos = ['dogs/boxer-5e7846c317a2.jpg', 'dogs/beagle-4aea27da2a0b.jpg', 'dogs/pug-8f623f713574.jpg'];
  const chatIds: number[] = [];
  for (const [i, file] of photos.entries()) {
    const from = user(7000 + i);
    const chat = privateChat(from);
    const sent = await h.standIn.sendPhoto({ chat, from, file: await readImage(file) });
    await waitForReplyTo(h.standIn, chat.id, sent.message_id, (t) => t.startsWith('🐶'), { timeoutMs: 20_000 });
    chatIds.push(chat.id);
  }
  // The worker records an answer in the history after showing it: reprocess reads the history.
  await poll(
    async () => (await h.app.history.since(0)).filter((r) => chatIds.includes(r.chatId)).length === photos.length,
    { label: 'the three answers in the history' },
  );

  // The same model answers the same: nothing changes.
  const same = cli();
  assert.equal(await reprocessCommand({ since: '1h', model: 'mobilenetv2-imagenet', json: true }, same), 0);
  const sameReport = JSON.parse(same.printed());
  assert.equal(sameReport.compared, photos.length, 'every chat photo compared');
  assert.equal(sameReport.top1Changed, 0);

  // Random weights answer differently, and the report says which breeds moved.
  const other = cli();
  assert.equal(await reprocessCommand({ since: '1h', model: 'xception-random', local: true, json: true }, other), 0);
  const report = JSON.parse(other.printed());
  assert.equal(report.compared, sameReport.compared);
  assert.ok(report.top1Changed >= 2, `random weights should change answers: ${other.printed()}`);
  assert.ok(report.moves.some((m: { from: string }) => m.from === 'boxer'));
});

test('durations', () => {
  assert.equal(parseDuration('7d'), 7 * 86400_000);
  assert.equal(parseDuration('30m'), 1800_000);
  assert.throws(() => parseDuration('7 days'), /not a duration/);
});
