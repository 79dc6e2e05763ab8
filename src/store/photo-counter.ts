/**
 * The photos each person sent in the last window (a sliding window), shared by every bot instance through Redis: the
 * storage half of the rate limit (the policy is `bot/rate-limit.ts`). One Lua script checks and records a photo —
 * now, or at the moment the window frees a slot for it — so that replicas taking photos of the same person at once
 * cannot give two photos one slot. Not forgotten by /forget: the keys expire two windows after the last photo's slot
 * anyway, and forgetting them would let anyone reset their own limit.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { StoreKeys } from './store-keys.ts';

/**
 * KEYS[1]: sorted set of the photos let through, scored by when each goes to the queue (ms; a photo past the limit
 * waits, so its score may lie ahead of `now`); KEYS[2]: until when the person knows their photos wait (ms; compared
 * with `now`, not left to a TTL, so that the caller's clock alone decides).
 * ARGV: now (ms), window (ms), limit, most photos waiting, a unique member for this photo.
 * A photo goes at once while fewer than `limit` are in the window; past it, at the moment the window frees a slot for
 * it — a window after the photo `limit` places before it — so that no window ever holds more than `limit`. Scores
 * only grow, so that slot is the (n − limit + 1)th smallest score plus a window. Past `maxWaiting` photos whose slot
 * lies ahead, the photo is skipped. The set is kept two windows past its last slot, so a burst's count can still be
 * read a window after it.
 * Returns {taken (0|1), ms until it goes (taken) or until a waiting photo goes (skipped), its place among the photos
 * in the window at its slot (1 = the first), tell (0|1: the first photo of a new backlog)}.
 */
const TAKE_SCRIPT = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local maxWaiting = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local at = now
if count >= limit then
  at = tonumber(redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')[2]) + window
  if redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf') >= maxWaiting then
    local first = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)[2]
    return {0, (first and tonumber(first) or at) - now, 0, 0}
  end
end
redis.call('ZADD', KEYS[1], at, ARGV[5])
redis.call('PEXPIRE', KEYS[1], at - now + 2 * window)
local place = redis.call('ZCOUNT', KEYS[1], '(' .. (at - window), '+inf')
local tell = 0
if at > now then
  local toldUntil = tonumber(redis.call('GET', KEYS[2]) or '0')
  if toldUntil < now then tell = 1 end
  if at > toldUntil then redis.call('SET', KEYS[2], at, 'PX', at - now + 2 * window) end
end
return {1, at - now, place, tell}
`;

export type PhotoTake =
  | {
      taken: true;
      /** Ms until the photo goes to the queue: 0 within the limit, else when the window frees a slot for it. */
      delayMs: number;
      /** Its place among the person's photos in the window at that moment: 1 for the first, at most the limit. */
      place: number;
      /** The first photo of a backlog (waiting photos after none): the one to tell the person about. */
      tell: boolean;
    }
  | {
      taken: false;
      /** Ms until the first waiting photo goes, making room for one more to wait. */
      retryAfterMs: number;
    };

export class PhotoCounter {
  private readonly keys: StoreKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = new StoreKeys(prefix);
  }

  /**
   * Gives this person's photo a moment to go to the queue: now if fewer than `limit` went in the `windowMs` before
   * `nowMs`, else the moment a slot frees — unless `maxWaiting` photos already wait for theirs.
   */
  async take(userId: number, nowMs: number, windowMs: number, limit: number, maxWaiting: number): Promise<PhotoTake> {
    const reply = (await this.redis.eval(
      TAKE_SCRIPT,
      2,
      this.keys.rateLimit(userId),
      this.keys.rateLimitWarned(userId),
      Math.floor(nowMs),
      Math.floor(windowMs),
      limit,
      maxWaiting,
      `${Math.floor(nowMs)}:${randomUUID()}`,
    )) as [number, number, number, number];
    const [taken, ms, place, tell] = reply;
    if (taken === 0) return { taken: false, retryAfterMs: ms };
    return { taken: true, delayMs: ms, place, tell: tell === 1 };
  }
}
