/**
 * Runs the real application (bot + worker, as `npm start` does, or the roles asked for) against the Bot API stand-in, the local Redis under
 * a unique QUEUE_PREFIX, and the real default model. Cleans up only its own keys. The bot polls, or with
 * `botMode: 'webhook'` serves a webhook on a free port that the stand-in POSTs updates to.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { type RunningApp, startApp } from '../../src/app/index.ts';
import { type Config, configSchema } from '../../src/config/index.ts';
import { createLogger, type Logger } from '../../src/ops/logger.ts';
import { BotApiStandIn } from '../../src/playground/bot-api/stand-in.ts';
import { freePort } from '../../src/playground/private-redis.ts';
import { MODELS_DIR } from './paths.ts';

export const TEST_TOKEN = '123456789:AAE-test_token_for_the_stand_in_0123456789';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface Harness {
  standIn: BotApiStandIn;
  app: RunningApp;
  config: Config;
  /** Every log line the app wrote. */
  logLines: string[];
  close(): Promise<void>;
}

/** Deletes every key under `prefix:` (never FLUSHALL: the Redis is shared). */
export async function deleteKeysWithPrefix(redisUrl: string, prefix: string): Promise<number> {
  const redis = new Redis(redisUrl);
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

export type BotMode = Config['BOT_MODE'];
export const BOT_MODES: readonly BotMode[] = ['polling', 'webhook'];

/** A secret as setWebhook accepts it, fresh for each use. */
export const webhookSecret = (): string => randomBytes(24).toString('base64url');

/** The settings of webhook mode on a free port of this machine, the stand-in posting to it directly. */
export async function webhookEnv(): Promise<Record<string, string>> {
  const port = await freePort();
  return {
    BOT_MODE: 'webhook',
    WEBHOOK_URL: `http://127.0.0.1:${port}/telegram`,
    WEBHOOK_SECRET: webhookSecret(),
    WEBHOOK_PORT: String(port),
  };
}

export async function startHarness(
  env: Record<string, string> = {},
  options: { botMode?: BotMode; roles?: ('bot' | 'worker')[] } = {},
): Promise<Harness> {
  const standIn = await BotApiStandIn.start({ token: TEST_TOKEN });
  const config = configSchema.parse({
    ...(options.botMode === 'webhook' ? await webhookEnv() : {}),
    BOT_TOKEN: TEST_TOKEN,
    TELEGRAM_API_ROOT: standIn.apiRoot,
    REDIS_URL,
    QUEUE_PREFIX: `test-${randomUUID().slice(0, 8)}`,
    MODELS_DIR,
    DEVICE: 'cpu',
    LOG_LEVEL: 'debug',
    OPS_PORT: '0',
    ...env,
  });
  const { logger, logLines } = capturingLogger(config);
  const app = await startApp(config, options.roles ?? ['bot', 'worker'], logger);
  return {
    standIn,
    app,
    config,
    logLines,
    async close() {
      await app.stop();
      await standIn.close();
      await deleteKeysWithPrefix(config.REDIS_URL, config.QUEUE_PREFIX);
    },
  };
}

/** The captured log lines with this message (JSON lines: the `msg` field). */
export function logLinesSaying(logLines: readonly string[], message: string): string[] {
  return logLines.filter((l) => (JSON.parse(l) as { msg?: string }).msg === message);
}

/** A debug logger scrubbing the config's secrets, as the service's does, whose lines are kept for the test. */
export function capturingLogger(config: Config): { logger: Logger; logLines: string[] } {
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  const logger = createLogger({
    level: 'debug',
    secrets: [config.BOT_TOKEN, config.WEBHOOK_SECRET],
    destination: sink,
  });
  return { logger, logLines };
}
