/**
 * Assembles the processes: the bot (Telegram edge + queue producer), the worker (queue consumer + vision core), or
 * both in one process for small deployments. Used by `main.ts` and, identically, by the end-to-end tests.
 */
import type { Worker } from 'bullmq';
import type { Bot } from 'grammy';
import type { Redis } from 'ioredis';
import type { BotContext } from './bot/context.ts';
import { createBot, setCommandMenus } from './bot/create-bot.ts';
import { PhotoRateLimiter } from './bot/rate-limit.ts';
import { breedGroupsFromCards } from './breeds/breed-cards.ts';
import { type Config, classifierOptions } from './config/index.ts';
import { loadTexts, type Texts } from './i18n/texts.ts';
import { OperatorError } from './operator-error.ts';
import type { Logger } from './ops/logger.ts';
import { Metrics } from './ops/metrics.ts';
import { type OpsServer, startOpsServer } from './ops/ops-server.ts';
import { connectRedis, createPhotoQueue, finishedJobsOf, type PhotoQueue, safeRedisUrl } from './queue/index.ts';
import { announceWorker, openPersonalData, PersonalStores, PredictionHistory } from './store/index.ts';
import { createTelegramApi } from './telegram/api.ts';
import { type Breed, Classifier, loadBreeds, loadManifest } from './vision/index.ts';
import { startBatchWorker } from './worker/batch-worker.ts';
import { PhotoReplies } from './worker/format-answer.ts';
import { startPhotoWorker } from './worker/photo-worker.ts';

export type Role = 'bot' | 'worker';

export class MissingTokenError extends OperatorError {
  override readonly name = 'MissingTokenError';
  constructor() {
    super('BOT_TOKEN is not set. Create a bot with @BotFather, then put its token in .env (see .env.example).');
  }
}

export interface RunningApp {
  bot?: Bot<BotContext>;
  worker?: Worker;
  batchWorker?: Worker;
  classifier?: Classifier;
  queue: PhotoQueue;
  redis: Redis;
  metrics: Metrics;
  history: PredictionHistory;
  /** /healthz, /readyz, /metrics (and /board); absent when OPS_PORT is -1. */
  ops?: OpsServer;
  /** Stops taking updates, lets jobs in flight finish (or hands them back), closes Redis. */
  stop(): Promise<void>;
}

