/**
 * After 👎, the person may type the right breed instead of tapping it. This remembers, for a few minutes, which answer
 * a person is correcting in which chat, so their next text there is read as a breed name.
 *
 * Redis: the hash `<prefix>:awaiting-breed:<userId>`, field chat id → JSON {messageId, dog?, until}, expiring as a whole
 * (each entry also carries its own deadline).
 */
import type { Redis } from 'ioredis';
import type { PersonalStore } from './personal-stores.ts';
import { StoreKeys } from './store-keys.ts';

export const AWAITING_SECONDS = 10 * 60;

/** The answer being corrected: its message, and the dog's number when the answer names several. */
export interface AnswerBeingCorrected {
  messageId: number;
  dog?: number;
}

export class AwaitingBreedName implements PersonalStore {
  private readonly keys: StoreKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly seconds = AWAITING_SECONDS,
  ) {
    this.keys = new StoreKeys(prefix);
  }

  async start(userId: number, chatId: number, answer: AnswerBeingCorrected, now = Date.now()): Promise<void> {
    const key = this.keys.awaitingBreed(userId);
    await this.redis
      .multi()
      .hset(key, String(chatId), JSON.stringify({ ...answer, until: now + this.seconds * 1000 }))
      .expire(key, this.seconds)
      .exec();
  }

  /** The answer (and dog) this person is correcting in this chat, if they still are. */
  async get(userId: number, chatId: number, now = Date.now()): Promise<AnswerBeingCorrected | undefined> {
    const json = await this.redis.hget(this.keys.awaitingBreed(userId), String(chatId));
    if (json === null) return undefined;
    try {
      const { messageId, dog, until } = JSON.parse(json) as AnswerBeingCorrected & { until: number };
      if (until < now) return undefined;
      return dog === undefined ? { messageId } : { messageId, dog };
    } catch {
      return undefined;
    }
  }

  async stop(userId: number, chatId: number): Promise<void> {
    await this.redis.hdel(this.keys.awaitingBreed(userId), String(chatId));
  }

  /** Forgets every pending correction of this person (one hash); 1 when there was one, else 0. */
  async forget(userId: number): Promise<number> {
    return this.redis.del(this.keys.awaitingBreed(userId));
  }
}
