/**
 * Assembles the processes: the bot (Telegram edge + queue producer), the worker (queue consumer + vision core), or
 * both in one process for small deployments. Used by `main.ts` and, identically, by the end-to-end tests.
 */
import type { Worker } from 'bullmq';
import type { Bot } from 'grammy';
import type { Redis } from 'ioredis';
import { BOT_COMMANDS, createBot } from './bot/create-bot.ts';
import { PhotoRateLimiter } from './bot/rate-limit.ts';
import { type Config, classifierOptions } from './config/index.ts';
import type { Logger } from './ops/logger.ts';
import { connectRedis, createPhotoQueue, type PhotoQueue } from './queue/index.ts';
import { createTelegramApi } from './telegram/api.ts';
import { type Breed, Classifier, loadBreeds, loadManifest } from './vision/index.ts';
import { startPhotoWorker } from './worker/photo-worker.ts';

export type Role = 'bot' | 'worker';

export class MissingTokenError extends Error {
  override readonly name = 'MissingTokenError';
  constructor() {
    super('BOT_TOKEN is not set. Create a bot with @BotFather, then put its token in .env (see .env.example).');
  }
}

export interface RunningApp {
  bot?: Bot;
  worker?: Worker;
  classifier?: Classifier;
  queue: PhotoQueue;
  redis: Redis;
  /** Stops taking updates, lets jobs in flight finish (or hands them back), closes Redis. */
  stop(): Promise<void>;
}

export async function startApp(config: Config, roles: readonly Role[], logger: Logger): Promise<RunningApp> {
  const token = config.BOT_TOKEN;
  if (token === undefined) throw new MissingTokenError();
  const redis = await connectRedis(config.REDIS_URL);
  const queue = createPhotoQueue({
    connection: redis,
    prefix: config.QUEUE_PREFIX,
    attempts: config.JOB_ATTEMPTS,
    retention: { count: config.JOB_RETENTION_COUNT, seconds: config.JOB_RETENTION_SECONDS },
  });
  const telegram = { token, apiRoot: config.TELEGRAM_API_ROOT };
  const app: RunningApp = { queue, redis, stop: async () => undefined };

  try {
    if (roles.includes('worker')) {
      app.classifier = await Classifier.create(
        classifierOptions(config, {
          onFallback: (model, reason) => logger.warn({ model, reason }, 'CUDA not available: running on the CPU'),
        }),
      );
      logger.info(
        {
          model: app.classifier.breedModel.id,
          gate: app.classifier.gateModel?.id ?? null,
          device: app.classifier.device,
        },
        'model loaded',
      );
      app.worker = startPhotoWorker({
        connection: redis,
        prefix: config.QUEUE_PREFIX,
        concurrency: config.WORKER_CONCURRENCY,
        classifier: app.classifier,
        api: createTelegramApi(telegram),
        telegram,
        answer: { unsureThreshold: config.UNSURE_THRESHOLD },
        logger: logger.child({ role: 'worker' }),
      });
    }
    if (roles.includes('bot')) {
      const breeds = app.classifier?.breeds ?? (await loadDefaultBreeds(config));
      const bot = createBot({
        token,
        apiRoot: config.TELEGRAM_API_ROOT,
        breeds,
        queue,
        rateLimiter: new PhotoRateLimiter({
          redis,
          prefix: config.QUEUE_PREFIX,
          limit: config.RATE_LIMIT_PHOTOS,
          windowSeconds: config.RATE_LIMIT_WINDOW_SECONDS,
        }),
        rateLimit: { limit: config.RATE_LIMIT_PHOTOS, windowSeconds: config.RATE_LIMIT_WINDOW_SECONDS },
        logger: logger.child({ role: 'bot' }),
      });
      await bot.init();
      await bot.api.setMyCommands(BOT_COMMANDS).catch((error: unknown) => {
        logger.warn({ err: error }, 'could not set the command menu');
      });
      app.bot = bot;
      await new Promise<void>((resolve, reject) => {
        bot
          .start({ allowed_updates: ['message', 'callback_query'], onStart: () => resolve() })
          .catch((error: unknown) => {
            logger.fatal({ err: error }, 'polling Telegram stopped with an error');
            reject(error);
          });
      });
      logger.info({ username: bot.botInfo.username }, 'bot polling');
    }
  } catch (error) {
    await stopAll(app, logger);
    throw error;
  }
  app.stop = () => stopAll(app, logger);
  return app;
}

async function stopAll(app: RunningApp, logger: Logger): Promise<void> {
  // Order matters: no new updates, then no new jobs, then let running jobs finish, then the connections.
  if (app.bot?.isRunning()) await app.bot.stop();
  await app.worker?.close();
  await app.classifier?.close();
  await app.queue.close();
  app.redis.disconnect();
  logger.info('stopped');
}

/** A bot-only process does not load the model, only its breed labels (for /breeds). */
async function loadDefaultBreeds(config: Config): Promise<readonly Breed[]> {
  const manifest = await loadManifest(config.MODEL, config.MODELS_DIR);
  return loadBreeds(manifest.labelsPath);
}
