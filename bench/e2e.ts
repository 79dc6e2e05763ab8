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
 *
 * The photo size downloaded (E2E_SIZE_ROUNDS, default E2E_ROUNDS; 0 skips): the same photos at a camera's size
 * (E2E_CAMERA_SIDE px on the long side, default 1600), offered by the stand-in in Telegram's sizes (90/320/800/1280),
 * once as Telegram sends them (the bot picks the smallest that covers the models) and once with the largest size only
 * (what the bot took before): bytes downloaded per photo, decode ms per photo, and the whole path ÷ vision core of each.
 *
 * A burst in a row (E2E_FAIR_PEOPLE, default 200; 0 skips): each person sends E2E_FAIR_PHOTOS (3) photos back to back,
 * people one after another, all arriving at once as albums do; each person's first answer (p50/p95) and photos/s, with
 * the queue as shipped (job priorities by each person's photos in the window) and in plain arrival order (the
 * priorities taken off: the code before), in the same run, E2E_FAIR_ROUNDS (2) rounds each, alternating.
 */

import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import sharp from 'sharp';
import { configSchema } from '../src/config/index.ts';
import { groupChat, privateChat, user } from '../src/playground/bot-api/stand-in.ts';
import type { PhotoSize } from '../src/playground/bot-api/types.ts';
import { startPlayground } from '../src/playground/index.ts';
import { decodePhoto } from '../src/vision/preprocess/index.ts';
import { IMAGES_DIR, LIMITS, MODELS_DIR } from './setup.ts';

