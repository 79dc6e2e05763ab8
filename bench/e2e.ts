/**
 * `npm run bench:e2e`: photos through the whole path — Bot API stand-in → grammY bot → Redis (BullMQ) → worker →
 * vision core → the answer — against the vision core alone on the same model, in the same process and run.
 * Also the latency from a photo's update to its answer at a steady load below capacity; a burst (many people sending
 * several photos at once: first reply — the "typing…" chat action, as the stand-in recorded its arrival — and answer
 * latency, photos/s); and one chat told to wait by a 429 `retry_after` on its answer while other people send photos
 * (their answer latency: nobody waits for that chat).
 *
 * Options: E2E_PHOTOS (default 64), E2E_ROUNDS (3; 0 skips the throughput comparison), E2E_RATE (photos/s for the
 * latency run, default 8), E2E_SECONDS (latency run length, default 10; 0 skips it), E2E_BURST_PEOPLE (200; 0 skips
 * the burst), E2E_BURST_PHOTOS (photos each, 3), E2E_OTHER_PEOPLE (19; 0 skips the 429 case), E2E_RETRY_AFTER
 * (seconds, 25), E2E_MODEL (default mobilenetv2-imagenet; xception-random for the production model's shape and speed).
 */

import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { configSchema } from '../src/config/index.ts';
import { privateChat, user } from '../src/playground/bot-api/stand-in.ts';
import { startPlayground } from '../src/playground/index.ts';
import { IMAGES_DIR, MODELS_DIR } from './setup.ts';

const PHOTOS = Number(process.env.E2E_PHOTOS ?? 64);
const ROUNDS = Number(process.env.E2E_ROUNDS ?? 3);
const RATE = Number(process.env.E2E_RATE ?? 8);
const SECONDS = Number(process.env.E2E_SECONDS ?? 10);
const BURST_PEOPLE = Number(process.env.E2E_BURST_PEOPLE ?? 200);
const BURST_PHOTOS = Number(process.env.E2E_BURST_PHOTOS ?? 3);
const OTHER_PEOPLE = Number(process.env.E2E_OTHER_PEOPLE ?? 19);
const RETRY_AFTER = Number(process.env.E2E_RETRY_AFTER ?? 25);
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

interface AwaitedReply {
  messageId: number;
  pattern: RegExp;
  resolve: (at: number) => void;
}

/**
 * One listener for every awaited reply: after a change it re-checks only the chats still waiting, at most every
 * CHECK_MS (reading a chat clones its messages; a listener per photo cost more CPU than the service measured).
 * Times are when the check saw the reply, so up to CHECK_MS late.
 */
const CHECK_MS = 20;
const awaited = new Map<number, AwaitedReply[]>();
let checkScheduled = false;
standIn.onChange(() => {
  if (checkScheduled || awaited.size === 0) return;
  checkScheduled = true;
  setTimeout(checkAwaitedReplies, CHECK_MS);
});
function checkAwaitedReplies(): void {
  checkScheduled = false;
  const now = performance.now();
  for (const [chatId, replies] of awaited) {
    const texts = standIn
      .botMessagesIn(chatId)
      .map((m) => ({ to: m.reply_to_message?.message_id, text: m.text ?? m.caption ?? '' }));
    const still = replies.filter((r) => {
      const seen = texts.some((t) => t.to === r.messageId && r.pattern.test(t.text));
      if (seen) r.resolve(now);
      return !seen;
    });
    if (still.length > 0) awaited.set(chatId, still);
    else awaited.delete(chatId);
  }
}

