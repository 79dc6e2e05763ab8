/**
 * Per-user rate limit, shared by every bot instance through Redis (the counts live in `PhotoCounter`): a fixed window
 * of `windowSeconds` allowing `limit` photos. Over the limit, the person is told once per window, not once per photo.
 */
import type { Redis } from 'ioredis';
import { PhotoCounter } from '../store/index.ts';

export interface RateLimitOptions {
  redis: Redis;
  prefix: string;
  limit: number;
  windowSeconds: number;
}

export type RateDecision = { allowed: true } | { allowed: false; warn: boolean; retryAfterSeconds: number };

export class PhotoRateLimiter {
  private readonly counter: PhotoCounter;

  constructor(private readonly options: RateLimitOptions) {
    this.counter = new PhotoCounter(options.redis, options.prefix);
  }

  async take(userId: number, now = Date.now()): Promise<RateDecision> {
    const { limit, windowSeconds } = this.options;
    const window = Math.floor(now / 1000 / windowSeconds);
    const count = await this.counter.increment(userId, window, windowSeconds * 2);
    if (count <= limit) return { allowed: true };
    const retryAfterSeconds = Math.max(1, Math.ceil((window + 1) * windowSeconds - now / 1000));
    // The first photo over the limit in this window gets the warning: INCR said exactly limit + 1.
    return { allowed: false, warn: count === limit + 1, retryAfterSeconds };
  }
}
