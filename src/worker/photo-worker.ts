/**
 * The consumer: takes photo jobs, downloads the photo through the Bot API, classifies it with the vision core
 * (concurrent jobs share micro-batches), and answers with one reply to the person's photo, keeping "typing…" up
 * meanwhile (a chat action, renewed every few seconds, stopped before the answer goes out).
 *
 * Sent once (send-once.ts): a retry, or a worker taking over a stalled job, finishes the job without sending the
 * answer again; only a response lost on the answer's own call can send a second one (counted).
 *
 * Several dogs: the answer is the photo with the dogs' numbered boxes, the answer as its caption; its buttons are added
 * once the context they need is stored.
 *
 * A video (a job with `media: 'video'`) is downloaded the same way and read frame by frame; its answer is the frame
 * the vision core was surest of, as a photo (video-answer.ts).
 *
 * Outcomes: a person's bad file is answered kindly and the job completes (retrying cannot fix it); Telegram away puts
 * the job back to wait without spending an attempt, until it is back (a photo older than PHOTO_MAX_AGE_SECONDS then
 * gets a short apology instead of a late answer: never silence); Redis away or refusing writes holds the job until it
 * takes them again, spending no attempt either; any other failure throws so BullMQ retries with backoff, and the last
 * failed attempt sends an apology (unless the answer was already sent).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DelayedError, Worker } from 'bullmq';
import type { Api } from 'grammy';
import type { Redis } from 'ioredis';
import type { Locale } from '../i18n/index.ts';
import type { Logger, Metrics } from '../ops/index.ts';
import {
  isRedisUnavailable,
  PHOTO_QUEUE,
  type PhotoJobData,
  type PhotoJobResult,
  RedisWriteRefusal,
  redisErrorListener,
} from '../queue/index.ts';
import type { AnswerOptions, Reply } from '../reply/index.ts';
import { drawDogMarks } from '../reply/index.ts';
import type { PredictionHistory } from '../store/index.ts';
import { downloadTelegramFile, FileDownloadError, isTelegramAway, keepTyping } from '../telegram/index.ts';
import type { Classification, VideoClassification, VideoReader } from '../vision/index.ts';
import { type Classifier, guessesOf, isImageInputError } from '../vision/index.ts';
import { addButtons, type JobContext, replyInText, replyWithPhoto, unlessRedisAway } from './answer-sending.ts';
import type { PhotoReplies } from './photo-replies.ts';
import { type PhotoJob, type PhotoJobProgress, SentAnswers } from './send-once.ts';
import { lookAtVideo, sendVideoAnswer, videoLogFields } from './video-answer.ts';

export interface PhotoWorkerOptions {
  connection: Redis;
  prefix: string;
  concurrency: number;
  /** Job lock and stalled-job check (see JOB_LOCK_MS, STALLED_INTERVAL_MS). */
  locks: { lockDuration: number; stalledInterval: number };
  /** A photo not answered within this long (Telegram away, no worker) gets an apology instead (PHOTO_MAX_AGE_SECONDS). */
  maxAgeMs: number;
  /** The vision core (`classify`; a video's frames are read over `breeds` too). */
  classifier: Pick<Classifier, 'classify' | 'breeds'>;
  /** Reads videos; absent where ffmpeg is missing (a video then gets a kind note, photos are answered as usual). */
  videoReader?: Pick<VideoReader, 'read' | 'options'> | undefined;
  api: Api;
  telegram: { token: string; apiRoot: string };
  answer: AnswerOptions;
  /** The replies' words (in the person's language) and buttons, and the context the buttons need. */
  replies: PhotoReplies;
  logger: Logger;
  metrics: Metrics;
  history: PredictionHistory;
}

/** While Telegram is away, a job tries again this often: answered within seconds of its return, at little cost. */
export const TELEGRAM_AWAY_RETRY_MS = 5000;
/**
 * A job whose worker died is taken over; after this many such stalls in a row it fails (a photo that kills the worker
 * each time). Above BullMQ's 1: a Redis refusing writes for longer than a lock also stalls the jobs in hand.
 */
