/**
 * Redis refusing writes (full, a failed disk save, a replica after a failover), told and waited out once per process.
 * A BullMQ worker would otherwise spin: it fetches the next job, the write is refused, and it tries again at once —
 * thousands of tries a second, each an 'error'. Its workers are paused instead (locally: pausing needs no write) and
 * resumed once a probe write passes; one line when the refusal begins and one when Redis takes writes again, whoever
 * met it (the workers, the polling bot), and /readyz says it meanwhile.
 */
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { isRedisRefusingWrites } from './redis-errors.ts';

export interface WriteRefusalListener {
  /** Redis began refusing writes (the first refusal's error says why). */
  refusing(error: Error): void;
  /** It takes writes again: how long it refused them, and how many refusals came meanwhile. */
  accepting(refusal: { downMs: number; errors: number }): void;
}

/** How often a refusing Redis is tried again: workers resume within this of it taking writes. */
const PROBE_MS = 1000;

const refusals = new WeakMap<Redis, RedisWriteRefusal>();

export class RedisWriteRefusal {
  private since: number | undefined;
  private reason = '';
  private errors = 0;
  private readonly workers = new Set<Worker>();

  private constructor(
    private readonly redis: Redis,
    private readonly probeKey: string,
    private readonly listener: WriteRefusalListener,
    private readonly now: () => number,
  ) {}

  /** Watches the refusals met on `redis` and BullMQ's copies of it; `probeKey` is written to see if writes pass. */
  static watch(
    redis: Redis,
    probeKey: string,
    listener: WriteRefusalListener,
    now: () => number = Date.now,
  ): RedisWriteRefusal {
    const refusal = new RedisWriteRefusal(redis, probeKey, listener, now);
    refusals.set(redis, refusal);
    return refusal;
  }

  /** The refusal watch of `redis`, if one was started. */
  static of(redis: Redis): RedisWriteRefusal | undefined {
    return refusals.get(redis);
  }

  /** While Redis refuses writes, what it answers (for /readyz); otherwise undefined. */
  get refusal(): string | undefined {
    return this.since === undefined ? undefined : this.reason;
  }

  /** A worker to pause while Redis refuses writes. */
  hold(worker: Worker): void {
    this.workers.add(worker);
    worker.once('closing', () => this.workers.delete(worker));
  }

  /** A refusal is counted (and begins one, if none is on): true. Any other error is false: its listener logs it. */
  absorb(error: unknown): boolean {
    if (!isRedisRefusingWrites(error)) return false;
    this.errors++;
    if (this.since === undefined) this.begin(error as Error);
    return true;
  }

  private begin(error: Error): void {
    this.since = this.now();
    this.reason = error.message.split('.')[0] ?? error.message;
    this.errors = 1;
    this.listener.refusing(error);
    for (const worker of this.workers) void worker.pause(true);
    void this.probeUntilAccepted();
  }

  private async probeUntilAccepted(): Promise<void> {
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, PROBE_MS).unref());
      if (this.redis.status === 'end') return;
      try {
        await this.redis.set(this.probeKey, '1', 'PX', PROBE_MS);
        break;
      } catch (error) {
        if (!isRedisRefusingWrites(error)) continue; // away altogether: the outage report tells that
        this.errors++;
      }
    }
    const refusal = { downMs: this.now() - (this.since ?? this.now()), errors: this.errors };
    this.since = undefined;
    for (const worker of this.workers) if (!worker.closing) void worker.resume();
    this.listener.accepting(refusal);
  }
}
