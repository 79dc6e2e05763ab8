/**
 * The consumer: takes photo jobs, downloads the photo through the Bot API, classifies it with the vision core
 * (concurrent jobs share micro-batches), and answers with one reply to the person's photo, keeping "typing…" up
 * meanwhile (a chat action, renewed every few seconds, stopped before the answer goes out).
 *
 * Sent once: the answer's message id is written into the job's data as soon as it is sent, so a retry (or a worker
 * taking over a stalled job) finishes the job without sending it again. Telegram has no idempotency keys, so a lost
 * response on the answer's own call means a second, complete answer at worst — never one left unfinished.
 *
 * Several dogs: the answer is the photo with the dogs' numbered boxes, the answer as its caption; its buttons are added
 * once the context they need is stored.
 *
 * Jobs queued by an older bot carry its "Looking at your photo…" status message: that message is edited into the
 * answer (or deleted, or turned into a pointer, when the answer is the numbered photo), as before.
 *
 * Outcomes: a person's bad file is answered kindly and the job completes (retrying cannot fix it); a transient
 * failure (Telegram or Redis hiccup) throws so BullMQ retries with backoff; the last failed attempt sends an apology
 * (unless the answer was already sent).
 */
import { type Job, Worker } from 'bullmq';
import { type Api, GrammyError, InputFile } from 'grammy';
import type { InlineKeyboardMarkup } from 'grammy/types';
import type { Redis } from 'ioredis';
import type { Locale } from '../i18n/index.ts';
import type { Logger, Metrics } from '../ops/index.ts';
import { NO_STATUS_MESSAGE, PHOTO_QUEUE, type PhotoJobData, type PhotoJobResult } from '../queue/index.ts';
import type { AnswerOptions, Reply } from '../reply/index.ts';
import { drawDogMarks } from '../reply/index.ts';
import type { DogContext, PredictionHistory } from '../store/index.ts';
import { downloadTelegramFile, FileDownloadError, ignoreNotModified, keepTyping } from '../telegram/index.ts';
import type { Classification } from '../vision/index.ts';
import { type Classifier, guessesOf, isImageInputError } from '../vision/index.ts';
import type { PhotoReplies } from './photo-replies.ts';

/** A photo job as the worker keeps it: the contract, plus what was already sent (so a retry does not send it again). */
export interface PhotoJobProgress extends PhotoJobData {
  /** The answer once sent: the reply in text, or the numbered photo about several dogs. */
  answerMessageId?: number;
}

type PhotoJob = Job<PhotoJobProgress, PhotoJobResult>;

