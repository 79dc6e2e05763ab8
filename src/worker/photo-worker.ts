/**
 * The consumer: takes photo jobs, downloads the photo through the Bot API, classifies it with the vision core
 * (concurrent jobs share micro-batches), and edits the status message into the answer.
 *
 * Outcomes: a person's bad file is answered kindly and the job completes (retrying cannot fix it); a transient
 * failure (Telegram or Redis hiccup) throws so BullMQ retries with backoff; the last failed attempt edits the status
 * message into an apology. Edits are idempotent, so a job that runs twice (a worker killed mid-job) answers once.
 */
import { type Job, Worker } from 'bullmq';
import { type Api, GrammyError } from 'grammy';
import type { InlineKeyboardMarkup } from 'grammy/types';
import type { Redis } from 'ioredis';
import type { Logger } from '../ops/logger.ts';
import type { Metrics } from '../ops/metrics.ts';
import {
  NO_STATUS_MESSAGE,
  PHOTO_QUEUE,
  type PhotoJobData,
  type PhotoJobResult,
  type PredictionHistory,
} from '../queue/index.ts';
import { downloadTelegramFile, FileDownloadError } from '../telegram/api.ts';
import { type Classifier, isImageInputError } from '../vision/index.ts';
import type { AnswerOptions, PhotoReplies } from './format-answer.ts';

export interface PhotoWorkerOptions {
  connection: Redis;
  prefix: string;
  concurrency: number;
  /** Job lock and stalled-job check (see JOB_LOCK_MS, STALLED_INTERVAL_MS). */
  locks: { lockDuration: number; stalledInterval: number };
  classifier: Classifier;
  api: Api;
  telegram: { token: string; apiRoot: string };
  answer: AnswerOptions;
  /** The replies' words (in the person's language) and buttons, and the context the buttons need. */
  replies: PhotoReplies;
  logger: Logger;
  metrics: Metrics;
  history: PredictionHistory;
}

const HTML = { parse_mode: 'HTML', link_preview_options: { is_disabled: true } } as const;

/**
 * Edits the status message (with the buttons, if any); tolerates "not modified" (a job run twice) and a deleted status
 * (replies anew). Returns the id of the message that holds the text.
 */
export async function editStatus(
  api: Api,
  data: PhotoJobData,
  text: string,
  markup?: InlineKeyboardMarkup,
): Promise<number> {
  const extra = markup ? { ...HTML, reply_markup: markup } : HTML;
  const replyAnew = async () =>
    (
      await api.sendMessage(data.chatId, text, {
        ...extra,
        reply_parameters: { message_id: data.messageId, allow_sending_without_reply: true },
      })
    ).message_id;
  if (data.statusMessageId === NO_STATUS_MESSAGE) return replyAnew();
  try {
    await api.editMessageText(data.chatId, data.statusMessageId, text, extra);
  } catch (error) {
    if (error instanceof GrammyError && error.error_code === 400) {
      if (/not modified/i.test(error.description)) return data.statusMessageId;
      if (/not found/i.test(error.description)) return replyAnew();
    }
    throw error;
  }
  return data.statusMessageId;
}

