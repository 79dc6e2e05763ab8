/**
 * `npm run bench:e2e`: photos through the whole path — Bot API stand-in → grammY bot → Redis (BullMQ) → worker →
 * vision core → edited reply — against the vision core alone on the same model, in the same process and run.
 * Also the latency from a photo's update to its edited answer at a steady load below capacity.
 *
 * Options: E2E_PHOTOS (default 64), E2E_ROUNDS (3), E2E_RATE (photos/s for the latency run, default 8),
 * E2E_SECONDS (latency run length, default 10), E2E_MODEL (default mobilenetv2-imagenet; xception-random for the
 * production model's shape and speed).
 */

import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { configSchema } from '../src/config/index.ts';
import { type BotApiStandIn, privateChat, user } from '../src/playground/bot-api/stand-in.ts';
import { startPlayground } from '../src/playground/index.ts';
import { IMAGES_DIR, MODELS_DIR } from './setup.ts';

const PHOTOS = Number(process.env.E2E_PHOTOS ?? 64);
const ROUNDS = Number(process.env.E2E_ROUNDS ?? 3);
const RATE = Number(process.env.E2E_RATE ?? 8);
const SECONDS = Number(process.env.E2E_SECONDS ?? 10);
/** An answer (🐶 first, or after the breed-group lead; a caption for several dogs) or the "no dog" reply. */
const ANSWERED = /(^|\n)🐶|don't see a dog/;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? 0;

const dir = path.join(IMAGES_DIR, 'dogs');
const photos = await Promise.all(
  (await readdir(dir))
    .sort()
    .slice(0, PHOTOS)
    .map((f) => readFile(path.join(dir, f))),
);

// The service as it ships (the configuration's defaults, the detector on), against the playground's Bot API stand-in.
const config = configSchema.parse({
  MODELS_DIR,
  DEVICE: 'cpu',
  MODEL: process.env.E2E_MODEL ?? 'mobilenetv2-imagenet',
  QUEUE_PREFIX: `bench-${randomUUID().slice(0, 8)}`,
  RATE_LIMIT_PHOTOS: '100000',
  WORKER_CONCURRENCY: '16',
  PLAYGROUND_PORT: '0',
  OPS_PORT: '-1',
  LOG_LEVEL: 'warn',
});
const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
const playground = await startPlayground(config, { logDestination: quiet, print: () => undefined });
const standIn = playground.standIn;
const classifier = playground.app.classifier;
if (classifier === undefined) throw new Error('the playground runs a worker');

/** Resolves when the bot's reply to the person's message shows an answer (text or caption). */
function answerTo(standIn: BotApiStandIn, chatId: number, messageId: number): Promise<void> {
  const answered = () =>
    standIn
      .botMessagesIn(chatId)
      .some((m) => m.reply_to_message?.message_id === messageId && ANSWERED.test(m.text ?? m.caption ?? ''));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no answer to message ${messageId} in chat ${chatId} within 120 s`));
    }, 120_000);
    const stop = standIn.onChange(() => {
      if (!answered()) return;
      clearTimeout(timer);
      stop();
      resolve();
    });
  });
}

/** Deletes what the run wrote under its own prefix (the Redis is shared: never FLUSHALL). */
async function deleteOwnKeys(): Promise<void> {
  const redis = new Redis(playground.redisUrl);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${config.QUEUE_PREFIX}:*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
  redis.disconnect();
}
let nextUser = 10_000;

/** Sends every photo (one person per photo: no rate limit in the way) and waits for every answer. */
async function throughPipeline(): Promise<number> {
  const started = performance.now();
  await Promise.all(
    photos.map((file) => {
      const from = user(nextUser++);
      const chat = privateChat(from);
      const sent = standIn.sendPhoto({ chat, from, file });
      return answerTo(standIn, chat.id, sent.message_id);
    }),
  );
  return performance.now() - started;
}

async function visionCoreAlone(): Promise<number> {
  const started = performance.now();
  await Promise.all(photos.map((p) => classifier?.classify(p)));
  return performance.now() - started;
}

console.log(
  `# end-to-end benchmark — ${photos.length} photos, ${ROUNDS} rounds, model ${classifier.breedModel.id} on ${classifier.device}`,
);
await throughPipeline(); // warm-up: connections, JIT, onnxruntime allocations
const ratios: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const core = await visionCoreAlone();
  const pipeline = await throughPipeline();
  ratios.push(core / pipeline);
  console.log(
    `round ${r + 1}: vision core alone ${((photos.length / core) * 1000).toFixed(1)} photos/s, ` +
      `whole path ${((photos.length / pipeline) * 1000).toFixed(1)} photos/s`,
  );
}
console.log(`throughput ratio whole path / vision core: median ${median(ratios).toFixed(3)}`);

// Steady load: RATE photos a second for SECONDS seconds; latency from the update to the answer.
const latencies: number[] = [];
const pending: Promise<void>[] = [];
const total = RATE * SECONDS;
for (let i = 0; i < total; i++) {
  const from = user(nextUser++);
  const chat = privateChat(from);
  const sentAt = performance.now();
  const sent = standIn.sendPhoto({ chat, from, file: photos[i % photos.length] as Buffer });
  pending.push(
    answerTo(standIn, chat.id, sent.message_id).then(() => {
      latencies.push(performance.now() - sentAt);
    }),
  );
  await new Promise((resolve) => setTimeout(resolve, 1000 / RATE));
}
await Promise.all(pending);
console.log(
  `latency at ${RATE} photos/s for ${SECONDS} s (${total} photos): p50 ${quantile(latencies, 0.5).toFixed(0)} ms, ` +
    `p95 ${quantile(latencies, 0.95).toFixed(0)} ms, max ${Math.max(...latencies).toFixed(0)} ms`,
);
await playground.stop();
await deleteOwnKeys();
