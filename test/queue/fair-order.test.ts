/**
 * The photo queue's order under a burst whose people send their photos in a row (as albums arrive), against the real
 * Redis and a BullMQ worker: each photo queued with the priority the per-person limit gives it (its place among the
 * person's photos in the window), so every person's first photo is served before anyone's second, and every second
 * before anyone's third — in arrival order within each. The queue's guarantees hold with priorities: one job per
 * photo message, a retried job keeps its place, a photo past the limit comes due at its slot with its priority.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { PhotoRateLimiter } from '../../src/bot/rate-limit.ts';
import {
  connectRedis,
  createPhotoQueue,
  enqueuePhoto,
  PHOTO_QUEUE,
  type PhotoJobData,
  type PhotoJobResult,
  type PhotoQueue,
  photoJobId,
} from '../../src/queue/index.ts';
import { deleteKeysWithPrefix, REDIS_URL } from '../support/app-harness.ts';
import { poll } from '../support/poll.ts';

const prefix = `test-fair-${randomUUID().slice(0, 8)}`;
const PEOPLE = 12;
const PHOTOS_EACH = 3;
const connections: Redis[] = [];
let redis: Redis;
let queue: PhotoQueue;
let nextUser = 8_000_000;

async function connection(): Promise<Redis> {
  const opened = await connectRedis(REDIS_URL);
  connections.push(opened);
  return opened;
}

before(async () => {
  redis = await connection();
  queue = createPhotoQueue({ connection: redis, prefix, attempts: 3, retention: { count: 1000, seconds: 3600 } });
});
after(async () => {
  await queue.close();
  for (const opened of connections) opened.disconnect();
  await deleteKeysWithPrefix(REDIS_URL, prefix);
});

function photo(userId: number, messageId: number): PhotoJobData {
  return { chatId: userId, messageId, fileId: `f${userId}_${messageId}`, fileUniqueId: `u${messageId}`, userId };
}

/** Takes the person's photo through the limit and queues it as the bot does; fails if the limit skipped it. */
async function send(limiter: PhotoRateLimiter, data: PhotoJobData): Promise<void> {
  const decision = await limiter.take(data.userId);
  if (decision.kind === 'skipped') throw new Error(`photo ${data.messageId} of ${data.userId} skipped`);
  await enqueuePhoto(queue, data, decision);
}

/** Runs a worker (one job at a time) until `count` jobs have been processed; the jobs in the order it took them. */
async function serveInOrder(
  count: number,
  handle: (job: Job<PhotoJobData, PhotoJobResult>) => void = () => undefined,
): Promise<PhotoJobData[]> {
  const order: PhotoJobData[] = [];
  const worker = new Worker<PhotoJobData, PhotoJobResult>(
    PHOTO_QUEUE,
    async (job) => {
      handle(job);
      order.push(job.data);
      return { outcome: 'answered', top: [], dogScore: null, model: null, ms: 0 };
    },
    { connection: await connection(), prefix, concurrency: 1 },
  );
  try {
    await poll(async () => order.length >= count || undefined, { timeoutMs: 20_000, label: `${count} jobs served` });
  } finally {
    await worker.close();
  }
  return order;
}

describe('the photo queue under a burst of people sending photos in a row', () => {
  it('serves every person’s first photo before anyone’s second, and every second before anyone’s third', async () => {
    const limiter = new PhotoRateLimiter({ redis, prefix, limit: 10, windowSeconds: 60 });
    const people = Array.from({ length: PEOPLE }, () => nextUser++);
    // Each person's photos back to back, people one after another: plain arrival order would serve the last
    // person's first photo after everyone else's third.
    for (const userId of people) {
      for (let m = 1; m <= PHOTOS_EACH; m++) await send(limiter, photo(userId, m));
    }
    const prioritized = await queue.getPrioritized(0, -1);
    assert.equal(prioritized.length, PEOPLE * PHOTOS_EACH, 'every photo job is prioritized (none plain)');

    const order = await serveInOrder(PEOPLE * PHOTOS_EACH);
    const expected = Array.from({ length: PHOTOS_EACH }, (_, i) => people.map((userId) => `${userId}:${i + 1}`)).flat();
    assert.deepEqual(
      order.map((d) => `${d.userId}:${d.messageId}`),
      expected,
    );
    const firstOf = (userId: number) => order.findIndex((d) => d.userId === userId && d.messageId === 1);
    const earliestThird = order.findIndex((d) => d.messageId === 3);
    assert.ok(people.every((userId) => firstOf(userId) < earliestThird));
  });

  it('one job per photo message: the same message queued again (a re-delivered update) adds nothing', async () => {
    const limiter = new PhotoRateLimiter({ redis, prefix, limit: 10, windowSeconds: 60 });
    const userId = nextUser++;
    await send(limiter, photo(userId, 1));
    await send(limiter, photo(userId, 1));
    const job = await queue.getJob(photoJobId(userId, 1));
    assert.equal(job?.priority, 1, 'the first queuing kept');
    const jobs = await queue.getJobs(['prioritized', 'waiting', 'delayed']);
    assert.equal(jobs.filter((j) => j?.data.userId === userId).length, 1);
    await serveInOrder(1);
  });

  it('a job that fails is retried with the priority it had, and is served before a later person’s second', async () => {
    const limiter = new PhotoRateLimiter({ redis, prefix, limit: 10, windowSeconds: 60 });
    const [first, second] = [nextUser++, nextUser++];
    await send(limiter, photo(first, 1));
    let failedOnce = false;
    const order = await serveInOrder(1, () => {
      if (failedOnce) return;
      failedOnce = true;
      throw new Error('a hiccup');
    });
    // The failed attempt went back (after its 1 s backoff) and was then served: it kept priority 1.
    assert.deepEqual(
      order.map((d) => `${d.userId}:${d.messageId}`),
      [`${first}:1`],
    );
    const retried = await queue.getJob(photoJobId(first, 1));
    assert.equal(retried?.attemptsMade, 2);
    assert.equal(retried?.priority, 1);
    await send(limiter, photo(second, 1));
    await send(limiter, photo(second, 2));
    assert.equal((await queue.getJob(photoJobId(second, 2)))?.priority, 2);
    await serveInOrder(2);
  });

  it('photos past the limit wait for their slot, then come due with their place in the window', async () => {
    // A limit of 2 in 1 s: the third and fourth photo wait about a second, each queued delayed.
    const limiter = new PhotoRateLimiter({ redis, prefix, limit: 2, windowSeconds: 1 });
    const [busy, other] = [nextUser++, nextUser++];
    for (let m = 1; m <= 4; m++) await send(limiter, photo(busy, m));
    const delayed = await queue.getDelayed(0, -1);
    assert.deepEqual(delayed.map((j) => j.data.messageId).sort(), [3, 4]);
    assert.ok(delayed.every((j) => (j.opts.delay ?? 0) > 500 && (j.opts.delay ?? 0) <= 1000));
    assert.ok(
      delayed.every((j) => j.priority === 2),
      'a waiting photo takes the place of the one it follows',
    );
    const started = Date.now();
    const servedAfter = new Map<number, number>();
    const order = await serveInOrder(4, (job) => void servedAfter.set(job.data.messageId, Date.now() - started));
    assert.deepEqual(
      order.map((d) => d.messageId),
      [1, 2, 3, 4],
    );
    assert.ok((servedAfter.get(3) ?? 0) >= 500, `a waiting photo served before its slot: ${[...servedAfter]}`);
    await send(limiter, photo(other, 1));
    await serveInOrder(1);
  });
});