const MAX_STALLED = 3;
/** BullMQ's pause before it fetches or finishes a job again after Redis failed it. */
const REDIS_RETRY_MS = 1000;
/**
 * Sends the answer about several dogs: the numbered photo (once), the context its buttons need, then the buttons.
 * Returns the photo's message id, or undefined when Telegram refused the photo itself (the caller answers in text).
 */
async function sendSeveralDogs(
  job: PhotoJob,
  context: JobContext,
  bytes: Buffer,
  result: Classification,
  reply: Extract<Reply, { kind: 'several-dogs' }>,
): Promise<number | undefined> {
  const annotated = () => drawDogMarks(bytes, reply.marks, result.photo);
  const sent = await replyWithPhoto(job, context, annotated, reply.caption, 'dogs.jpg');
  if (sent === undefined) return undefined;
  await addButtons(job, context, result, { messageId: sent.messageId, markup: reply.markup, dogs: reply.dogs });
  return sent.messageId;
}

/** The answer, in text (one dog, or the whole photo) or as the numbered photo (several dogs). */
async function sendAnswer(
  job: PhotoJob,
  context: JobContext,
  bytes: Buffer,
  result: Classification,
  locale: Locale,
): Promise<void> {
  const reply = context.options.replies.answer(result, locale, context.options.answer);
  const answeredWithPhoto =
    reply.kind === 'several-dogs' ? await sendSeveralDogs(job, context, bytes, result, reply) : undefined;
  if (answeredWithPhoto !== undefined) return;
  // Numbered left to right, the answer about several dogs reads without the photo too. Its buttons appear only once
  // what they need is stored, so they are added right after the reply (whose id is unknown before it is sent).
  const text = reply.kind === 'text' ? reply.text : reply.caption;
  const dogs = reply.kind === 'several-dogs' ? reply.dogs : undefined;
  const messageId = await replyInText(job, context, text);
  await addButtons(job, context, result, { messageId, markup: reply.markup, dogs });
}

/** The main dog's answer in the history (for /stats and `reprocess`); losing it must not cost the person the answer. */
async function recordAnswer(
  job: PhotoJob,
  { options, log }: JobContext,
  result: Classification,
  outcome: PhotoJobResult['outcome'],
): Promise<void> {
  const data = job.data;
  await options.history
    .add({
      ...(data.media === 'video' ? { media: 'video' } : {}),
      jobId: job.id ?? '',
      chatId: data.chatId,
      userId: data.userId,
      fileId: data.fileId,
      fileUniqueId: data.fileUniqueId,
      model: result.model,
      outcome,
      isDog: result.isDog,
      dogScore: result.dogScore,
      top: guessesOf(result.top),
      ms: Date.now() - job.timestamp,
      at: Date.now(),
    })
    .catch(unlessRedisAway((error) => log.warn({ err: error }, 'could not record the answer in the history')));
}

/** What looking at the photo (or video) came to: its classification, or the reason there is none (the reply says it). */
export type LookedAt =
  | { kind: 'classified'; bytes: Buffer; result: Classification }
  | { kind: 'video'; result: VideoClassification }
  | { kind: 'refused'; outcome: 'file-unavailable' | 'bad-input' | 'no-video-decoder'; text: string };

/** Downloads and classifies the photo; a person's bad file is a refusal, anything transient throws (a retry). */
async function lookAtPhoto(data: PhotoJobData, context: JobContext, locale: Locale): Promise<LookedAt> {
  const { options, log } = context;
  const video = data.media === 'video';
  if (video && options.videoReader === undefined) {
    log.warn({ videoKind: data.videoKind }, 'a video came, and this worker has no ffmpeg: answered with a kind note');
    return { kind: 'refused', outcome: 'no-video-decoder', text: options.replies.text(locale, 'video-unavailable') };
  }
  let bytes: Buffer;
  try {
    bytes = await downloadTelegramFile(options.api, options.telegram, data.fileId);
  } catch (error) {
    if (error instanceof FileDownloadError && error.reason !== 'transient') {
      log.warn({ reason: error.reason, detail: error.message, video }, 'photo file unavailable');
      // The job does not say whether a photo or a file came: "send a smaller one" fits both.
      const keys = video
        ? { tooBig: 'video-too-big', gone: 'video-file-unavailable' }
        : { tooBig: 'photo-too-big', gone: 'file-unavailable' };
      const key = error.reason === 'too-big' ? keys.tooBig : keys.gone;
      return { kind: 'refused', outcome: 'file-unavailable', text: options.replies.text(locale, key) };
    }
    throw error;
  }
  if (video && options.videoReader) return lookAtVideo(bytes, options.videoReader, context, locale);
  try {
    return { kind: 'classified', bytes, result: await options.classifier.classify(bytes) };
  } catch (error) {
    if (isImageInputError(error)) {
      log.warn({ problem: error.problem, bytes: bytes.length, detail: error.message }, 'bad image');
      return { kind: 'refused', outcome: 'bad-input', text: options.replies.badImage(locale, error.problem) };
    }
    throw error;
  }
}