export interface PhotoWorkerOptions {
  connection: Redis;
  prefix: string;
  concurrency: number;
  /** Job lock and stalled-job check (see JOB_LOCK_MS, STALLED_INTERVAL_MS). */
  locks: { lockDuration: number; stalledInterval: number };
  /** The vision core (only `classify` is used). */
  classifier: Pick<Classifier, 'classify'>;
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
 * Sends `text` (with the buttons, if any) as a reply to the photo; for a job of an older bot, edits its status message
 * instead, tolerating "not modified" (a job run twice) and a deleted status (replies anew). Returns the id of the
 * message that holds the text.
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

/**
 * The status message once the answer is a message of its own: deleted (already gone is fine: a retry, or the person
 * deleted it); where Telegram will not delete it (too old, no right to), edited into `pointer` if given.
 */
export async function retireStatus(api: Api, data: PhotoJobData, pointer?: string): Promise<void> {
  if (data.statusMessageId === NO_STATUS_MESSAGE) return;
  try {
    await api.deleteMessage(data.chatId, data.statusMessageId);
  } catch (error) {
    if (!(error instanceof GrammyError && error.error_code === 400)) throw error;
    if (/not found/i.test(error.description) || pointer === undefined) return;
    await ignoreNotModified(api.editMessageText(data.chatId, data.statusMessageId, pointer, HTML));
  }
}

/**
 * The job's reply in text (an answer, or why there is none), sent once: an earlier attempt's reply is kept, and a new
 * one's id goes into the job's data before anything else can fail.
 */
async function replyInText(job: PhotoJob, api: Api, text: string, markup?: InlineKeyboardMarkup): Promise<number> {
  const sent = job.data.answerMessageId;
  if (sent !== undefined) return sent;
  const messageId = await editStatus(api, job.data, text, markup);
  if (messageId !== job.data.statusMessageId) await job.updateData({ ...job.data, answerMessageId: messageId });
  return messageId;
}

/**
 * Sends the answer about several dogs: the numbered photo (once: its id goes into the job's data before anything
 * else), the context its buttons need, then the buttons, then the status message retired. Returns the photo's
 * message id, or undefined when Telegram refused the photo itself (the caller answers in text instead).
 */
async function sendSeveralDogs(
  job: PhotoJob,
  options: PhotoWorkerOptions,
  bytes: Buffer,
  result: Classification,
  reply: Extract<Reply, { kind: 'several-dogs' }>,
  log: Logger,
): Promise<number | undefined> {
  const { api } = options;
  const data = job.data;
  let messageId = data.answerMessageId;
  if (messageId === undefined) {
    const annotated = await drawDogMarks(bytes, reply.marks, result.photo);
    try {
      const sent = await api.sendPhoto(data.chatId, new InputFile(annotated, 'dogs.jpg'), {
        caption: reply.caption,
        parse_mode: 'HTML',
        reply_parameters: { message_id: data.messageId, allow_sending_without_reply: true },
      });
      messageId = sent.message_id;
    } catch (error) {
      // A 400 for the photo (say, a panorama beyond Telegram's proportions) will not pass on a retry either.
      if (error instanceof GrammyError && error.error_code === 400) {
        log.warn({ detail: error.description }, 'the numbered photo was refused: answering in text');
        return undefined;
      }
      throw error;
    }
    await job.updateData({ ...data, answerMessageId: messageId });
  }
  await addButtons(job, options, result, { messageId, markup: reply.markup, dogs: reply.dogs }, log);
  await retireStatus(api, data, reply.pointer);
  return messageId;
}

/** The answer, in text (one dog, or the whole photo) or as the numbered photo (several dogs). */
async function sendAnswer(
  job: PhotoJob,
  options: PhotoWorkerOptions,
  bytes: Buffer,
  result: Classification,
  locale: Locale,
  log: Logger,
): Promise<void> {
  const { api } = options;
  const data = job.data;
  const reply = options.replies.answer(result, locale, options.answer);
  const answeredWithPhoto =
    reply.kind === 'several-dogs' ? await sendSeveralDogs(job, options, bytes, result, reply, log) : undefined;
  if (answeredWithPhoto === undefined) {
    // Numbered left to right, the answer about several dogs reads without the photo too.
    const text = reply.kind === 'text' ? reply.text : reply.caption;
    const dogs = reply.kind === 'several-dogs' ? reply.dogs : undefined;
    // The buttons appear only once what they need is stored: an older bot's status message is edited with them; a
    // new reply (its id unknown before it is sent) gets them right after.
    const status = data.statusMessageId === NO_STATUS_MESSAGE ? undefined : data.statusMessageId;
    if (status !== undefined) await addButtons(job, options, result, { messageId: status, dogs }, log);
    const answeredIn = await replyInText(job, api, text, status === undefined ? undefined : reply.markup);
    if (answeredIn !== status) {
      await addButtons(job, options, result, { messageId: answeredIn, markup: reply.markup, dogs }, log);
    }
  }
}

/**
 * Stores what the buttons under answer message `messageId` need, then adds `markup` (when given) to it: buttons
 * appear only once their context is stored. A context that could not be stored is logged; the answer stands.
 */
async function addButtons(
  job: PhotoJob,
  options: PhotoWorkerOptions,
  result: Classification,
  answer: { messageId: number; markup?: InlineKeyboardMarkup | undefined; dogs?: DogContext[] | undefined },
  log: Logger,
): Promise<void> {
  const { chatId } = job.data;
  await options.replies
    .remember(job.data, result, answer.messageId, answer.dogs)
    .catch((error: unknown) => log.warn({ err: error }, 'could not store the answer context'));
  if (answer.markup) {
    await ignoreNotModified(
      options.api.editMessageReplyMarkup(chatId, answer.messageId, { reply_markup: answer.markup }),
    );
  }
}

/** The main dog's answer in the history (for /stats and `reprocess`); losing it must not cost the person the answer. */
async function recordAnswer(
  job: PhotoJob,
  options: PhotoWorkerOptions,
  result: Classification,
  outcome: PhotoJobResult['outcome'],
  log: Logger,
): Promise<void> {
  const data = job.data;
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
      top: guessesOf(result.top),
      ms: Date.now() - job.timestamp,
      at: Date.now(),
    })
    .catch((error: unknown) => log.warn({ err: error }, 'could not record the answer in the history'));
}

