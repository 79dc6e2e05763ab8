/**
 * How a chat job's answer goes out, shared by the photo's and the video's answers: the reply in text, or a photo with
 * a caption (the numbered photo of several dogs, a video's shown frame), each sent once (send-once.ts); then the
 * context its buttons need stored, and the buttons added.
 */
import { GrammyError, InputFile } from 'grammy';
import type { InlineKeyboardMarkup, PhotoSize } from 'grammy/types';
import type { Logger } from '../ops/index.ts';
import { isRedisUnavailable } from '../queue/index.ts';
import type { DogContext } from '../store/index.ts';
import { ignoreNotModified } from '../telegram/index.ts';
import type { Classification } from '../vision/index.ts';
import type { PhotoWorkerOptions } from './photo-worker.ts';
import { type PhotoJob, type SendContext, type SentAnswers, sendOnce } from './send-once.ts';

const HTML = { parse_mode: 'HTML', link_preview_options: { is_disabled: true } } as const;

/** What a job's handling needs besides the job: the options, its log, and what this process sent. */
export interface JobContext {
  options: PhotoWorkerOptions;
  log: Logger;
  sent: SentAnswers;
}

function sendContext({ log, options, sent }: JobContext): SendContext {
  return { log, metrics: options.metrics, sent };
}

/** The job's reply in text (an answer, or why there is none), sent once. */
export function replyInText(job: PhotoJob, context: JobContext, text: string): Promise<number> {
  const { chatId, messageId } = job.data;
  return sendOnce(job, sendContext(context), async () => {
    const sent = await context.options.api.sendMessage(chatId, text, {
      ...HTML,
      reply_parameters: { message_id: messageId, allow_sending_without_reply: true },
    });
    return sent.message_id;
  });
}

/** A photo answer as sent: its message, and (when this run sent it) Telegram's largest size of the photo. */
export interface SentPhoto {
  messageId: number;
  /** Absent when an earlier run sent it (its sizes are not kept). */
  largest?: PhotoSize;
}

/**
 * Sends the photo `jpeg()` makes, with `caption`, as the job's answer (once). Undefined when Telegram refused the
 * photo itself (400: say, a panorama beyond its proportions, which a retry would not fix): the caller answers in text.
 */
export async function replyWithPhoto(
  job: PhotoJob,
  context: JobContext,
  jpeg: () => Promise<Buffer>,
  caption: string,
  fileName: string,
): Promise<SentPhoto | undefined> {
  const { api } = context.options;
  const data = job.data;
  let largest: PhotoSize | undefined;
  try {
    const messageId = await sendOnce(job, sendContext(context), async () => {
      const sent = await api.sendPhoto(data.chatId, new InputFile(await jpeg(), fileName), {
        caption,
        parse_mode: 'HTML',
        reply_parameters: { message_id: data.messageId, allow_sending_without_reply: true },
      });
      largest = sent.photo?.at(-1);
      return sent.message_id;
    });
    return largest ? { messageId, largest } : { messageId };
  } catch (error) {
    if (error instanceof GrammyError && error.error_code === 400) {
      context.log.warn({ detail: error.description }, 'the photo answer was refused: answering in text');
      return undefined;
    }
    throw error;
  }
}

/**
 * Stores what the buttons under answer message `messageId` need, then adds `markup` (when given) to it: buttons
 * appear only once their context is stored. A context that could not be stored is logged; the answer stands.
 * `file`: the photo the feedback is about, when not the job's own file (a video's shown frame).
 */
export async function addButtons(
  job: PhotoJob,
  { options, log }: JobContext,
  result: Classification,
  answer: {
    messageId: number;
    markup?: InlineKeyboardMarkup | undefined;
    dogs?: DogContext[] | undefined;
    file?: { fileId: string; fileUniqueId: string } | undefined;
  },
): Promise<void> {
  const { chatId } = job.data;
  await options.replies
    .remember({ ...job.data, ...answer.file }, result, answer.messageId, answer.dogs)
    .catch(unlessRedisAway((error) => log.warn({ err: error }, 'could not store the answer context')));
  if (answer.markup) {
    await ignoreNotModified(
      options.api.editMessageReplyMarkup(chatId, answer.messageId, { reply_markup: answer.markup }),
    );
  }
}

/**
 * For a write whose loss costs the person nothing essential: its failure is only logged — unless Redis is away or
 * refusing writes, which the job waits out (holdUntilRedisTakesWrites) before it tries again, the answer not resent.
 */
export function unlessRedisAway(log: (error: unknown) => void): (error: unknown) => void {
  return (error) => {
    if (isRedisUnavailable(error)) throw error;
    log(error);
  };
}
