/**
 * The job contract between the bot (producer) and the worker (consumer). A job carries references only — never the
 * photo's bytes: the worker fetches the file from Telegram itself, so Redis stays small and photos are not kept.
 */
import type { Guess } from '../vision/index.ts';

export const PHOTO_QUEUE = 'photos';

/** One photo to classify and answer. */
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
}

/** `expired`: the photo waited past PHOTO_MAX_AGE_SECONDS (Telegram or the workers away) and got an apology. */
export type PhotoOutcome = 'answered' | 'not-a-dog' | 'bad-input' | 'file-unavailable' | 'expired';

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
