/**
 * Webhook mode while Redis refuses writes: the delivery of a photo that could not be queued is answered 503, its claim
 * released, so Telegram's re-delivery handles it once Redis takes writes again — no "something went wrong" to the
 * person, no photo lost. The real app in webhook mode (bot and worker), a private redis-server set to `maxmemory 1`
 * (noeviction) for a few seconds, the stand-in delivering to the webhook over HTTP and re-sending what was not 2xx.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { privateChat, user } from '../../src/playground/bot-api/stand-in.ts';
import { type Harness, startHarness } from '../support/app-harness.ts';
import { readImage } from '../support/paths.ts';
import { waitForReplyTo } from '../support/poll.ts';
import { TestRedisServer } from '../support/redis-server.ts';

const REFUSAL_MS = 4000;

let redis: TestRedisServer | undefined;
let h: Harness | undefined;
after(async () => {
  await h?.close();
  await redis?.close();
});

test('a webhook delivery refused by Redis is answered 503 and handled on its re-delivery: the photo answered once', async () => {
  redis = await TestRedisServer.start();
  h = await startHarness({ REDIS_URL: redis.url }, { botMode: 'webhook' });
  const from = user(9300);
  const chat = privateChat(from);
  await redis.command('CONFIG', 'SET', 'maxmemory', '1');
  const sent = await h.standIn.sendPhoto({ from, chat, file: await readImage('dogs/beagle-4aea27da2a0b.jpg') });
  await sleep(REFUSAL_MS);
  await redis.command('CONFIG', 'SET', 'maxmemory', '0');
  const answer = await waitForReplyTo(h.standIn, chat.id, sent.message_id, (t) => t.startsWith('🐶'), {
    timeoutMs: 60_000,
  });
  assert.match(answer.text ?? '', /^🐶 Beagle/);
  await sleep(2000); // a second answer would come within this
  const replies = h.standIn.botMessagesIn(chat.id);
  assert.deepEqual(
    replies.map((m) => m.text?.split('\n')[0]),
    [answer.text?.split('\n')[0]],
    'one reply: the answer, no apology',
  );
  const updateId = h.standIn.updates.find((u) => u.message?.message_id === sent.message_id)?.update_id;
  const statuses = h.standIn.webhookDeliveries.filter((d) => d.updateId === updateId).map((d) => d.status);
  assert.ok(statuses.includes(503), `refused while Redis refused writes (${statuses.join(', ')})`);
  assert.equal(statuses.at(-1), 200, 'handled on a re-delivery');
});
