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
import type { Redis } from 'ioredis';
import { en } from '../messages/en.ts';
import type { Logger } from '../ops/logger.ts';
import type { Metrics } from '../ops/metrics.ts';
import { PHOTO_QUEUE, type PhotoJobData, type PhotoJobResult, type PredictionHistory } from '../queue/index.ts';
import { downloadTelegramFile, FileDownloadError } from '../telegram/api.ts';
import { type Classifier, isImageInputError } from '../vision/index.ts';
import { type AnswerOptions, formatAnswer, messageForBadImage } from './format-answer.ts';

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
  logger: Logger;
  metrics: Metrics;
  history: PredictionHistory;
}

const HTML = { parse_mode: 'HTML', link_preview_options: { is_disabled: true } } as const;

/** Edits the status message; tolerates "not modified" (a job run twice) and a deleted status (replies anew). */
export async function editStatus(api: Api, data: PhotoJobData, text: string): Promise<void> {
  try {
    await api.editMessageText(data.chatId, data.statusMessageId, text, HTML);
  } catch (error) {
    if (error instanceof GrammyError && error.error_code === 400) {
      if (/not modified/i.test(error.description)) return;
      if (/not found/i.test(error.description)) {
        await api.sendMessage(data.chatId, text, {
          ...HTML,
          reply_parameters: { message_id: data.messageId, allow_sending_without_reply: true },
        });
        return;
      }
    }
    throw error;
  }
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
      await editStatus(api, data, error.reason === 'too-big' ? en.fileTooBig : en.fileUnavailable);
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
      await editStatus(api, data, messageForBadImage(error.problem));
      return finish('bad-input');
    }
    throw error;
  }

  options.metrics.preprocessSeconds.observe({ model: result.model }, result.ms.preprocess / 1000);
  options.metrics.inferenceSeconds.observe({ model: result.model }, result.ms.inference / 1000);
  await editStatus(api, data, formatAnswer(result, options.answer));
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
      editStatus(options.api, job.data, en.failed).catch((editError: unknown) =>
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
