/**
 * How many photos each person sent in a fixed time window, shared by every bot instance through Redis: the storage
 * half of the rate limit (the policy is `bot/rate-limit.ts`). Not forgotten by /forget: each counter expires after
 * two windows anyway, and forgetting it would let anyone reset their own limit.
 */
import type { Redis } from 'ioredis';
import { StoreKeys } from './store-keys.ts';

export class PhotoCounter {
  private readonly keys: StoreKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = new StoreKeys(prefix);
  }

  /** Counts one more photo of this person in window number `window`; resolves to the count so far, this one included. */
  async increment(userId: number, window: number, expireSeconds: number): Promise<number> {
    const key = this.keys.rateLimit(userId, window);
    const results = await this.redis.multi().incr(key).expire(key, expireSeconds).exec();
    return Number(results?.[0]?.[1] ?? 0);
  }
}
