/**
 * Per-user rate limit, shared by every bot instance through Redis (the photos live in `PhotoCounter`): a sliding
 * window of `windowSeconds` allowing `limit` photos, so a burst across a window boundary gets `limit` through, not
 * twice that. Over the limit, the person is told once per window, not once per photo.
 */
import type { Redis } from 'ioredis';
import { PhotoCounter } from '../store/index.ts';

export interface RateLimitOptions {
  redis: Redis;
  prefix: string;
  limit: number;
  windowSeconds: number;
  /** Milliseconds since the epoch; tests pass their own to cross windows without waiting. */
  clock?: () => number;
}

export type RateDecision = { allowed: true } | { allowed: false; warn: boolean; retryAfterSeconds: number };

export class PhotoRateLimiter {
  private readonly counter: PhotoCounter;
  private readonly clock: () => number;

  constructor(private readonly options: RateLimitOptions) {
    this.counter = new PhotoCounter(options.redis, options.prefix);
    this.clock = options.clock ?? Date.now;
  }

  async take(userId: number): Promise<RateDecision> {
    const { limit, windowSeconds } = this.options;
    const taken = await this.counter.take(userId, this.clock(), windowSeconds * 1000, limit);
    if (taken.allowed) return { allowed: true };
    return { allowed: false, warn: taken.warn, retryAfterSeconds: Math.max(1, Math.ceil(taken.retryAfterMs / 1000)) };
  }
}
