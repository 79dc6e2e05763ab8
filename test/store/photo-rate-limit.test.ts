/**
 * The per-person photo limit against the real Redis, with time driven by a clock the test holds: a sliding window,
 * so a burst across a minute boundary gets RATE_LIMIT_PHOTOS through, not twice that; one warning per window; shared
 * by several limiters (bot replicas) on their own connections without letting one photo too many through.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { PhotoRateLimiter, type RateDecision } from '../../src/bot/rate-limit.ts';
import { configSchema } from '../../src/config/index.ts';
import { connectRedis } from '../../src/queue/index.ts';
import { deleteKeysWithPrefix, REDIS_URL } from '../support/app-harness.ts';

const prefix = `test-ratelimit-${randomUUID().slice(0, 8)}`;
const defaults = configSchema.parse({});
const LIMIT = defaults.RATE_LIMIT_PHOTOS;
const WINDOW_SECONDS = defaults.RATE_LIMIT_WINDOW_SECONDS;
const connections: Redis[] = [];

async function limiter(clock: () => number): Promise<PhotoRateLimiter> {
  const redis = await connectRedis(REDIS_URL);
  connections.push(redis);
  return new PhotoRateLimiter({ redis, prefix, limit: LIMIT, windowSeconds: WINDOW_SECONDS, clock });
}

const allowedOf = (decisions: RateDecision[]) => decisions.filter((d) => d.allowed).length;
const warningsOf = (decisions: RateDecision[]) => decisions.filter((d) => !d.allowed && d.warn).length;

let userSeq = 1;
const nextUser = () => 7_000_000 + userSeq++;

before(() => {
  assert.equal(LIMIT, 10, 'the figures below assume the default of 10 photos a minute');
  assert.equal(WINDOW_SECONDS, 60);
});
after(async () => {
  for (const redis of connections) redis.disconnect();
  await deleteKeysWithPrefix(REDIS_URL, prefix);
});

describe('the per-person photo limit', () => {
  it('50 photos in 10 s across a minute boundary: 10 let through, one warning', async () => {
    const boundary = Math.ceil(Date.now() / 60_000) * 60_000;
    let now = boundary - 5_000;
    const take = await limiter(() => now);
    const user = nextUser();
    const decisions: RateDecision[] = [];
    for (let i = 0; i < 50; i++) {
      decisions.push(await take.take(user));
      now += 200;
    }
    assert.equal(allowedOf(decisions), LIMIT);
    assert.equal(warningsOf(decisions), 1);
    assert.ok(decisions.slice(0, LIMIT).every((d) => d.allowed));
    // Refused at 3 s before the boundary: the first photo (5 s before it) leaves the window 58 s later.
    assert.deepEqual(decisions[LIMIT], { allowed: false, warn: true, retryAfterSeconds: 58 });
  });

  it('lets photos through again as the first ones leave the window, and warns again a window later', async () => {
    let now = Date.now();
    const take = await limiter(() => now);
    const user = nextUser();
    const start = now;
    for (let i = 0; i < LIMIT; i++) {
      assert.deepEqual(await take.take(user), { allowed: true });
      now += 1_000; // photo i at start + i s
    }
    const refused = await take.take(user);
    assert.deepEqual(refused, { allowed: false, warn: true, retryAfterSeconds: 50 });
    assert.deepEqual(await take.take(user), { allowed: false, warn: false, retryAfterSeconds: 50 });
    now = start + 60_000; // the first photo leaves the window: one more goes through
    assert.deepEqual(await take.take(user), { allowed: true });
    assert.equal((await take.take(user)).allowed, false);
    now = start + 71_000; // photos 1–9 have left, the one at 60 s has not; the warning was a window ago
    const later: RateDecision[] = [];
    for (let i = 0; i < LIMIT + 2; i++) later.push(await take.take(user));
    assert.equal(allowedOf(later), LIMIT - 1, JSON.stringify(later));
    assert.equal(warningsOf(later), 1, JSON.stringify(later));
  });

  it('counts each person on their own', async () => {
    const now = Date.now();
    const take = await limiter(() => now);
    const [busy, other] = [nextUser(), nextUser()];
    for (let i = 0; i < LIMIT + 3; i++) await take.take(busy);
    assert.deepEqual(await take.take(other), { allowed: true });
  });

  it('three replicas taking one person’s photos at once let exactly the limit through, with one warning', async () => {
    const now = Date.now();
    const replicas = await Promise.all([limiter(() => now), limiter(() => now), limiter(() => now)]);
    const user = nextUser();
    const decisions = await Promise.all(Array.from({ length: 30 }, (_, i) => replicas[i % 3]?.take(user)));
    const taken = decisions.filter((d): d is RateDecision => d !== undefined);
    assert.equal(allowedOf(taken), LIMIT);
    assert.equal(warningsOf(taken), 1);
  });
});
