/**
 * The micro-batcher with a deterministic batch function (x → x × 10): who gets which result, when batches flush, how
 * they fill up while others run, and how one bad item is kept from failing its batch-mates.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type BatchFunction, MicroBatcher, type MicroBatcherOptions } from '../../src/vision/micro-batcher.ts';

const POISON = -1;

interface Harness {
  batcher: MicroBatcher<number, number>;
  /** Items of every call of the batch function, in call order (retries included). */
  calls: number[][];
  /** What onBatch was told. */
  sizes: number[];
  /** Lets the n-th call of the batch function finish (only with `held: true`). */
  release: (n: number) => void;
}

/**
 * A batcher over x → x × 10 that throws for a batch holding POISON. With `held`, each call waits until released;
 * `delayMs(callIndex)` delays each call otherwise.
 */
function harness(
  options: Omit<MicroBatcherOptions, 'onBatch'>,
  behaviour: { held?: boolean; delayMs?: (call: number) => number } = {},
): Harness {
  const calls: number[][] = [];
  const sizes: number[] = [];
  const releases: (() => void)[] = [];
  const gates: Promise<void>[] = [];
  const gate = (n: number): Promise<void> => {
    gates[n] ??= new Promise<void>((resolve) => {
      releases[n] = resolve;
    });
    return gates[n];
  };
  const run: BatchFunction<number, number> = async (items) => {
    const call = calls.push([...items]) - 1;
    if (behaviour.held) await gate(call);
    else await sleep(behaviour.delayMs?.(call) ?? 0);
    if (items.includes(POISON)) throw new Error(`poisoned batch of ${items.length}`);
    return items.map((x) => x * 10);
  };
  return {
    batcher: new MicroBatcher(run, { ...options, onBatch: (size) => sizes.push(size) }),
    calls,
    sizes,
    release: (n) => {
      void gate(n);
      releases[n]?.();
    },
  };
}

/** Resolves with [value, settle time in ms since `start`]. */
async function timed<T>(promise: Promise<T>, start: number): Promise<[T, number]> {
  const value = await promise;
  return [value, performance.now() - start];
}

