/**
 * The answer read from a video: the frame the vision core was surest of, shown as a photo (with the numbered boxes
 * when several dogs were seen), its caption the answer's usual words and a last line saying it came from the video's
 * frames. And the kind message for a video that could not be read.
 */
import type { InlineKeyboardMarkup } from 'grammy/types';
import { htmlTextLength, type Locale, type Texts } from '../i18n/index.ts';
import type { DogContext } from '../store/index.ts';
import type { VideoClassification, VideoInputProblem } from '../vision/index.ts';
import type { DogMark } from './dog-marks.ts';
import { type AnswerOptions, MAX_CAPTION_LENGTH, renderReply } from './render.ts';

/** How the video came (the queue's VideoKind): the answer's last line names it. */
export type VideoKindWord = 'video' | 'animation' | 'video-note';

export interface VideoReply {
  /** The answer as the shown frame's caption; absent when it would pass Telegram's caption limit (sent in text). */
  caption?: string;
  /** The same answer in text, for when the frame cannot be sent. */
  text: string;
  markup?: InlineKeyboardMarkup;
  /** Numbered boxes to draw on the frame: several dogs; none for one. */
  marks: DogMark[];
  /** The dogs with buttons of an answer about several (their answer context). */
  dogs?: DogContext[];
}

/** The reply to a video's classification, in `locale`: the answer's words and buttons, and "From 6 frames of…". */
export function renderVideoReply(
  result: VideoClassification,
  kind: VideoKindWord,
  options: AnswerOptions,
  texts: Texts,
  locale: Locale,
  withFeedback: boolean,
): VideoReply {
  const fromFrames = `\n\n${texts.t(locale, 'video-from-frames', { frames: result.video.framesRead, kind })}`;
  // The caption about several dogs is made shorter, if need be, to leave room for the line about the frames.
  const captionRoom = MAX_CAPTION_LENGTH - htmlTextLength(fromFrames);
  const reply = renderReply(result, options, texts, locale, withFeedback, { media: 'video', captionRoom });
  const text = `${reply.kind === 'text' ? reply.text : reply.caption}${fromFrames}`;
  return {
    ...(htmlTextLength(text) <= MAX_CAPTION_LENGTH ? { caption: text } : {}),
    text,
    ...(reply.markup ? { markup: reply.markup } : {}),
    marks: reply.kind === 'several-dogs' ? reply.marks : [],
    ...(reply.kind === 'several-dogs' ? { dogs: reply.dogs } : {}),
  };
}

/** The kind message for a video the vision core could not read: what went wrong, and what to send instead. */
export function videoProblemText(
  texts: Texts,
  locale: Locale,
  problem: VideoInputProblem,
  limits: { maxDurationS: number },
): string {
  if (problem !== 'too-long') return texts.t(locale, `video-${problem}`);
  const { maxDurationS } = limits;
  const inMinutes = maxDurationS % 60 === 0;
  return texts.t(locale, 'video-too-long', {
    unit: inMinutes ? 'minutes' : 'seconds',
    count: inMinutes ? maxDurationS / 60 : maxDurationS,
  });
}