/** When the bot's reply to the person's message matched `pattern` (default: an answer, text or caption). */
function answerTo(chatId: number, messageId: number, pattern = ANSWERED): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no answer to message ${messageId} in chat ${chatId} within 120 s`)),
      120_000,
    );
    const reply = {
      messageId,
      pattern,
      resolve: (at: number) => {
        clearTimeout(timer);
        resolve(at);
      },
    };
    awaited.set(chatId, [...(awaited.get(chatId) ?? []), reply]);
  });
}

/**
 * Milliseconds from now until the bot's first reply — "typing…" in the chat, when the stand-in received the chat
 * action (what a status message was before, so the figure compares) — and until the answer.
 */
async function timesOfReplies(chatId: number, messageId: number): Promise<{ firstReply: number; answer: number }> {
  const sentAt = performance.now();
  const sentAtClock = Date.now();
  const answer = await answerTo(chatId, messageId).then((at) => at - sentAt);
  const typing = standIn.chatActionsIn(chatId).find((a) => a.at >= sentAtClock);
  if (typing === undefined) throw new Error(`no "typing…" in chat ${chatId} before the answer`);
  return { firstReply: typing.at - sentAtClock, answer };
}

const describeLatencies = (xs: number[]) =>
  `p50 ${quantile(xs, 0.5).toFixed(0)} ms, p95 ${quantile(xs, 0.95).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms`;

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
      return answerTo(chat.id, sent.message_id);
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
if (ratios.length > 0) console.log(`throughput ratio whole path / vision core: median ${median(ratios).toFixed(3)}`);

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
    answerTo(chat.id, sent.message_id).then((at) => {
      latencies.push(at - sentAt);
    }),
  );
  await new Promise((resolve) => setTimeout(resolve, 1000 / RATE));
}
await Promise.all(pending);
if (total > 0)
  console.log(`latency at ${RATE} photos/s for ${SECONDS} s (${total} photos): ${describeLatencies(latencies)}`);

// A burst: BURST_PEOPLE people each send BURST_PHOTOS photos (separate messages), all at once.
if (BURST_PEOPLE > 0) {
  const started = performance.now();
  const replies = await Promise.all(
    Array.from({ length: BURST_PEOPLE }, () => {
      const from = user(nextUser++);
      const chat = privateChat(from);
      return Array.from({ length: BURST_PHOTOS }, (_, i) => {
        const file = photos[(nextUser + i) % photos.length] as Buffer;
        return timesOfReplies(chat.id, standIn.sendPhoto({ chat, from, file }).message_id);
      });
    }).flat(),
  );
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `burst of ${BURST_PEOPLE} people × ${BURST_PHOTOS} photos (${replies.length}): ` +
      `first reply ${describeLatencies(replies.map((r) => r.firstReply))}; ` +
      `answer ${describeLatencies(replies.map((r) => r.answer))}; ${(replies.length / seconds).toFixed(1)} photos/s`,
  );
}

// One chat told by Telegram to wait RETRY_AFTER s (429 on its answer) while OTHER_PEOPLE send a photo each.
if (OTHER_PEOPLE > 0) {
  standIn.injectFault({ method: 'sendMessage', fault: { kind: 'status', status: 429, retryAfter: RETRY_AFTER } });
  const slowPerson = user(nextUser++);
  const slowChat = privateChat(slowPerson);
  const slowSent = standIn.sendPhoto({ chat: slowChat, from: slowPerson, file: photos[0] as Buffer });
  const slowReplies = timesOfReplies(slowChat.id, slowSent.message_id);
  await new Promise<void>((resolve) => {
    const told = () => standIn.calls.some((c) => c.injected === 'status' && c.params.chat_id === slowChat.id);
    const stop = standIn.onChange(() => {
      if (!told()) return;
      stop();
      resolve();
    });
  });
  const others = await Promise.all(
    Array.from({ length: OTHER_PEOPLE }, (_, i) => {
      const from = user(nextUser++);
      const chat = privateChat(from);
      const file = photos[(i + 1) % photos.length] as Buffer;
      return timesOfReplies(chat.id, standIn.sendPhoto({ chat, from, file }).message_id);
    }),
  );
  const slow = await slowReplies;
  console.log(
    `one chat with retry_after ${RETRY_AFTER} s: the ${OTHER_PEOPLE} other people's answer ` +
      `${describeLatencies(others.map((r) => r.answer))}; that chat's own answer ${slow.answer.toFixed(0)} ms`,
  );
}
await playground.stop();
await deleteOwnKeys();