export async function startApp(config: Config, roles: readonly Role[], logger: Logger): Promise<RunningApp> {
  const token = config.BOT_TOKEN;
  if (token === undefined) throw new MissingTokenError();
  const redis = await connectRedis(config.REDIS_URL);
  // One line when Redis goes away and one when it is back (ioredis reconnects by itself; commands wait meanwhile).
  let redisDown = false;
  redis.on('close', () => {
    if (!redisDown) logger.warn({ redis: safeRedisUrl(config.REDIS_URL) }, 'Redis connection lost: reconnecting');
    redisDown = true;
  });
  redis.on('ready', () => {
    if (redisDown) logger.info({ redis: safeRedisUrl(config.REDIS_URL) }, 'Redis connection back');
    redisDown = false;
  });
  const queue = createPhotoQueue({
    connection: redis,
    prefix: config.QUEUE_PREFIX,
    attempts: config.JOB_ATTEMPTS,
    retention: { count: config.JOB_RETENTION_COUNT, seconds: config.JOB_RETENTION_SECONDS },
  });
  const telegram = { token, apiRoot: config.TELEGRAM_API_ROOT };
  const locks = { lockDuration: config.JOB_LOCK_MS, stalledInterval: config.STALLED_INTERVAL_MS };
  const metrics = new Metrics();
  metrics.trackQueue(queue);
  const history = new PredictionHistory({
    redis,
    prefix: config.QUEUE_PREFIX,
    retentionSeconds: Math.round(config.HISTORY_RETENTION_DAYS * 24 * 3600),
    maxRecords: config.HISTORY_MAX_RECORDS,
  });
  // Kept about people besides the history: language choice, each answer's context (for its buttons), feedback.
  const personal = openPersonalData(redis, config.QUEUE_PREFIX, {
    answerRetentionSeconds: Math.round(config.HISTORY_RETENTION_DAYS * 24 * 3600),
    feedbackRetentionSeconds: Math.round(config.FEEDBACK_RETENTION_DAYS * 24 * 3600),
  });
  // Everything /forget deletes, asked in one call.
  const personalStores = new PersonalStores({ ...personal, history, jobs: finishedJobsOf(queue) });
  let texts: Texts | undefined;
  const textsFor = async (breeds: readonly Breed[]) => {
    texts ??= await loadTexts(config.MODELS_DIR, breeds);
    return texts;
  };
  const app: RunningApp = { queue, redis, metrics, history, stop: async () => undefined };
  const cleanups: (() => Promise<void>)[] = [];

  try {
    if (roles.includes('worker')) {
      app.classifier = await Classifier.create(
        classifierOptions(config, {
          breedGroups: breedGroupsFromCards(config.MODELS_DIR),
          onFallback: (model, reason) => logger.warn({ model, reason }, 'CUDA not available: running on the CPU'),
          onBatch: (model, size) => metrics.batchSize.observe({ model }, size),
        }),
      );
      for (const model of [app.classifier.breedModel, app.classifier.gateModel]) {
        if (model) metrics.device.set({ model: model.id, device: model.device }, 1);
      }
      cleanups.push(
        announceWorker(redis, config.QUEUE_PREFIX, {
          model: app.classifier.breedModel.id,
          gateModel: app.classifier.gateModel?.id ?? null,
          device: app.classifier.device,
          startedAt: Date.now(),
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
      const telegramApi = createTelegramApi(telegram);
      if (config.BATCH_WORKER_CONCURRENCY > 0) {
        app.batchWorker = startBatchWorker({
          connection: redis,
          prefix: config.QUEUE_PREFIX,
          classifier: app.classifier,
          concurrency: config.BATCH_WORKER_CONCURRENCY,
          locks,
          access: { telegram: { api: telegramApi, ...telegram } },
          logger: logger.child({ role: 'batch-worker' }),
          metrics,
        });
      }
      app.worker = startPhotoWorker({
        connection: redis,
        prefix: config.QUEUE_PREFIX,
        concurrency: config.WORKER_CONCURRENCY,
        locks,
        classifier: app.classifier,
        api: telegramApi,
        telegram,
        answer: { unsureThreshold: config.UNSURE_THRESHOLD, groupLeadShare: config.GROUP_LEAD_SHARE },
        replies: new PhotoReplies(await textsFor(app.classifier.breeds), personal),
        logger: logger.child({ role: 'worker' }),
        metrics,
        history,
      });
    }
    if (roles.includes('bot')) {
      const breeds = app.classifier?.breeds ?? (await loadDefaultBreeds(config));
      const bot = createBot({
        token,
        apiRoot: config.TELEGRAM_API_ROOT,
        texts: await textsFor(breeds),
        personal,
        personalStores,
        queue,
        rateLimiter: new PhotoRateLimiter({
          redis,
          prefix: config.QUEUE_PREFIX,
          limit: config.RATE_LIMIT_PHOTOS,
          windowSeconds: config.RATE_LIMIT_WINDOW_SECONDS,
        }),
        kept: {
          historyDays: config.HISTORY_RETENTION_DAYS,
          feedbackDays: config.FEEDBACK_RETENTION_DAYS,
          jobRetentionSeconds: config.JOB_RETENTION_SECONDS,
          rateLimit: { limit: config.RATE_LIMIT_PHOTOS, windowSeconds: config.RATE_LIMIT_WINDOW_SECONDS },
        },
        logger: logger.child({ role: 'bot' }),
        metrics,
        adminIds: config.ADMIN_IDS,
        history,
        redis,
        prefix: config.QUEUE_PREFIX,
      });
      await bot.init();
      await setCommandMenus(bot.api, await textsFor(breeds)).catch((error: unknown) => {
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
    if (config.OPS_PORT >= 0) {
      app.ops = await startOpsServer({
        host: config.OPS_HOST,
        port: config.OPS_PORT,
        metrics,
        readiness: {
          redis: async () => (await redis.ping()) === 'PONG',
          ...(app.classifier ? { model: async () => app.classifier !== undefined } : {}),
          ...(app.bot ? { bot: async () => app.bot?.isRunning() ?? false } : {}),
        },
        ...(config.BOARD_USER && config.BOARD_PASSWORD
          ? { board: { queues: [queue], user: config.BOARD_USER, password: config.BOARD_PASSWORD } }
          : {}),
        logger,
      });
    }
  } catch (error) {
    await stopAll(app, cleanups, logger);
    throw error;
  }
  app.stop = () => stopAll(app, cleanups, logger);
  return app;
}

async function stopAll(app: RunningApp, cleanups: (() => Promise<void>)[], logger: Logger): Promise<void> {
  // Order matters: no new updates, then no new jobs, then let running jobs finish, then the connections.
  if (app.bot?.isRunning()) await app.bot.stop();
  await Promise.all([app.worker?.close(), app.batchWorker?.close()]);
  await app.classifier?.close();
  await app.ops?.close();
  for (const cleanup of cleanups) await cleanup();
  await app.queue.close();
  app.redis.disconnect();
  logger.info('stopped');
}

/** A bot-only process does not load the model, only its breed labels (for /breeds). */
async function loadDefaultBreeds(config: Config): Promise<readonly Breed[]> {
  const manifest = await loadManifest(config.MODEL, config.MODELS_DIR);
  return loadBreeds(manifest.labelsPath);
}