/** Counts a finished job and gives its result. */
function finished(
  job: PhotoJob,
  options: PhotoWorkerOptions,
  outcome: PhotoJobResult['outcome'],
  extra: Partial<PhotoJobResult> = {},
): PhotoJobResult {
  const ms = Date.now() - job.timestamp;
  options.metrics.jobs.inc({ queue: PHOTO_QUEUE, outcome });
  options.metrics.jobSeconds.observe({ queue: PHOTO_QUEUE }, ms / 1000);
  return { outcome, top: [], dogScore: null, model: null, ...extra, ms };
}

async function answerPhoto(job: PhotoJob, context: JobContext): Promise<PhotoJobResult> {
  const { options, log } = context;
  const { api } = options;
  const data = job.data;
  const started = Date.now();
  const locale = await options.replies.localeFor(data);
  // Too late for an answer (Telegram or the workers were away for long): a short apology, unless one went out.
  // Age from when the photo was due: one past the person's limit waits for its slot on purpose.
  const waitedMs = Date.now() - (job.timestamp + (job.opts.delay ?? 0));
  if (waitedMs > options.maxAgeMs && context.sent.get(job) === undefined) {
    log.warn({ ageS: Math.round(waitedMs / 1000) }, 'photo too old to answer: apologising');
    const key = data.media === 'video' ? 'video-expired' : 'photo-expired';
    await replyInText(job, context, options.replies.text(locale, key));
    return finished(job, options, 'expired');
  }

  // "typing…" until the answer is ready; stopped before it is sent (a renewal after it would show "typing…" again).
  // The bot sent one as it queued the job (job.timestamp): the first renewal is due when that one ends. A photo that
  // waited for its slot got none, nor does a retry's: theirs starts at once.
  const typing = keepTyping(
    api,
    data.chatId,
    (error) => log.debug({ err: error }, 'chat action not renewed'),
    job.attemptsStarted <= 1 && !job.opts.delay ? job.timestamp : undefined,
  );
  let looked: LookedAt;
  try {
    looked = await lookAtPhoto(data, context, locale);
  } finally {
    typing.stop();
  }
  if (looked.kind === 'refused') {
    await replyInText(job, context, looked.text);
    return finished(job, options, looked.outcome);
  }

  const { result } = looked;
  options.metrics.preprocessSeconds.observe({ model: result.model }, result.ms.preprocess / 1000);
  options.metrics.inferenceSeconds.observe({ model: result.model }, result.ms.inference / 1000);
  if (looked.kind === 'video') await sendVideoAnswer(job, context, looked.result, locale);
  else await sendAnswer(job, context, looked.bytes, result, locale);
  const outcome = result.isDog ? 'answered' : 'not-a-dog';
  const top = guessesOf(result.top);
  await recordAnswer(job, context, result, outcome);
  log.info(
    {
      outcome,
      top1: top[0]?.breed,
      p: top[0]?.p,
      dogScore: result.dogScore,
      dogs: result.dogs.length,
      moreDogs: result.moreDogs,
      classifyMs: Math.round(result.ms.total),
      jobMs: Date.now() - started,
      ...(looked.kind === 'video' ? videoLogFields(looked.result) : {}),
    },
    // One message for every answer, a video's too (its `media` field says so): the playground's console and log
    // searches key on it.
    'photo answered',
  );
  return finished(job, options, outcome, { top, dogScore: result.dogScore, model: result.model });
}

/**
 * One try at a job. Telegram away is waited out without spending an attempt: the job goes back to the delayed set
 * and tries again in a few seconds, for as long as it takes (PHOTO_MAX_AGE_SECONDS then turns the answer into an
 * apology) — an outage of minutes or hours loses no photo. The reachability tracker tells the outage, once.
 */
