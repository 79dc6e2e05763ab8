/**
 * PersonalStores.forgetAll against the real Redis: one call deletes a person's records in every store of personal data
 * (and their finished jobs in the queue), says how many each store deleted, and leaves another person's alone.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  connectRedis,
  createPhotoQueue,
  enqueuePhoto,
  finishedJobsOf,
  PHOTO_QUEUE,
  type PhotoJobResult,
  type PhotoQueue,
} from '../../src/queue/index.ts';
import {
  type AnswerContext,
  type FeedbackRecord,
  openPersonalData,
  type PersonalData,
  PersonalStores,
  PredictionHistory,
  type PredictionRecord,
} from '../../src/store/index.ts';
import { deleteKeysWithPrefix, REDIS_URL } from '../support/app-harness.ts';
import { poll } from '../support/poll.ts';

const prefix = `test-store-${randomUUID().slice(0, 8)}`;
const TOP = [{ breed: 'beagle', p: 0.9 }];
let redis: Redis;
let queue: PhotoQueue;
let worker: Worker;
let personal: PersonalData;
let history: PredictionHistory;

before(async () => {
  redis = await connectRedis(REDIS_URL);
  queue = createPhotoQueue({ connection: redis, prefix, attempts: 1, retention: { count: 100, seconds: 3600 } });
  const done: PhotoJobResult = { outcome: 'answered', top: TOP, dogScore: 0.9, model: 'test', ms: 1 };
  worker = new Worker(PHOTO_QUEUE, async () => done, { connection: redis, prefix });
  personal = openPersonalData(redis, prefix, { answerRetentionSeconds: 3600, feedbackRetentionSeconds: 3600 });
  history = new PredictionHistory({ redis, prefix, retentionSeconds: 3600, maxRecords: 100 });
});
after(async () => {
  await worker.close();
  await queue.close();
  redis.disconnect();
  await deleteKeysWithPrefix(REDIS_URL, prefix);
});

const at = Date.now();

function answer(userId: number, messageId: number): AnswerContext {
  const file = { fileId: `file-${userId}-${messageId}`, fileUniqueId: `u-${userId}-${messageId}`, model: 'test' };
  return { chatId: userId, messageId, photoMessageId: messageId - 1, userId, ...file, top: TOP, at };
}

function feedback(judge: number, judged: AnswerContext): FeedbackRecord {
  const { chatId, messageId, userId: ownerId, fileId, fileUniqueId, model, top } = judged;
  return { userId: judge, chatId, messageId, ownerId, fileId, fileUniqueId, model, top, verdict: 'right', at };
}

function prediction(userId: number, messageId: number): PredictionRecord {
  const photo = { fileId: `file-${userId}-${messageId}`, fileUniqueId: `u-${userId}-${messageId}` };
  const result = { model: 'test', outcome: 'answered', isDog: true, dogScore: 0.9, top: TOP, ms: 1, at };
  return { jobId: `photo_${userId}_${messageId}`, chatId: userId, userId, ...photo, ...result };
}

/** Everything a person leaves behind: a language, answers (with history and finished jobs), feedback, a correction. */
async function keepAbout(userId: number, answers: number): Promise<AnswerContext[]> {
  await personal.languages.set(userId, 'ru');
  const contexts = Array.from({ length: answers }, (_, i) => answer(userId, 10 + 2 * i));
  for (const context of contexts) {
    await personal.answers.save(context);
    await history.add(prediction(userId, context.messageId));
    const job = { chatId: userId, messageId: context.photoMessageId, fileId: context.fileId, userId };
    await enqueuePhoto(queue, { ...job, fileUniqueId: context.fileUniqueId });
  }
  await personal.awaiting.start(userId, userId, { messageId: 10 });
  return contexts;
}

test('forgetAll deletes one person’s records in every store, counts them, and keeps everyone else’s', async () => {
  const alice = 1001;
  const bob = 1002;
  const [aliceFirst] = await keepAbout(alice, 2);
  const [bobFirst] = await keepAbout(bob, 1);
  assert.ok(aliceFirst && bobFirst);
  // Alice judges her answer; Bob judges his and hers (feedback on her photo is about her too).
  await personal.feedback.put(feedback(alice, aliceFirst));
  await personal.feedback.put(feedback(bob, aliceFirst));
  await personal.feedback.put(feedback(bob, bobFirst));
  await poll(async () => ((await queue.getJobCounts('completed')).completed === 3 ? true : undefined));

  const stores = new PersonalStores({ ...personal, history, jobs: finishedJobsOf(queue) });
  assert.deepEqual(await stores.forgetAll(alice), {
    languages: 1,
    answers: 2,
    feedback: 2,
    awaiting: 1,
    history: 2,
    jobs: 2,
  });

  assert.equal(await personal.languages.get(alice), undefined);
  assert.equal(await personal.answers.get(alice, aliceFirst.messageId), undefined);
  assert.equal(await personal.awaiting.get(alice, alice), undefined);
  assert.deepEqual(
    (await history.since(0)).map((r) => r.userId),
    [bob],
  );
  assert.deepEqual(
    (await personal.feedback.since(0)).map((r) => [r.userId, r.ownerId]),
    [[bob, bob]],
  );
  assert.deepEqual(
    (await queue.getJobs(['completed'])).map((job) => job.data.userId),
    [bob],
  );
  assert.equal(await personal.languages.get(bob), 'ru');
  assert.deepEqual(await personal.answers.get(bob, bobFirst.messageId), bobFirst);
  assert.deepEqual(await personal.awaiting.get(bob, bob), { messageId: 10 });

  // Nothing is left to forget.
  assert.deepEqual(await stores.forgetAll(alice), {
    languages: 0,
    answers: 0,
    feedback: 0,
    awaiting: 0,
    history: 0,
    jobs: 0,
  });
});