/** What looking at the photo came to: its classification, or the reason there is none (the reply says it). */
type LookedAt =
  | { kind: 'classified'; bytes: Buffer; result: Classification }
  | { kind: 'refused'; outcome: 'file-unavailable' | 'bad-input'; text: string };

/** Downloads and classifies the photo; a person's bad file is a refusal, anything transient throws (a retry). */
async function lookAtPhoto(data: PhotoJobData, options: PhotoWorkerOptions, locale: Locale, log: Logger) {
  let bytes: Buffer;
  try {
    bytes = await downloadTelegramFile(options.api, options.telegram, data.fileId);
  } catch (error) {
    if (error instanceof FileDownloadError && error.reason !== 'transient') {
      log.warn({ reason: error.reason, detail: error.message }, 'photo file unavailable');
      // The job does not say whether a photo or a file came: "send a smaller one" fits both.
      const key = error.reason === 'too-big' ? 'photo-too-big' : 'file-unavailable';
      return { kind: 'refused', outcome: 'file-unavailable', text: options.replies.text(locale, key) } as const;
    }
    throw error;
  }
  try {
    return { kind: 'classified', bytes, result: await options.classifier.classify(bytes) } as const;
  } catch (error) {
    if (isImageInputError(error)) {
      log.warn({ problem: error.problem, bytes: bytes.length, detail: error.message }, 'bad image');
      return { kind: 'refused', outcome: 'bad-input', text: options.replies.badImage(locale, error.problem) } as const;
    }
    throw error;
  }
}

async function processPhoto(job: PhotoJob, options: PhotoWorkerOptions): Promise<PhotoJobResult> {
  const { api, logger } = options;
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

  // "typing…" until the answer is ready; stopped before it is sent (a renewal after it would show "typing…" again).
  // The bot sent one as it queued the job (job.timestamp): the first renewal is due when that one ends.
  const typing = keepTyping(
    api,
    data.chatId,
    (error) => log.debug({ err: error }, 'chat action not renewed'),
    job.attemptsMade === 0 ? job.timestamp : undefined,
  );
  let looked: LookedAt;
  let locale: Locale;
  try {
    locale = await options.replies.localeFor(data);
    looked = await lookAtPhoto(data, options, locale, log);
  } finally {
    typing.stop();
  }
  if (looked.kind === 'refused') {
    await replyInText(job, api, looked.text);
    return finish(looked.outcome);
  }

  const { bytes, result } = looked;
  options.metrics.preprocessSeconds.observe({ model: result.model }, result.ms.preprocess / 1000);
  options.metrics.inferenceSeconds.observe({ model: result.model }, result.ms.inference / 1000);
  await sendAnswer(job, options, bytes, result, locale, log);
  const outcome = result.isDog ? 'answered' : 'not-a-dog';
  const top = guessesOf(result.top);
  await recordAnswer(job, options, result, outcome, log);
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
    },
    'photo answered',
  );
  return finish(outcome, { top, dogScore: result.dogScore, model: result.model });
}

export function startPhotoWorker(options: PhotoWorkerOptions): Worker<PhotoJobProgress, PhotoJobResult> {
  const worker = new Worker<PhotoJobProgress, PhotoJobResult>(PHOTO_QUEUE, (job) => processPhoto(job, options), {
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
      // The answer already went out: no apology, just an old bot's status message out of the way.
      const answered = job.data.answerMessageId !== undefined;
      options.replies
        .localeFor(job.data)
        .then(async (locale) => {
          if (answered) await retireStatus(options.api, job.data);
          else await editStatus(options.api, job.data, options.replies.text(locale, 'failed'));
        })
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