const PHOTOS = Number(process.env.E2E_PHOTOS ?? 64);
const ROUNDS = Number(process.env.E2E_ROUNDS ?? 3);
const RATE = Number(process.env.E2E_RATE ?? 8);
const SECONDS = Number(process.env.E2E_SECONDS ?? 10);
const BURST_PEOPLE = Number(process.env.E2E_BURST_PEOPLE ?? 200);
const BURST_PHOTOS = Number(process.env.E2E_BURST_PHOTOS ?? 3);
const OTHER_PEOPLE = Number(process.env.E2E_OTHER_PEOPLE ?? 19);
const RETRY_AFTER = Number(process.env.E2E_RETRY_AFTER ?? 25);
const SIZE_ROUNDS = Number(process.env.E2E_SIZE_ROUNDS ?? ROUNDS);
const CAMERA_SIDE = Number(process.env.E2E_CAMERA_SIDE ?? 1600);
const FAIR_PEOPLE = Number(process.env.E2E_FAIR_PEOPLE ?? 200);
const FAIR_PHOTOS = Number(process.env.E2E_FAIR_PHOTOS ?? 3);
const FAIR_ROUNDS = Number(process.env.E2E_FAIR_ROUNDS ?? 2);
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
    photos.map(async (file) => {
      const from = user(nextUser++);
      const chat = privateChat(from);
      const sent = await standIn.sendPhoto({ chat, from, file });
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
/** The vision core's photos/s in each round: what the burst's answers are compared with. */
const coreRates: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const core = await visionCoreAlone();
  coreRates.push((photos.length / core) * 1000);
  const pipeline = await throughPipeline();
  ratios.push(core / pipeline);
  console.log(
    `round ${r + 1}: vision core alone ${((photos.length / core) * 1000).toFixed(1)} photos/s, ` +
      `whole path ${((photos.length / pipeline) * 1000).toFixed(1)} photos/s`,
  );
}
if (ratios.length > 0) console.log(`throughput ratio whole path / vision core: median ${median(ratios).toFixed(3)}`);

// The photo size downloaded: Telegram's sizes as sent (the bot's choice) against the largest size alone (before).
if (SIZE_ROUNDS > 0) await comparePhotoSizes();

/** Telegram's sizes of each photo at a camera's size, made by the stand-in (sent in a group the bot does not hear). */
async function cameraPhotoSizes(): Promise<PhotoSize[][]> {
  const group = groupChat(-990_001);
  const from = user(nextUser++);
  const sizes: PhotoSize[][] = [];
  for (const photo of photos) {
    const camera = await sharp(photo)
      .resize(CAMERA_SIDE, CAMERA_SIDE, { fit: 'inside' })
      .jpeg({ quality: 90 })
      .toBuffer();
    sizes.push((await standIn.sendPhoto({ chat: group, from, file: camera })).photo ?? []);
  }
  return sizes;
}

/** The id after the last update queued (pushed updates keep their own). */
function nextUpdateId(): number {
  return Math.max(0, ...standIn.updates.map((u) => u.update_id)) + 1;
}

/** Each photo delivered to the bot with these sizes (as a new person's message); resolves when all are answered. */
async function throughPipelineWith(offered: PhotoSize[][]): Promise<number> {
  const started = performance.now();
  await Promise.all(
    offered.map((photo) => {
      const from = user(nextUser++);
      const chat = privateChat(from);
      standIn.pushUpdate({
        update_id: nextUpdateId(),
        message: { message_id: 1, date: Math.floor(Date.now() / 1000), chat, from, photo },
      });
      return answerTo(chat.id, 1);
    }),
  );
  return performance.now() - started;
}

interface SizeArm {
  name: string;
  offered: PhotoSize[][];
  /** The sizes the worker fetched (getFile) in the warm-up round, and their bytes. */
  fetched: PhotoSize[];
  bytes: Uint8Array[];
  coreMs: number[];
  pipelineMs: number[];
}

/** Delivers the arm's photos once, noting which size of each the worker asked for. */
async function warmUpArm(name: string, offered: PhotoSize[][], sizeById: Map<string, PhotoSize>): Promise<SizeArm> {
  const callsBefore = standIn.calls.length;
  await throughPipelineWith(offered);
  const fetched = standIn.calls
    .slice(callsBefore)
    .filter((c) => c.method === 'getFile')
    .flatMap((c) => sizeById.get(String(c.params.file_id)) ?? []);
  const bytes = fetched.map((s) => standIn.fileContent(s.file_id)?.bytes ?? new Uint8Array());
  return { name, offered, fetched, bytes, coreMs: [], pipelineMs: [] };
}

async function decodeMsPerPhoto(bytes: readonly Uint8Array[]): Promise<number> {
  const ms: number[] = [];
  for (const b of bytes) {
    const started = performance.now();
    await decodePhoto(b, LIMITS);
    ms.push(performance.now() - started);
  }
  return median(ms);
}

async function comparePhotoSizes(): Promise<void> {
  const all = await cameraPhotoSizes();
  const sizeById = new Map(all.flat().map((s) => [s.file_id, s]));
  const arms = [
    await warmUpArm(
      'largest size (before)',
      all.map((s) => s.slice(-1)),
      sizeById,
    ),
    await warmUpArm("bot's choice (now)", all, sizeById),
  ];
  // Rounds alternate between the arms, so that a change in the machine's load falls on both.
  for (let r = 0; r < SIZE_ROUNDS; r++) {
    for (const arm of arms) {
      const started = performance.now();
      await Promise.all(arm.bytes.map((b) => classifier?.classify(b)));
      arm.coreMs.push(performance.now() - started);
      arm.pipelineMs.push(await throughPipelineWith(arm.offered));
    }
  }
  const figures = [];
  for (const arm of arms) {
    const figure = {
      bytes: median(arm.fetched.map((s) => s.file_size ?? 0)),
      decodeMs: await decodeMsPerPhoto(arm.bytes),
      ratio: median(arm.coreMs.map((core, i) => core / (arm.pipelineMs[i] ?? core))),
      pipelinePerSecond: (arm.offered.length / median(arm.pipelineMs)) * 1000,
      corePerSecond: (arm.offered.length / median(arm.coreMs)) * 1000,
    };
    figures.push(figure);
    const example = arm.fetched[0];
    console.log(
      `photo size, ${arm.name}: ${arm.fetched.length} downloads (e.g. ${example?.width}×${example?.height}), ` +
        `median ${figure.bytes} bytes/photo, decode ${figure.decodeMs.toFixed(2)} ms/photo (median), ` +
        `vision core ${figure.corePerSecond.toFixed(1)} photos/s, whole path ${figure.pipelinePerSecond.toFixed(1)} photos/s, ` +
        `whole path ÷ vision core median ${figure.ratio.toFixed(3)}`,
    );
  }
  const [before, now] = figures;
  if (before && now) {
    console.log(
      `photo size, now ÷ before: bytes ${(now.bytes / before.bytes).toFixed(3)}, decode ms ${(now.decodeMs / before.decodeMs).toFixed(3)}, ` +
        `whole path photos/s ${(now.pipelinePerSecond / before.pipelinePerSecond).toFixed(3)}, ` +
        `vision core photos/s ${(now.corePerSecond / before.corePerSecond).toFixed(3)}`,
    );
  }
}

// Steady load: RATE photos a second for SECONDS seconds; latency from the update to the answer.
const latencies: number[] = [];
const pending: Promise<void>[] = [];
const total = RATE * SECONDS;
for (let i = 0; i < total; i++) {
  const from = user(nextUser++);
  const chat = privateChat(from);
  const sentAt = performance.now();
  const sent = await standIn.sendPhoto({ chat, from, file: photos[i % photos.length] as Buffer });
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
        return standIn.sendPhoto({ chat, from, file }).then((sent) => timesOfReplies(chat.id, sent.message_id));
      });
    }).flat(),
  );
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `burst of ${BURST_PEOPLE} people × ${BURST_PHOTOS} photos (${replies.length}): ` +
      `first reply ${describeLatencies(replies.map((r) => r.firstReply))}; ` +
      `answer ${describeLatencies(replies.map((r) => r.answer))}; ${(replies.length / seconds).toFixed(1)} photos/s` +
      (coreRates.length > 0
        ? ` (÷ vision core alone, median of the rounds: ${(replies.length / seconds / median(coreRates)).toFixed(3)})`
        : ''),
  );
}