/** Whether `promise` is still pending after the current macrotask queue drains. */
async function isPending(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  await sleep(0);
  return !settled;
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

describe('MicroBatcher', () => {
  it('refuses maxBatch below 1', () => {
    assert.throws(() => harness({ maxBatch: 0, maxWaitMs: 0 }), RangeError);
  });

  it('routes each result to its caller under concurrency, with batches finishing out of order', async () => {
    // Later batches finish first: call n takes 40 − 8n ms.
    const { batcher, calls, sizes } = harness(
      { maxBatch: 4, maxWaitMs: 5, maxInFlight: 3 },
      { delayMs: (call) => Math.max(0, 40 - 8 * call) },
    );
    const items = range(1, 24);
    const results = await Promise.all(items.map((x) => batcher.submit(x)));
    assert.deepEqual(
      results,
      items.map((x) => x * 10),
    );
    assert.ok(
      sizes.every((n) => n >= 1 && n <= 4),
      `batch sizes ${sizes}`,
    );
    assert.deepEqual(
      calls.flat().sort((a, b) => a - b),
      items,
      'every item ran exactly once',
    );
    assert.deepEqual(
      sizes,
      calls.map((c) => c.length),
    );
  });

  it('flushes as soon as maxBatch items are waiting; the remainder waits for the timer', async () => {
    // The batches are held, so no finishing batch flushes the queue early: only maxBatch and the timer do.
    const { batcher, calls, release } = harness({ maxBatch: 3, maxWaitMs: 200, maxInFlight: 3 }, { held: true });
    const all = range(0, 7).map((x) => batcher.submit(x));
    assert.deepEqual(calls, [
      [0, 1, 2],
      [3, 4, 5],
    ]);
    assert.equal(batcher.waiting, 1);
    await sleep(120);
    assert.equal(calls.length, 2, 'the seventh still waits for batch-mates');
    await sleep(150);
    assert.deepEqual(calls[2], [6], 'then goes alone');
    for (const n of [0, 1, 2]) release(n);
    assert.deepEqual(
      await Promise.all(all),
      range(0, 7).map((x) => x * 10),
    );
  });

  it('an item waiting when a batch finishes goes out then, before maxWaitMs', async () => {
    const { batcher, calls, release } = harness({ maxBatch: 4, maxWaitMs: 10_000, maxInFlight: 2 }, { held: true });
    const full = range(0, 4).map((x) => batcher.submit(x));
    const late = batcher.submit(4);
    release(0);
    await Promise.all(full);
    await sleep(5);
    assert.deepEqual(calls[1], [4]);
    release(1);
    assert.equal(await late, 40);
  });

  it('flushes a lone item after maxWaitMs', async () => {
    const { batcher, sizes } = harness({ maxBatch: 8, maxWaitMs: 60 });
    const start = performance.now();
    const [value, ms] = await timed(batcher.submit(7), start);
    assert.equal(value, 70);
    assert.ok(ms >= 55 && ms < 1000, `resolved after ${Math.round(ms)} ms`);
    assert.deepEqual(sizes, [1]);
  });

  it('with maxWaitMs 0, items submitted in the same tick go together', async () => {
    const { batcher, sizes } = harness({ maxBatch: 8, maxWaitMs: 0 });
    assert.deepEqual(await Promise.all([1, 2, 3].map((x) => batcher.submit(x))), [10, 20, 30]);
    assert.deepEqual(sizes, [3]);
  });

  it('batches fill up while maxInFlight batches are running', async () => {
    const { batcher, calls, sizes, release } = harness({ maxBatch: 4, maxWaitMs: 0, maxInFlight: 2 }, { held: true });
    const first = batcher.submit(1);
    await sleep(5);
    const second = batcher.submit(2);
    await sleep(5);
    // Two batches of one are running; the next seven items have to wait, past maxBatch and past the timer.
    const rest = range(3, 10).map((x) => batcher.submit(x));
    await sleep(20);
    assert.deepEqual(calls, [[1], [2]]);
    assert.equal(batcher.waiting, 7);
    assert.ok(await isPending(rest[0] as Promise<number>));

    release(0); // one slot frees up: the next batch is a full one
    assert.equal(await first, 10);
    await sleep(5);
    assert.deepEqual(calls, [[1], [2], [3, 4, 5, 6]]);
    assert.equal(batcher.waiting, 3);

    release(1);
    assert.equal(await second, 20);
    await sleep(5);
    assert.deepEqual(calls[3], [7, 8, 9]);
    release(2);
    release(3);
    assert.deepEqual(
      await Promise.all(rest),
      range(3, 10).map((x) => x * 10),
    );
    assert.deepEqual(sizes, [1, 1, 4, 3]);
  });

  it('a poisoned item fails only its own caller; its batch-mates are retried alone and resolve', async () => {
    const { batcher, calls, sizes } = harness({ maxBatch: 4, maxWaitMs: 50 });
    const outcomes = await Promise.allSettled([1, 2, POISON, 3].map((x) => batcher.submit(x)));
    assert.deepEqual(
      outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message)),
      [10, 20, 'poisoned batch of 1', 30],
    );
    assert.deepEqual(calls, [[1, 2, POISON, 3], [1], [2], [POISON], [3]]);
    assert.deepEqual(sizes, [4], 'the retries are not batches');
  });

  it('a poisoned item alone in its batch rejects with the error, and the batcher keeps working', async () => {
    const { batcher, calls } = harness({ maxBatch: 4, maxWaitMs: 0 });
    await assert.rejects(batcher.submit(POISON), /poisoned batch of 1/);
    assert.equal(await batcher.submit(5), 50);
    assert.deepEqual(calls, [[POISON], [5]], 'no retry for a batch of one');
  });
});
