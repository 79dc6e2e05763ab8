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

/** How long a copy's connection error waits for the watched connection to report the same outage. */
const COPY_ERROR_SETTLE_MS = 1000;

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
   * A connection's error, part of an outage — counted, not logged — when the watched connection is not ready, or is
   * no longer so a moment later (a copy's socket may report the outage before the watched one does). A copy failing
   * while the watched connection stays fine is given to `log`, as its outage would never be told back; so is any
   * error that is not the connection's.
   */
  absorbOrLog(error: Error, log: (error: Error) => void): void {
    if (!isRedisConnectionError(error)) log(error);
    else if (this.redis.status === 'end')
      return; // closed for good: the process is stopping
    else if (this.inOutage()) this.count();
    else setTimeout(() => (this.inOutage() ? this.count() : log(error)), COPY_ERROR_SETTLE_MS).unref();
  }

  private inOutage(): boolean {
    return this.since !== undefined || this.redis.status !== 'ready';
  }

  private count(): void {
    this.lose();
    this.errors++;
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
    if (RedisWriteRefusal.of(redis)?.absorb(error) === true) return;
    const report = reports.get(redis);
    if (report === undefined) log(error);
    else report.absorbOrLog(error, log);
  };
}
