/**
 * One report of a process's Redis outages: a line when its connection goes and one when it is back, however many
 * connections there are (BullMQ copies the one it is given, for its blocking commands, and each copy reconnects on
 * its own) and however many reconnect tries. Each BullMQ object re-emits every try's error of each of its
 * connections; their 'error' listeners (`redisErrorListener`) hand those here, and only the others reach their log.
 */
import type { Redis } from 'ioredis';
import { isRedisConnectionError } from './redis-errors.ts';
import { RedisWriteRefusal } from './redis-refusal.ts';

export interface RedisOutageListener {
  /** The connection is gone (ioredis reconnects by itself; commands wait meanwhile). */
  lost(): void;
  /** It is back: how long it was gone, and how many connection errors came meanwhile (all connections, all tries). */
  back(outage: { downMs: number; errors: number }): void;
}

/** The report that watches a connection, for the listeners of the BullMQ objects built on it. */
const reports = new WeakMap<Redis, RedisOutageReport>();

export class RedisOutageReport {
  private since: number | undefined;
  private errors = 0;

  private constructor(
    private readonly redis: Redis,
    private readonly listener: RedisOutageListener,
    private readonly now: () => number,
  ) {}

  /**
   * Reports the outages of `redis` and of the copies BullMQ makes: one begins when it closes to reconnect (not when
   * the process closes it for good, at a stop), and ends when it is ready again.
   */
  static watch(redis: Redis, listener: RedisOutageListener, now: () => number = Date.now): RedisOutageReport {
    const report = new RedisOutageReport(redis, listener, now);
    reports.set(redis, report);
    redis.on('reconnecting', () => report.lose());
    redis.on('ready', () => report.regain());
    return report;
  }

  /**
   * A connection's error while the watched connection is not ready: part of the outage (which it begins if its
   * close is not in yet), counted, and true — told already. Any other error is false: its listener logs it. A copy
   * failing while the watched connection is fine is logged too, as its outage would never be told back.
   */
  absorb(error: unknown): boolean {
    if (!isRedisConnectionError(error)) return false;
    if (this.since === undefined && this.redis.status === 'ready') return false;
    this.lose();
    this.errors++;
    return true;
  }

  private lose(): void {
    if (this.since !== undefined) return;
    this.since = this.now();
    this.errors = 0;
    this.listener.lost();
  }

  private regain(): void {
    if (this.since === undefined) return;
    const outage = { downMs: this.now() - this.since, errors: this.errors };
    this.since = undefined;
    this.listener.back(outage);
  }
}

/**
 * The 'error' listener of a BullMQ object (queue, worker) on `redis` or its copies: the connection's errors during
 * an outage go to the outage's report, refused writes to the refusal's (redis-refusal.ts), every other error to `log`.
 */
export function redisErrorListener(redis: Redis, log: (error: Error) => void): (error: Error) => void {
  return (error) => {
    if (reports.get(redis)?.absorb(error) === true || RedisWriteRefusal.of(redis)?.absorb(error) === true) return;
    log(error);
  };
}
