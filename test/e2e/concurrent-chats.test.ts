/**
 * Updates are handled concurrently across chats and in order within one: a chat waiting out a 429 `retry_after`
 * holds up nobody else, and two photos from one chat are handled one after the other even when the first is slow.
 * The real app against the Bot API stand-in over HTTP; assertions are on what has happened, never on timings.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { privateChat, user } from '../../src/playground/bot-api/stand-in.ts';
import { photoJobId } from '../../src/queue/index.ts';
import { type Harness, startHarness } from '../support/app-harness.ts';
import { image } from '../support/paths.ts';
import { waitFor, waitForReplyTo } from '../support/poll.ts';

const BEAGLE = 'dogs/beagle-4aea27da2a0b.jpg';
const BOXER = 'dogs/boxer-5e7846c317a2.jpg';
const ANSWER = /^🐶 .+ — \d+%/;

let h: Harness;
let nextUserId = 7100;
function person() {
  const from = user(nextUserId++);
  return { from, chat: privateChat(from) };
}

before(async () => {
  h = await startHarness({ RATE_LIMIT_PHOTOS: '10', WORKER_CONCURRENCY: '4' });
});
after(async () => {
  await h.close();
});

test('one chat\'s 429 retry_after: both chats answered, the first\'s photo queued before its "typing…" waits', async () => {
  const a = person();
  const b = person();
  // The next sendChatAction (chat A's "typing…": nothing else is sending) is told to wait 10 s; the bot gives it up
  // after 5 s. The photo was queued before it, and chat B is served meanwhile.
  h.standIn.injectFault({ method: 'sendChatAction', fault: { kind: 'status', status: 429, retryAfter: 10 } });
  const fromA = await h.standIn.sendPhoto({ ...a, file: await readFile(image(BEAGLE)) });
  await waitFor(h.standIn, () =>
    h.standIn.calls.find(
      (c) => c.method === 'sendChatAction' && c.injected === 'status' && c.params.chat_id === a.chat.id,
    ),
  );

  const fromB = await h.standIn.sendPhoto({ ...b, file: await readFile(image(BOXER)) });
  const answerToB = await waitForReplyTo(h.standIn, b.chat.id, fromB.message_id, (t) => ANSWER.test(t), {
    timeoutMs: 30_000,
  });
  assert.match(answerToB.text ?? '', /^🐶 Boxer/);

  const answerToA = await waitForReplyTo(h.standIn, a.chat.id, fromA.message_id, (t) => ANSWER.test(t), {
    timeoutMs: 30_000,
  });
  assert.match(answerToA.text ?? '', /^🐶 Beagle/);
});

test('two photos from one chat: the second waits for the first, even when the first is slow', async () => {
  const { from, chat } = person();
  // The first "typing…" is answered late; were the second photo handled meanwhile, its job would be queued first.
  h.standIn.injectFault({ method: 'sendChatAction', fault: { kind: 'delay', ms: 1500 } });
  const first = await h.standIn.sendPhoto({ from, chat, file: await readFile(image(BEAGLE)) });
  const second = await h.standIn.sendPhoto({ from, chat, file: await readFile(image(BOXER)) });
  await Promise.all(
    [first, second].map((m) => waitForReplyTo(h.standIn, chat.id, m.message_id, (t) => ANSWER.test(t))),
  );
  const [jobOfFirst, jobOfSecond] = await Promise.all(
    [first, second].map((m) => h.app.queue.getJob(photoJobId(chat.id, m.message_id))),
  );
  assert.ok(jobOfFirst && jobOfSecond);
  assert.ok(
    jobOfFirst.timestamp < jobOfSecond.timestamp,
    `the first photo queued (${jobOfFirst.timestamp}) before the second (${jobOfSecond.timestamp})`,
  );
});
