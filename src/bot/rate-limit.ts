/**
 * Per-user rate limit, shared by every bot instance through Redis (the photos live in `PhotoCounter`): a sliding
 * window of `windowSeconds` allowing `limit` photos to go to the queue, so a burst across a window boundary gets
 * `limit` through at once, not twice that. A photo past the limit is not dropped: it goes to the queue delayed until
 * the window frees a slot for it (a Telegram album alone holds 10 photos), the person told once per backlog; only
 * when `maxWaiting` photos already wait is one skipped, and each skipped photo is told so.
 *
 * Each photo also gets its queue priority here: its place among the person's photos in the window (1 for the first).
 * When many people send several photos at once, everyone's first photo is served before anyone's second. It counts
 * from the same expiring set as the limit, so it needs no decrement when a job ends: a worker that dies, a retry or a
 * takeover cannot leave a person's count wrong.
 */
import type { Redis } from 'ioredis';
import { PhotoCounter } from '../store/index.ts';

export interface RateLimitOptions {
  redis: Redis;
  prefix: string;
  limit: number;
  windowSeconds: number;
  /** Photos that may wait for a slot at once; default twice the limit (an album and more). */
  maxWaiting?: number;
  /** Milliseconds since the epoch; tests pass their own to cross windows without waiting. */
  clock?: () => number;
}

/**
 * `now`: to the queue at once; `later`: to the queue with `delayMs` (when the window frees a slot), `tell` on the
 * first photo of a backlog; `skipped`: too many waiting already (it may come again in `retryAfterSeconds`).
 * `priority` is BullMQ's (1 goes first): the photo's place among the person's photos in the window.
 */
export type RateDecision =
  | { kind: 'now'; priority: number; delayMs: 0; tell: false }
  | { kind: 'later'; priority: number; delayMs: number; tell: boolean }
  | { kind: 'skipped'; retryAfterSeconds: number };

export class PhotoRateLimiter {
  private readonly counter: PhotoCounter;
  private readonly clock: () => number;
  readonly limit: number;
  readonly windowSeconds: number;
  private readonly maxWaiting: number;

  constructor(options: RateLimitOptions) {
    this.counter = new PhotoCounter(options.redis, options.prefix);
    this.clock = options.clock ?? Date.now;
    this.limit = options.limit;
    this.windowSeconds = options.windowSeconds;
    this.maxWaiting = options.maxWaiting ?? 2 * options.limit;
  }

  async take(userId: number): Promise<RateDecision> {
    const taken = await this.counter.take(userId, this.clock(), this.windowSeconds * 1000, this.limit, this.maxWaiting);
    if (!taken.taken) return { kind: 'skipped', retryAfterSeconds: Math.max(1, Math.ceil(taken.retryAfterMs / 1000)) };
    if (taken.delayMs <= 0) return { kind: 'now', priority: taken.place, delayMs: 0, tell: false };
    return { kind: 'later', priority: taken.place, delayMs: taken.delayMs, tell: taken.tell };
  }
}
