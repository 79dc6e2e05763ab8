/**
 * A video's way through the worker, beside the photo's (photo-worker.ts): its bytes read frame by frame by the vision
 * core's VideoReader (ffmpeg bounded in time and memory), and its answer — the frame the reader was surest of, sent
 * as a photo with the numbered boxes when several dogs were seen, the answer and "From 6 frames of your video" as its
 * caption — sent once and given its buttons as a photo's answer is (answer-sending.ts).
 */

import type { Locale } from '../i18n/index.ts';
import { drawDogMarks } from '../reply/index.ts';
import { isVideoInputError, summarizeVideo, type VideoClassification, type VideoReader } from '../vision/index.ts';
import { addButtons, type JobContext, replyInText, replyWithPhoto } from './answer-sending.ts';
import type { LookedAt } from './photo-worker.ts';
import type { PhotoJob } from './send-once.ts';

/** Reads the video; a file that is no readable video is a kind refusal (retrying cannot fix it), logged. */
export async function lookAtVideo(
  bytes: Buffer,
  reader: Pick<VideoReader, 'read' | 'options'>,
  { options, log }: JobContext,
  locale: Locale,
): Promise<LookedAt> {
  try {
    return { kind: 'video', result: await reader.read(bytes, options.classifier) };
  } catch (error) {
    if (!isVideoInputError(error)) throw error;
    log.warn({ problem: error.problem, bytes: bytes.length, detail: error.message }, 'bad video');
    const text = options.replies.videoProblem(locale, error.problem, reader.options);
    return { kind: 'refused', outcome: 'bad-input', text };
  }
}

/**
 * The answer about a video: its shown frame as a photo (numbered boxes for several dogs), the answer as the caption,
 * then the context its buttons need and the buttons. Feedback points at the frame as Telegram stored it (a photo the
 * training data can use), not at the video. A caption past Telegram's limit, or a frame Telegram refuses, is answered
 * in text.
 */
export async function sendVideoAnswer(
  job: PhotoJob,
  context: JobContext,
  result: VideoClassification,
  locale: Locale,
): Promise<void> {
  const { replies, answer } = context.options;
  const kind = job.data.videoKind ?? 'video';
  const reply = replies.videoAnswer(result, kind, locale, answer);
  const { jpeg } = result.video.shownFrame;
  const frame = () => (reply.marks.length > 0 ? drawDogMarks(jpeg, reply.marks, result.photo) : Promise.resolve(jpeg));
  const sent =
    reply.caption === undefined ? undefined : await replyWithPhoto(job, context, frame, reply.caption, 'frame.jpg');
  if (sent !== undefined) {
    const file = sent.largest && { fileId: sent.largest.file_id, fileUniqueId: sent.largest.file_unique_id };
    await addButtons(job, context, result, { messageId: sent.messageId, markup: reply.markup, dogs: reply.dogs, file });
    return;
  }
  // In text, without 👍/👎: feedback would point at the video, which the training data cannot use.
  const inText = replies.videoAnswer(result, kind, locale, answer, false);
  const messageId = await replyInText(job, context, inText.text);
  await addButtons(job, context, result, { messageId, markup: inText.markup, dogs: inText.dogs });
}

/** What the worker's log line about a video's answer adds to a photo's. */
export function videoLogFields(result: VideoClassification) {
  return { media: 'video', ...summarizeVideo(result.video) };
}
