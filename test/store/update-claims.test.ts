/**
 * Claims on webhook deliveries against the real Redis, each replica on its own connection: of concurrent deliveries
 * of one update exactly one claims it, the others see it in progress, then done once finished; a claim left by a
 * replica that died lapses, and the next delivery claims the update again.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { connectRedis } from '../../src/queue/index.ts';
import { UpdateClaims } from '../../src/store/index.ts';
import { deleteKeysWithPrefix, REDIS_URL } from '../support/app-harness.ts';
import { poll } from '../support/poll.ts';

const prefix = `test-claims-${randomUUID().slice(0, 8)}`;
const connections: Redis[] = [];

async function replica(workingSeconds = 60): Promise<UpdateClaims> {
  const redis = await connectRedis(REDIS_URL);
  connections.push(redis);
  return new UpdateClaims({ redis, prefix, workingSeconds, doneSeconds: 60 });
}

after(async () => {
  for (const redis of connections) redis.disconnect();
  await deleteKeysWithPrefix(REDIS_URL, prefix);
});

describe('update claims', () => {
  it('one of many concurrent deliveries claims the update; the rest see it in progress, then done', async () => {
    const replicas = await Promise.all([replica(), replica(), replica()]);
    const outcomes = await Promise.all(replicas.flatMap((claims) => [claims.claim(11), claims.claim(11)]));
    assert.deepEqual(outcomes.filter((o) => o === 'claimed').length, 1);
    assert.deepEqual(outcomes.filter((o) => o === 'in-progress').length, 5);
    await replicas[0]?.finish(11);
    assert.deepEqual(await Promise.all(replicas.map((claims) => claims.claim(11))), ['done', 'done', 'done']);
    assert.equal(await replicas[1]?.claim(12), 'claimed', 'another update is claimed on its own');
  });

  it("a dead replica's claim lapses: the next delivery handles the update", async () => {
    const dying = await replica(1);
    const other = await replica(1);
    assert.equal(await dying.claim(21), 'claimed');
    assert.equal(await other.claim(21), 'in-progress');
    // The dying replica never finishes; its claim expires after workingSeconds.
    await poll(async () => (await other.claim(21)) === 'claimed' || undefined, { timeoutMs: 5000, intervalMs: 200 });
  });
});
