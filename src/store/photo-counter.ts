/**
 * The photos each person sent in the last window (a sliding window), shared by every bot instance through Redis: the
 * storage half of the rate limit (the policy is `bot/rate-limit.ts`). One Lua script checks and records a photo, so
 * that replicas taking photos of the same person at once cannot both see room for the last one. Not forgotten by
 * /forget: the keys expire after two windows anyway, and forgetting them would let anyone reset their own limit.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { StoreKeys } from './store-keys.ts';

/**
 * KEYS[1]: sorted set of the photos let through, scored by ms; KEYS[2]: when the person was last told to slow
 * down (ms; compared with `now`, not left to a TTL, so that the caller's clock alone decides).
 * ARGV: now (ms), window (ms), limit, a unique member for this photo. The set is kept two windows, as the fixed
 * counters were, so a burst's count can still be read a window after it.
 * Returns {allowed (0|1), photos in the window, warn (0|1), ms until a photo is let through again}.
 */
const TAKE_SCRIPT = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], 2 * window)
  return {1, count + 1, 0, 0}
end
local oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
local warnedAt = redis.call('GET', KEYS[2])
local warn = 0
if not warnedAt or now - tonumber(warnedAt) >= window then
  redis.call('SET', KEYS[2], now, 'PX', 2 * window)
  warn = 1
end
return {0, count, warn, oldest + window - now}
`;

export interface PhotoTake {
  allowed: boolean;
  /** Photos let through in the window, this one included when allowed. */
  count: number;
  /** Refused, and the first refusal this window: the one to tell the person about. */
  warn: boolean;
  /** When refused: ms until the oldest photo leaves the window and another is let through. */
  retryAfterMs: number;
}

export class PhotoCounter {
  private readonly keys: StoreKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = new StoreKeys(prefix);
  }

  /** Lets this person's photo through if fewer than `limit` were let through in the `windowMs` before `nowMs`. */
  async take(userId: number, nowMs: number, windowMs: number, limit: number): Promise<PhotoTake> {
    const reply = (await this.redis.eval(
      TAKE_SCRIPT,
      2,
      this.keys.rateLimit(userId),
      this.keys.rateLimitWarned(userId),
      Math.floor(nowMs),
      Math.floor(windowMs),
      limit,
      `${Math.floor(nowMs)}:${randomUUID()}`,
    )) as [number, number, number, number];
    const [allowed, count, warn, retryAfterMs] = reply;
    return { allowed: allowed === 1, count, warn: warn === 1, retryAfterMs };
  }
}
