/** The Redis connection every process shares (ioredis), and a clear word when Redis is not there. */
import { Redis } from 'ioredis';
import { OperatorError } from '../operator-error.ts';

export class RedisUnavailableError extends OperatorError {
  override readonly name = 'RedisUnavailableError';
  /** @param reason what the connection said (`connect ECONNREFUSED 127.0.0.1:6379`), for a retry's log line */
  constructor(
    message: string,
    readonly reason = message,
  ) {
    super(message);
  }
}

/** What to do when Redis does not answer. */
export const REDIS_HINT =
  'Start one — `docker compose up -d redis`, or your OS package (`apt-get install redis-server`) — or set REDIS_URL.';

/** The URL without its password, fit for logs and messages. */
export function safeRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable REDIS_URL)';
  }
}

/**
 * Replies of a primary that a failover has made a replica: READONLY for a write, UNBLOCKED for the blocking command
 * it was serving. A managed endpoint's address leads to the new primary by now, so: reconnect, and send it again.
 */
const FAILED_OVER = /^(READONLY|UNBLOCKED)\b/;

/**
 * Opens a connection and checks it answers. BullMQ needs `maxRetriesPerRequest: null` (blocking commands must wait
 * through a reconnect instead of failing), and ioredis then reconnects by itself if Redis restarts or fails over.
 * The copies BullMQ makes of it (`duplicate()`) take all of these options.
 */
export async function connectRedis(url: string, options: { connectTimeoutMs?: number } = {}): Promise<Redis> {
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    lazyConnect: true,
    connectTimeout: options.connectTimeoutMs ?? 5000,
    // Back off up to 2 s between reconnect attempts, forever: a Redis restart must not end the service.
    retryStrategy: (times) => Math.min(times * 100, 2000),
    // 2: reconnect and resend the command (1 would fail it). A transaction's commands fail instead (ioredis).
    reconnectOnError: (error) => (FAILED_OVER.test(error.message) ? 2 : false),
  });
  // Reported through connect() here, and by the reconnects' own logging; the socket's error says why best.
  let socketError: Error | undefined;
  redis.on('error', (error: Error) => {
    socketError = error;
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    const reason = (socketError ?? (error as Error)).message;
    throw new RedisUnavailableError(`Cannot reach Redis at ${safeRedisUrl(url)} (${reason}). ${REDIS_HINT}`, reason);
  }
  return redis;
}
