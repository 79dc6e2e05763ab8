/**
 * The job contract between the bot (producer) and the worker (consumer). A job carries references only — never the
 * photo's bytes: the worker fetches the file from Telegram itself, so Redis stays small and photos are not kept.
 * A "photo job" may carry a video (`media: 'video'`): same queue, same limits, same answer-once path; the names stay
 * "photo" because the queue, its keys and its metrics are shared with every job already in Redis.
 */
import type { Guess } from '../vision/index.ts';

export const PHOTO_QUEUE = 'photos';

/** How a video came: a video, a GIF (Telegram's MP4 "animation"), or a round video note. Its answer says which. */
export type VideoKind = 'video' | 'animation' | 'video-note';

/** One photo (or video) to classify and answer. */
export interface PhotoJobData {
  chatId: number;
  /** The person's message holding the photo. */
  messageId: number;
  /** Telegram file id of the photo (largest size) or image document. */
  fileId: string;
  fileUniqueId: string;
  /** File size as Telegram reported it, when known. */
  fileSize?: number;
  userId: number;
  /** The person's Telegram language (IETF tag), for the answer's language. */
  languageCode?: string;
  /**
   * The answer's language as the bot resolved it when the photo came (their /language choice, else Telegram's), so
   * the worker need not ask Redis again; absent in jobs queued by a bot older than this field.
   */
  locale?: string;
  /** A video (sampled frame by frame) rather than a photo; absent in a photo's job, and in jobs older than videos. */
  media?: 'video';
  /** For a video: what kind of message brought it (the answer's wording: "your GIF", "your video note"). */
  videoKind?: VideoKind;
}

/**
 * `expired`: the photo waited past PHOTO_MAX_AGE_SECONDS (Telegram or the workers away) and got an apology.
 * `no-video-decoder`: a video came to a worker without ffmpeg, and got a kind note (the operator's to fix).
 */
export type PhotoOutcome = 'answered' | 'not-a-dog' | 'bad-input' | 'file-unavailable' | 'expired' | 'no-video-decoder';

export interface PhotoJobResult {
  outcome: PhotoOutcome;
  /** Breed ids, most likely first (empty when there was nothing to classify). */
  top: Guess[];
  dogScore: number | null;
  model: string | null;
  /** Time from the update's arrival to the edited answer, when known. */
  ms: number;
}

/**
 * One job per photo message: a re-delivered update (Telegram sends it again when the bot did not confirm it in time)
 * maps to the same id, and BullMQ does not add a job whose id exists. BullMQ ids must not contain ':'.
 */
export function photoJobId(chatId: number, messageId: number): string {
  return `photo_${chatId}_${messageId}`;
}