// A burst in a row, as albums arrive: FAIR_PEOPLE people each send FAIR_PHOTOS photos back to back, one person after
// another, all at once. Each person's first answer and the photos/s, as shipped (job priorities: everyone's first
// photo before anyone's second) against plain arrival order (the priorities taken off, as before), arms alternating.
interface FairRun {
  /** Ms from the burst to each person's first answer; to every answer; to the last answer. */
  firsts: number[];
  answers: number[];
  totalMs: number;
}

/** Telegram's sizes of each bench photo, made by the stand-in (sent in a group the bot does not hear). */
async function telegramSizes(): Promise<PhotoSize[][]> {
  const group = groupChat(-990_002);
  const from = user(nextUser++);
  const sizes: PhotoSize[][] = [];
  for (const file of photos) sizes.push((await standIn.sendPhoto({ chat: group, from, file })).photo ?? []);
  return sizes;
}

/** Every person's photos pushed as updates at once, each person's in a row; resolves when all are answered. */
async function burstInARow(offered: PhotoSize[][]): Promise<FairRun> {
  const started = performance.now();
  let updateId = nextUpdateId();
  const date = Math.floor(Date.now() / 1000);
  const people = Array.from({ length: FAIR_PEOPLE }, (_, p) => {
    const from = user(nextUser++);
    const chat = privateChat(from);
    return Array.from({ length: FAIR_PHOTOS }, (_, i) => {
      const photo = offered[(p * FAIR_PHOTOS + i) % offered.length] ?? [];
      standIn.pushUpdate({ update_id: updateId++, message: { message_id: i + 1, date, chat, from, photo } });
      return answerTo(chat.id, i + 1).then((at) => at - started);
    });
  });
  const answers = await Promise.all(people.map((theirs) => Promise.all(theirs)));
  return {
    firsts: answers.map((theirs) => theirs[0] ?? 0),
    answers: answers.flat(),
    totalMs: performance.now() - started,
  };
}

/** The photo queue as shipped, or with every job's priority taken off (plain arrival order: the code before). */
const photoQueue = playground.app.queue;
const addAsShipped = photoQueue.add.bind(photoQueue);
function queueInArrivalOrder(on: boolean): void {
  photoQueue.add = on
    ? (name, data, opts) => {
        const { priority: _, ...plain } = opts ?? {};
        return addAsShipped(name, data, plain);
      }
    : addAsShipped;
}

async function compareFairness(): Promise<void> {
  const offered = await telegramSizes();
  const arms = [
    { name: 'arrival order (before)', arrivalOrder: true, runs: [] as FairRun[] },
    { name: 'fair order (now)', arrivalOrder: false, runs: [] as FairRun[] },
  ];
  // Rounds alternate between the arms, so that a change in the machine's load falls on both.
  for (let r = 0; r < FAIR_ROUNDS; r++) {
    for (const arm of r % 2 === 0 ? arms : [...arms].reverse()) {
      queueInArrivalOrder(arm.arrivalOrder);
      const run = await burstInARow(offered);
      arm.runs.push(run);
      console.log(
        `burst in a row, round ${r + 1}, ${arm.name}: each person's first answer ${describeLatencies(run.firsts)}; ` +
          `every answer ${describeLatencies(run.answers)}; ${((run.answers.length / run.totalMs) * 1000).toFixed(1)} photos/s`,
      );
    }
  }
  queueInArrivalOrder(false);
  const summary = arms.map((arm) => ({
    name: arm.name,
    firstP95: median(arm.runs.map((run) => quantile(run.firsts, 0.95))),
    firstP50: median(arm.runs.map((run) => quantile(run.firsts, 0.5))),
    perSecond: median(arm.runs.map((run) => (run.answers.length / run.totalMs) * 1000)),
  }));
  for (const arm of summary) {
    console.log(
      `burst in a row, ${FAIR_PEOPLE} people × ${FAIR_PHOTOS} photos, ${arm.name} (median of ${FAIR_ROUNDS}): ` +
        `each person's first answer p50 ${(arm.firstP50 / 1000).toFixed(1)} s, p95 ${(arm.firstP95 / 1000).toFixed(1)} s; ` +
        `${arm.perSecond.toFixed(1)} photos/s`,
    );
  }
  const [before, now] = summary;
  if (before && now) {
    console.log(
      `burst in a row, now ÷ before: first answer p95 ${(now.firstP95 / before.firstP95).toFixed(3)}, ` +
        `photos/s ${(now.perSecond / before.perSecond).toFixed(3)}`,
    );
  }
}

if (FAIR_PEOPLE > 0 && FAIR_ROUNDS > 0) await compareFairness();

// One chat told by Telegram to wait RETRY_AFTER s (429 on its answer) while OTHER_PEOPLE send a photo each.
if (OTHER_PEOPLE > 0) {
  standIn.injectFault({ method: 'sendMessage', fault: { kind: 'status', status: 429, retryAfter: RETRY_AFTER } });
  const slowPerson = user(nextUser++);
  const slowChat = privateChat(slowPerson);
  const slowSent = await standIn.sendPhoto({ chat: slowChat, from: slowPerson, file: photos[0] as Buffer });
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
      return standIn.sendPhoto({ chat, from, file }).then((sent) => timesOfReplies(chat.id, sent.message_id));
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