async function processPhoto(
  job: PhotoJob,
  token: string | undefined,
  options: PhotoWorkerOptions,
  sent: SentAnswers,
  stopping: () => boolean,
): Promise<PhotoJobResult> {
  const log = options.logger.child({
    jobId: job.id,
    chatId: job.data.chatId,
    messageId: job.data.messageId,
    attempt: job.attemptsMade + 1,
  });
  for (;;) {
    try {
      return await answerPhoto(job, { options, log, sent });
    } catch (error) {
      if (token === undefined) throw error;
      if (isRedisUnavailable(error)) {
        await holdUntilRedisTakesWrites(job, token, options, stopping);
        continue;
      }
      if (!isTelegramAway(error)) throw error;
      log.debug({ err: error }, 'Telegram away: the photo waits');
      options.metrics.jobsWaitingForTelegram.inc();
      await job.moveToDelayed(Date.now() + TELEGRAM_AWAY_RETRY_MS, token);
      throw new DelayedError();
    }
  }
}

/**
 * Redis away or refusing writes in the middle of a job: no attempt is spent on it (failing the job would be a refused
 * write too). The job is held until its lock can be renewed — the write that shows Redis takes writes again — and is
 * then tried again here. A lock lost meanwhile means the job was handed to another worker: this one lets go of it.
 */
async function holdUntilRedisTakesWrites(
  job: PhotoJob,
  token: string,
  options: PhotoWorkerOptions,
  stopping: () => boolean,
): Promise<void> {
  for (;;) {
    await sleep(REDIS_RETRY_MS);
    if (stopping()) throw new Error('stopped while Redis refused writes: the job goes back to the queue');
    let held: number;
    try {
      held = await job.extendLock(token, options.locks.lockDuration);
    } catch (error) {
      if (isRedisUnavailable(error)) continue;
      throw error;
    }
    if (held === 0) throw new Error('the job’s lock lapsed while Redis refused writes: another worker has it');
    return;
  }
}

export function startPhotoWorker(options: PhotoWorkerOptions): Worker<PhotoJobProgress, PhotoJobResult> {
  const sent = new SentAnswers();
  const worker: Worker<PhotoJobProgress, PhotoJobResult> = new Worker<PhotoJobProgress, PhotoJobResult>(
    PHOTO_QUEUE,
    (job, token): Promise<PhotoJobResult> =>
      sent.oneRunAtATime(job, () => processPhoto(job, token, options, sent, () => worker.closing !== undefined)),
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency,
      maxStalledCount: MAX_STALLED,
      // After Redis was away, BullMQ tries again after this long (15 s by default): photos wait no longer than needed.
      runRetryDelay: REDIS_RETRY_MS,
      ...options.locks,
    },
  );
  worker.on('failed', (job, error) => {
    if (job === undefined) return;
    const final = job.attemptsMade >= (job.opts.attempts ?? 1);
    options.logger.warn({ jobId: job.id, attempt: job.attemptsMade, final, err: error }, 'photo job failed');
    if (!final) return;
    options.metrics.jobs.inc({ queue: PHOTO_QUEUE, outcome: 'failed' });
    // The answer already went out: no apology.
    if (sent.get(job) !== undefined) return sent.forget(job);
    const { chatId, messageId } = job.data;
    options.replies
      .localeFor(job.data)
      .then((locale) =>
        options.api.sendMessage(
          chatId,
          options.replies.text(locale, job.data.media === 'video' ? 'failed-video' : 'failed'),
          {
            reply_parameters: { message_id: messageId, allow_sending_without_reply: true },
          },
        ),
      )
      .catch((sendError: unknown) =>
        options.logger.error({ jobId: job.id, err: sendError }, 'could not send the apology'),
      );
  });
  worker.on('stalled', (jobId) => {
    options.logger.warn({ jobId }, 'job stalled (its worker stopped without finishing it): taken over');
  });
  worker.on(
    'error',
    redisErrorListener(options.connection, (error) => options.logger.error({ err: error }, 'worker error')),
  );
  RedisWriteRefusal.of(options.connection)?.hold(worker);
  return worker;
}
