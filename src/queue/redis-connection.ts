/** The Redis connection every process shares (ioredis), and a clear word when Redis is not there. */
import { Redis } from 'ioredis';
import { OperatorError } from '../operator-error.ts';

export class RedisUnavailableError extends OperatorError {
  override readonly name = 'RedisUnavailableError';
}

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
 * Opens a connection and checks it answers. BullMQ needs `maxRetriesPerRequest: null` (blocking commands must wait
 * through a reconnect instead of failing), and ioredis then reconnects by itself if Redis restarts.
 */
export async function connectRedis(url: string, options: { connectTimeoutMs?: number } = {}): Promise<Redis> {
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    lazyConnect: true,
    connectTimeout: options.connectTimeoutMs ?? 5000,
    // Back off up to 2 s between reconnect attempts, forever: a Redis restart must not end the service.
    retryStrategy: (times) => Math.min(times * 100, 2000),
  });
  redis.on('error', () => undefined); // reported through connect() here, and by reconnects' own logging
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    throw new RedisUnavailableError(
      `Cannot reach Redis at ${safeRedisUrl(url)} (${(error as Error).message}). Start one — ` +
        '`docker compose up -d redis`, or your OS package (`apt-get install redis-server`) — or set REDIS_URL.',
    );
  }
  return redis;
}
