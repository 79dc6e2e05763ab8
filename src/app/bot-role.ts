/** The bot role: the Telegram edge, polling for updates and queueing photos; it never runs a model. */
import { type RunnerHandle, run } from '@grammyjs/runner';
import type { Bot } from 'grammy';
import { type BotContext, createBot, PhotoRateLimiter, setCommandMenus } from '../bot/index.ts';
import type { TelegramReachability } from '../telegram/index.ts';
import type { Breed } from '../vision/index.ts';
import { photoSideOf } from './classifier-options.ts';
import type { SharedServices } from './services.ts';

/**
 * Updates handled at once, across chats (one chat's stay in order: see createBot). Bounded so a burst queues in
 * Telegram rather than in memory; each update only replies and queues a job, so this many is plenty.
 */
export const BOT_UPDATE_CONCURRENCY = 100;
/** Pause between failed getUpdates calls (each already retried a few times): steady, never growing to hours. */
const POLL_RETRY_MS = 1000;

export interface BotRole {
  bot: Bot<BotContext>;
  runner: RunnerHandle;
}

export async function startBotRole(
  services: SharedServices,
  breeds: readonly Breed[],
  reachability: TelegramReachability,
): Promise<BotRole> {
  const { config, logger, redis } = services;
  const texts = await services.textsFor(breeds);
  const rateLimit = { limit: config.RATE_LIMIT_PHOTOS, windowSeconds: config.RATE_LIMIT_WINDOW_SECONDS };
  const bot = createBot({
    token: services.telegram.token,
    apiRoot: services.telegram.apiRoot,
    reachability,
    texts,
    personal: services.personal,
    personalStores: services.personalStores,
    queue: services.queue,
    photoSide: await photoSideOf(config),
    rateLimiter: new PhotoRateLimiter({ redis, prefix: config.QUEUE_PREFIX, ...rateLimit }),
    kept: {
      historyDays: config.HISTORY_RETENTION_DAYS,
      feedbackDays: config.FEEDBACK_RETENTION_DAYS,
      jobRetentionSeconds: config.JOB_RETENTION_SECONDS,
      rateLimit,
    },
    logger: logger.child({ role: 'bot' }),
    metrics: services.metrics,
    adminIds: config.ADMIN_IDS,
    history: services.history,
    redis,
    prefix: config.QUEUE_PREFIX,
  });
  await bot.init();
  await setCommandMenus(bot.api, texts).catch((error: unknown) => {
    logger.warn({ err: error }, 'could not set the command menu');
  });
  const runner = run(bot, {
    runner: {
      fetch: { allowed_updates: ['message', 'callback_query'] },
      retryInterval: POLL_RETRY_MS,
      // Network failures are logged once per streak by the reachability tracker, not once per poll.
      silent: true,
    },
    sink: { concurrency: BOT_UPDATE_CONCURRENCY },
  });
  runner.task()?.catch((error: unknown) => {
    logger.fatal({ err: error }, 'polling Telegram stopped with an error');
  });
  logger.info({ username: bot.botInfo.username, concurrency: BOT_UPDATE_CONCURRENCY }, 'bot polling');
  return { bot, runner };
}
