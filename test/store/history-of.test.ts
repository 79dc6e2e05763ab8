/**
 * The history's per-person index (/history reads it): one person's records alone, newest first, per chat; only those
 * the history itself still keeps (its count limit trims everyone's oldest); trimmed and deleted with it.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Redis } from 'ioredis';
import { connectRedis } from '../../src/queue/index.ts';
import { PredictionHistory, type PredictionRecord, StoreKeys } from '../../src/store/index.ts';
import { deleteKeysWithPrefix, REDIS_URL } from '../support/app-harness.ts';

const prefix = `test-history-of-${randomUUID().slice(0, 8)}`;
let redis: Redis;

before(async () => {
  redis = await connectRedis(REDIS_URL);
});
after(async () => {
  redis.disconnect();
  await deleteKeysWithPrefix(REDIS_URL, prefix);
});

const now = Date.now();

function record(userId: number, chatId: number, n: number): PredictionRecord {
  return {
    jobId: `photo_${chatId}_${n}`,
    chatId,
    userId,
    fileId: `file-${n}`,
    fileUniqueId: `unique-${n}`,
    model: 'test',
    outcome: 'answered',
    isDog: true,
    dogScore: 0.9,
    top: [{ breed: 'beagle', p: 0.9 }],
    ms: 1,
    at: now - 1000 + n,
  };
}

test('a person’s records alone, newest first, per chat; gone from it once the history trims them', async () => {
  const history = new PredictionHistory({ redis, prefix, retentionSeconds: 3600, maxRecords: 5 });
  const [alice, bob, group] = [1, 2, -100];
  for (let n = 1; n <= 4; n++) await history.add(record(alice, alice, n));
  await history.add(record(alice, group, 5));
  await history.add(record(bob, bob, 6));
  // Six records in a history of five: Alice's first is trimmed from it, so from her list too.
  const mine = await history.recentOf(alice, alice, 10);
  assert.deepEqual(
    mine.map((r) => r.jobId),
    ['photo_1_4', 'photo_1_3', 'photo_1_2'],
  );
  assert.deepEqual(
    (await history.recentOf(alice, alice, 2)).map((r) => r.jobId),
    ['photo_1_4', 'photo_1_3'],
  );
  assert.deepEqual(
    (await history.recentOf(alice, group, 10)).map((r) => r.jobId),
    ['photo_-100_5'],
  );
  assert.equal((await history.answerOf(alice, alice, now - 1000 + 3))?.jobId, 'photo_1_3');
  assert.equal(await history.answerOf(alice, alice, now - 1000 + 1), undefined, 'trimmed from the history');
  assert.equal(await history.answerOf(bob, alice, now - 1000 + 3), undefined, 'not Bob’s');
  assert.ok((await redis.pttl(new StoreKeys(prefix).historyOf(alice))) > 0, 'the index expires with the history');

  assert.equal(await history.forget(alice), 4);
  assert.deepEqual(await history.recentOf(alice, alice, 10), []);
  assert.equal(await redis.exists(new StoreKeys(prefix).historyOf(alice)), 0);
  assert.deepEqual(
    (await history.recentOf(bob, bob, 10)).map((r) => r.jobId),
    ['photo_2_6'],
  );
});