async function processPhoto(
  job: Job<PhotoJobData, PhotoJobResult>,
  options: PhotoWorkerOptions,
): Promise<PhotoJobResult> {
  const { api, classifier, logger } = options;
  const data = job.data;
  const started = Date.now();
  const log = logger.child({
    jobId: job.id,
    chatId: data.chatId,
    messageId: data.messageId,
    attempt: job.attemptsMade + 1,
  });
  const locale = await options.replies.localeFor(data);
  const finish = (outcome: PhotoJobResult['outcome'], extra: Partial<PhotoJobResult> = {}): PhotoJobResult => {
    const ms = Date.now() - job.timestamp;
    options.metrics.jobs.inc({ queue: PHOTO_QUEUE, outcome });
    options.metrics.jobSeconds.observe({ queue: PHOTO_QUEUE }, ms / 1000);
    return { outcome, top: [], dogScore: null, model: null, ...extra, ms };
  };

  let bytes: Buffer;
  try {
    bytes = await downloadTelegramFile(api, options.telegram, data.fileId);
  } catch (error) {
    if (error instanceof FileDownloadError && error.reason !== 'transient') {
      log.warn({ reason: error.reason, detail: error.message }, 'photo file unavailable');
      const key = error.reason === 'too-big' ? 'file-too-big' : 'file-unavailable';
      await editStatus(api, data, options.replies.text(locale, key));
      return finish('file-unavailable');
    }
    throw error;
  }

  let result: Awaited<ReturnType<Classifier['classify']>>;
  try {
    result = await classifier.classify(bytes);
  } catch (error) {
    if (isImageInputError(error)) {
      log.warn({ problem: error.problem, bytes: bytes.length, detail: error.message }, 'bad image');
      await editStatus(api, data, options.replies.badImage(locale, error.problem));
      return finish('bad-input');
    }
    throw error;
  }

  options.metrics.preprocessSeconds.observe({ model: result.model }, result.ms.preprocess / 1000);
  options.metrics.inferenceSeconds.observe({ model: result.model }, result.ms.inference / 1000);
  const reply = options.replies.answer(result, locale, options.answer);
  // What the buttons need is stored before they appear (and again if the answer had to become a new message).
  const remember = (messageId: number) =>
    options.replies
      .remember(data, result, messageId)
      .catch((error: unknown) => log.warn({ err: error }, 'could not store the answer context'));
  if (data.statusMessageId !== NO_STATUS_MESSAGE) await remember(data.statusMessageId);
  const answeredIn = await editStatus(api, data, reply.text, reply.markup);
  if (answeredIn !== data.statusMessageId) await remember(answeredIn);
  const outcome = result.isDog ? 'answered' : 'not-a-dog';
  const top = result.top.map(({ breed, p }) => ({ breed, p }));
  await options.history
    .add({
      jobId: job.id ?? '',
      chatId: data.chatId,
      userId: data.userId,
      fileId: data.fileId,
      fileUniqueId: data.fileUniqueId,
      model: result.model,
      outcome,
      isDog: result.isDog,
      dogScore: result.dogScore,
      top,
      ms: Date.now() - job.timestamp,
      at: Date.now(),
    })
    .catch((error: unknown) => log.warn({ err: error }, 'could not record the answer in the history'));
  log.info(
    {
      outcome,
      top1: top[0]?.breed,
      p: top[0]?.p,
      dogScore: result.dogScore,
      classifyMs: Math.round(result.ms.total),
      jobMs: Date.now() - started,
    },
    'photo answered',
  );
  return finish(outcome, { top, dogScore: result.dogScore, model: result.model });
}

export function startPhotoWorker(options: PhotoWorkerOptions): Worker<PhotoJobData, PhotoJobResult> {
  const worker = new Worker<PhotoJobData, PhotoJobResult>(PHOTO_QUEUE, (job) => processPhoto(job, options), {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: options.concurrency,
    ...options.locks,
  });
  worker.on('failed', (job, error) => {
    if (job === undefined) return;
    const final = job.attemptsMade >= (job.opts.attempts ?? 1);
    options.logger.warn({ jobId: job.id, attempt: job.attemptsMade, final, err: error }, 'photo job failed');
    if (final) {
      options.metrics.jobs.inc({ queue: PHOTO_QUEUE, outcome: 'failed' });
      options.replies
        .localeFor(job.data)
        .then((locale) => editStatus(options.api, job.data, options.replies.text(locale, 'failed')))
        .catch((editError: unknown) =>
          options.logger.error({ jobId: job.id, err: editError }, 'could not send the apology'),
        );
    }
  });
  worker.on('stalled', (jobId) => {
    options.logger.warn({ jobId }, 'job stalled (its worker stopped without finishing it): taken over');
  });
  worker.on('error', (error) => options.logger.error({ err: error }, 'worker error'));
  return worker;
}
