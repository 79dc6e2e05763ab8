/**
 * Per-user rate limit, shared by every bot instance through Redis: a fixed window of `windowSeconds` allowing
 * `limit` photos. Over the limit, the person is told once per window, not once per photo.
 */
import type { Redis } from 'ioredis';

export interface RateLimitOptions {
  redis: Redis;
  prefix: string;
  limit: number;
  windowSeconds: number;
}

export type RateDecision = { allowed: true } | { allowed: false; warn: boolean; retryAfterSeconds: number };

export class PhotoRateLimiter {
  constructor(private readonly options: RateLimitOptions) {}

  async take(userId: number, now = Date.now()): Promise<RateDecision> {
    const { redis, prefix, limit, windowSeconds } = this.options;
    const window = Math.floor(now / 1000 / windowSeconds);
    const key = `${prefix}:ratelimit:${userId}:${window}`;
    const results = await redis
      .multi()
      .incr(key)
      .expire(key, windowSeconds * 2)
      .exec();
    const count = Number(results?.[0]?.[1] ?? 0);
    if (count <= limit) return { allowed: true };
    const retryAfterSeconds = Math.max(1, Math.ceil((window + 1) * windowSeconds - now / 1000));
    // The first photo over the limit in this window gets the warning: INCR said exactly limit + 1.
    return { allowed: false, warn: count === limit + 1, retryAfterSeconds };
  }
}
