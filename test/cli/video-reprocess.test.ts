/**
 * `dog-breeds reprocess` over a chat video (issue 25): the video sent through the Bot API stand-in and answered by the
 * real bot and worker is in the history as a video, and reprocess reads it again from its frames — fetched by file id,
 * as the chat worker fetched it — rather than as a photo (which would leave it unreadable), with the same model's
 * answer unchanged and the video facts in its results file.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { reprocessCommand } from '../../src/cli/commands/reprocess.ts';
import { privateChat, user } from '../../src/playground/bot-api/stand-in.ts';
import { type Harness, startHarness } from '../support/app-harness.ts';
import { captureCli } from '../support/cli-context.ts';
import { poll, waitForReplyTo } from '../support/poll.ts';
import { tempDirs } from '../support/temp-dirs.ts';
import { slideshow } from '../support/videos.ts';

let h: Harness;
const temp = tempDirs();
let dir: string;

before(async () => {
  h = await startHarness({ BATCH_WORKER_CONCURRENCY: '2' });
  dir = await temp.make('cli-video-reprocess');
});
after(async () => {
  await h.close();
  await temp.removeAll();
});

test('reprocess reads a chat video again from its frames: compared, unchanged with the same model', async () => {
  const clip = await slideshow(dir, [
    'dogs/golden_retriever-f7a9e407e825.jpg',
    'dogs/golden_retriever-b5cbdac73688.jpg',
  ]);
  const from = user(7100);
  const chat = privateChat(from);
  const sent = h.standIn.sendVideo({ chat, from, file: await readFile(clip), width: 640, height: 480, duration: 4 });
  await waitForReplyTo(h.standIn, chat.id, sent.message_id, (t) => /From \d+ frames? of your video/.test(t), {
    timeoutMs: 30_000,
  });
  const [record] = await poll(async () => {
    const records = (await h.app.history.since(0)).filter((r) => r.chatId === chat.id);
    return records.length > 0 ? records : undefined;
  });
  assert.equal(record?.media, 'video', 'the history knows it was a video');

  const out = path.join(dir, 'changes.jsonl');
  const context = captureCli(h.config);
  assert.equal(await reprocessCommand({ since: '1h', model: 'mobilenetv2-imagenet', json: true, out }, context), 0);
  const report = JSON.parse(context.printed());
  assert.equal(report.photos, 1);
  assert.equal(report.compared, 1, `read again as a video, not refused as a photo: ${context.printed()}`);
  assert.equal(report.unreadable, 0);
  assert.equal(report.top1Changed, 0, 'the same model reads the same frames the same');
  const [row] = (await readFile(out, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  assert.equal(row?.ok, true);
  assert.ok(row.video?.framesRead >= 1, JSON.stringify(row));
  assert.equal(row.top[0]?.breed, record?.top[0]?.breed);
});
