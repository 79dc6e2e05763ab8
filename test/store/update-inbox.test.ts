/**
 * The polling bot's inbox against the real Redis: a kept batch is what a bot that starts takes over (oldest first),
 * minus what was finished; each take-over counts, and an update taken over `maxReplays` times is dropped; each bot
 * (and each prefix) has its own.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { connectRedis } from '../../src/queue/index.ts';
import { UpdateInbox } from '../../src/store/index.ts';
import { deleteKeysWithPrefix, REDIS_URL } from '../support/app-harness.ts';

interface TestUpdate {
  update_id: number;
  message: { text: string };
}
const update = (id: number): TestUpdate => ({ update_id: id, message: { text: `message ${id}` } });
const connections: Redis[] = [];
const prefixes: string[] = [];

/** A bot process's view of one inbox (its own Redis connection). */
async function inboxOf(prefix: string, botId = 1001): Promise<UpdateInbox<TestUpdate>> {
  const redis = await connectRedis(REDIS_URL);
  connections.push(redis);
  return new UpdateInbox<TestUpdate>(redis, prefix, botId);
}
function freshPrefix(): string {
  const prefix = `test-inbox-${randomUUID().slice(0, 8)}`;
  prefixes.push(prefix);
  return prefix;
}

after(async () => {
  for (const redis of connections) redis.disconnect();
  for (const prefix of prefixes) await deleteKeysWithPrefix(REDIS_URL, prefix);
});

describe('update inbox', () => {
  it('the next bot takes over what was kept and not finished, oldest first, whole', async () => {
    const prefix = freshPrefix();
    const killed = await inboxOf(prefix);
    await killed.keep([update(12), update(10), update(11)]);
    await killed.keep([update(13)]);
    await killed.finish(11);
    await killed.keep([]);
    const next = await inboxOf(prefix);
    const { replay, dropped } = await next.takeOver(3);
    assert.deepEqual(replay, [update(10), update(12), update(13)]);
    assert.deepEqual(dropped, []);
    for (const u of replay) await next.finish(u.update_id);
    assert.deepEqual(await (await inboxOf(prefix)).takeOver(3), { replay: [], dropped: [] }, 'nothing left');
  });

  it('an update the bot dies on every time is dropped after maxReplays take-overs', async () => {
    const prefix = freshPrefix();
    const first = await inboxOf(prefix);
    await first.keep([update(20), update(21)]);
    await first.begin(20);
    await first.begin(21);
    for (let restart = 1; restart <= 2; restart++) {
      const next = await inboxOf(prefix);
      const { replay, dropped } = await next.takeOver(2);
      assert.deepEqual(replay, [update(20), update(21)], `taken over at restart ${restart}`);
      assert.deepEqual(dropped, []);
      await next.begin(20);
      await next.begin(21);
    }
    const third = await inboxOf(prefix);
    assert.deepEqual(await third.takeOver(2), { replay: [], dropped: [update(20), update(21)] });
    assert.deepEqual(await third.takeOver(2), { replay: [], dropped: [] }, 'dropped for good');
  });

  it('only the update in hand at every death is dropped: batch-mates that were waiting are handled again', async () => {
    const prefix = freshPrefix();
    const first = await inboxOf(prefix);
    await first.keep([update(40), update(41), update(42)]);
    for (let death = 1; death <= 3; death++) {
      const bot = death === 1 ? first : await inboxOf(prefix);
      if (death > 1) await bot.takeOver(2);
      await bot.begin(40); // the poison, in hand each time
      if (death === 2) await bot.begin(41); // in hand at one death only
    }
    const { replay, dropped } = await (await inboxOf(prefix)).takeOver(2);
    assert.deepEqual(dropped, [update(40)]);
    assert.deepEqual(replay, [update(41), update(42)]);
  });

  it('inboxes of two prefixes, or of two bots under one prefix, are apart', async () => {
    const [a, b] = [freshPrefix(), freshPrefix()];
    await (await inboxOf(a)).keep([update(30)]);
    assert.deepEqual((await (await inboxOf(b)).takeOver(3)).replay, []);
    assert.deepEqual((await (await inboxOf(a, 2002)).takeOver(3)).replay, [], 'another bot');
    assert.deepEqual((await (await inboxOf(a)).takeOver(3)).replay, [update(30)]);
  });
});
