/**
 * What the feedback buttons under an answer need to know about it: which photo (Telegram file ids — never the bytes),
 * which model, its top-3 (of each dog, with its box, when the answer names several), and who sent it. The worker stores one per answer message when it answers; the bot looks it
 * up by (chat id, answer message id) when someone presses 👍/👎. Kept as long as the answer history
 * (HISTORY_RETENTION_DAYS; 0 = not kept, and answers get no feedback buttons).
 *
 * Keys: `<prefix>:answer:<chatId>:<messageId>` (a string with a TTL) and, so /forget can find them,
 * `<prefix>:answers-of:<userId>` (a sorted set of "chatId:messageId" by time, trimmed to the retention on every write).
 */
import type { Redis } from 'ioredis';
import type { Box, Guess } from '../vision/index.ts';
import type { PersonalStore } from './personal-stores.ts';
import { StoreKeys } from './store-keys.ts';

/** One dog of an answer about several, as its buttons need it. */
export interface DogContext {
  /** The number people see on the photo (1-based, left to right). */
  number: number;
  /** Where it is, in the photo's pixels after EXIF orientation (the export crops it). */
  box: Box | null;
  top: Guess[];
}

export interface AnswerContext {
  chatId: number;
  /** The answer message (the edited status message): the one the buttons sit under. */
  messageId: number;
  /** The person's photo message. */
  photoMessageId: number;
  /** Who sent the photo. */
  userId: number;
  fileId: string;
  fileUniqueId: string;
  model: string;
  /** The top-3 of the answer (of the main dog when there are several). */
  top: Guess[];
  /** Only for an answer about several dogs: the dogs that have buttons, and the frame their boxes are in. */
  dogs?: DogContext[];
  photo?: { width: number; height: number };
  /** When answered, epoch ms. */
  at: number;
}

/** What one button judges: the answer as a whole (no number), or dog `number` of an answer about several. */
export interface JudgedDog {
  number?: number;
  box?: Box | null;
  top: Guess[];
}

/** The dog a button with `number` (or none) is about; undefined for a number the answer does not have. */
export function judgedDog(context: AnswerContext, number: number | undefined): JudgedDog | undefined {
  if (number === undefined) return { top: context.top };
  return context.dogs?.find((dog) => dog.number === number);
}

export class AnswerContextStore implements PersonalStore {
  private readonly keys: StoreKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    /** How long contexts are kept; 0 = not at all. */
    private readonly retentionSeconds: number,
  ) {
    this.keys = new StoreKeys(prefix);
  }

  get enabled(): boolean {
    return this.retentionSeconds >= 1;
  }

  async save(context: AnswerContext): Promise<void> {
    if (!this.enabled) return;
    const ttl = Math.round(this.retentionSeconds);
    const index = this.keys.answersOf(context.userId);
    await this.redis
      .multi()
      .set(this.keys.answer(context.chatId, context.messageId), JSON.stringify(context), 'EX', ttl)
      .zadd(index, context.at, `${context.chatId}:${context.messageId}`)
      .zremrangebyscore(index, '-inf', `(${context.at - ttl * 1000}`)
      .expire(index, ttl)
      .exec();
  }

  async get(chatId: number, messageId: number): Promise<AnswerContext | undefined> {
    const json = await this.redis.get(this.keys.answer(chatId, messageId));
    if (json === null) return undefined;
    try {
      return JSON.parse(json) as AnswerContext;
    } catch {
      return undefined;
    }
  }

  /** Deletes every answer context of this person's photos; returns how many there were. */
  async forget(userId: number): Promise<number> {
    const index = this.keys.answersOf(userId);
    const members = await this.redis.zrange(index, '0', '-1');
    const keys = members.map((m) => {
      const [chatId, messageId] = m.split(':');
      return this.keys.answer(Number(chatId), Number(messageId));
    });
    const deleted = keys.length > 0 ? await this.redis.del(...keys) : 0;
    await this.redis.del(index);
    return deleted;
  }
}
