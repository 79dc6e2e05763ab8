/**
 * The per-person photo limit against the real Redis, with time driven by a clock the test holds: a sliding window of
 * RATE_LIMIT_PHOTOS, so a burst across a minute boundary gets that many through at once, not twice that. Photos past
 * it are not dropped: each waits for the moment the window frees a slot (at most twice the limit waiting), the person
 * told once; only beyond that is a photo skipped, and then each one is told so. Every photo's priority is its place
 * among the person's photos in the window. Shared by several limiters (bot replicas) on their own connections without
 * giving two photos one slot.
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
const WINDOW_MS = WINDOW_SECONDS * 1000;
const connections: Redis[] = [];

async function limiter(clock: () => number): Promise<PhotoRateLimiter> {
  const redis = await connectRedis(REDIS_URL);
  connections.push(redis);
  return new PhotoRateLimiter({ redis, prefix, limit: LIMIT, windowSeconds: WINDOW_SECONDS, clock });
}

const kinds = (decisions: RateDecision[]) => decisions.map((d) => d.kind);
const countOf = (decisions: RateDecision[], kind: RateDecision['kind']) =>
  decisions.filter((d) => d.kind === kind).length;
const toldOf = (decisions: RateDecision[]) => decisions.filter((d) => d.kind === 'later' && d.tell).length;
/** When each photo let through goes to the queue (ms on the test's clock), given when each was taken. */
const slotsOf = (decisions: RateDecision[], takenAt: number[]) =>
  decisions.flatMap((d, i) => (d.kind === 'skipped' ? [] : [(takenAt[i] ?? 0) + d.delayMs]));

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
  it('an album of 10 just after 3 photos: 10 now, the other 3 later as the window frees slots, told once', async () => {
    let now = Date.now();
    const take = await limiter(() => now);
    const user = nextUser();
    const decisions: RateDecision[] = [];
    const takenAt: number[] = [];
    const sendAt = async (at: number) => {
      now = at;
      takenAt.push(at);
      decisions.push(await take.take(user));
    };
    const start = now;
    for (let i = 0; i < 3; i++) await sendAt(start + i * 100);
    for (let i = 0; i < 10; i++) await sendAt(start + 2_000 + i * 10);
    assert.deepEqual(kinds(decisions), [...Array(10).fill('now'), ...Array(3).fill('later')]);
    assert.deepEqual(
      decisions.slice(0, 10).map((d) => (d.kind === 'now' ? d.priority : 0)),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    );
    // Each waiting photo goes when the photo it follows by LIMIT leaves the window: the first three, a minute on.
    assert.deepEqual(slotsOf(decisions, takenAt).slice(10), [
      start + WINDOW_MS,
      start + WINDOW_MS + 100,
      start + WINDOW_MS + 200,
    ]);
    assert.deepEqual(decisions[10], { kind: 'later', priority: LIMIT, delayMs: 57_930, tell: true });
    assert.equal(toldOf(decisions), 1);
  });

  it('50 photos in 10 s across a minute boundary: 10 now, 20 later, 20 skipped each with when to try again', async () => {
    const boundary = Math.ceil(Date.now() / 60_000) * 60_000;
    let now = boundary - 5_000;
    const take = await limiter(() => now);
    const user = nextUser();
    const decisions: RateDecision[] = [];
    const takenAt: number[] = [];
    for (let i = 0; i < 50; i++) {
      takenAt.push(now);
      decisions.push(await take.take(user));
      now += 200;
    }
    assert.deepEqual(kinds(decisions), [
      ...Array(LIMIT).fill('now'),
      ...Array(2 * LIMIT).fill('later'),
      ...Array(50 - 3 * LIMIT).fill('skipped'),
    ]);
    assert.equal(toldOf(decisions), 1);
    // Never more than LIMIT photos in any window: photo k goes a window after photo k − LIMIT.
    const slots = slotsOf(decisions, takenAt);
    for (let k = LIMIT; k < slots.length; k++) {
      assert.equal((slots[k] ?? 0) - (slots[k - LIMIT] ?? 0), WINDOW_MS, `photo ${k + 1}`);
    }
    // The 31st, at 1 s past the boundary: the first waiting photo (the 11th) goes at 55 s, freeing room to wait.
    assert.deepEqual(decisions[3 * LIMIT], { kind: 'skipped', retryAfterSeconds: 54 });
  });

  it('lets photos through at once again as the window empties, and tells of a new backlog again', async () => {
    let now = Date.now();
    const take = await limiter(() => now);
    const user = nextUser();
    const start = now;
    for (let i = 0; i < LIMIT; i++) {
      assert.equal((await take.take(user)).kind, 'now');
      now += 1_000; // photo i at start + i s
    }
    assert.deepEqual(await take.take(user), { kind: 'later', priority: LIMIT, delayMs: 50_000, tell: true });
    assert.deepEqual(await take.take(user), { kind: 'later', priority: LIMIT, delayMs: 51_000, tell: false });
    now = start + 62_000; // photos 0–2 left the window; the two waiting went at 60 s and 61 s
    const later: RateDecision[] = [];
    for (let i = 0; i < 4; i++) later.push(await take.take(user));
    // In the window: photos 3–9 and the two that waited (9): one goes now, the next ones wait again, told again.
    assert.deepEqual(kinds(later), ['now', 'later', 'later', 'later']);
    assert.equal(toldOf(later), 1);
  });

  it('counts each person on their own', async () => {
    const now = Date.now();
    const take = await limiter(() => now);
    const [busy, other] = [nextUser(), nextUser()];
    for (let i = 0; i < 4 * LIMIT; i++) await take.take(busy);
    assert.deepEqual(await take.take(other), { kind: 'now', priority: 1, delayMs: 0, tell: false });
  });

  it('three replicas taking one person’s photos at once give each slot to one photo, and tell once', async () => {
    const now = Date.now();
    const replicas = await Promise.all([limiter(() => now), limiter(() => now), limiter(() => now)]);
    const user = nextUser();
    const decisions = await Promise.all(Array.from({ length: 45 }, (_, i) => replicas[i % 3]?.take(user)));
    const taken = decisions.filter((d): d is RateDecision => d !== undefined);
    assert.equal(countOf(taken, 'now'), LIMIT);
    assert.equal(countOf(taken, 'later'), 2 * LIMIT);
    assert.equal(countOf(taken, 'skipped'), 45 - 3 * LIMIT);
    assert.equal(toldOf(taken), 1);
    const priorities = taken.flatMap((d) => (d.kind === 'now' ? [d.priority] : []));
    assert.deepEqual(
      priorities.sort((a, b) => a - b),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    );
  });
});
