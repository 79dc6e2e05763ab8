/** The bot role: the Telegram edge, polling for updates and queueing photos; it never runs a model. */
import type { Bot } from 'grammy';
import { type BotContext, createBot, PhotoRateLimiter, setCommandMenus } from '../bot/index.ts';
import type { Breed } from '../vision/index.ts';
import type { SharedServices } from './services.ts';

export async function startBotRole(services: SharedServices, breeds: readonly Breed[]): Promise<Bot<BotContext>> {
  const { config, logger, redis } = services;
  const texts = await services.textsFor(breeds);
  const rateLimit = { limit: config.RATE_LIMIT_PHOTOS, windowSeconds: config.RATE_LIMIT_WINDOW_SECONDS };
  const bot = createBot({
    token: services.telegram.token,
    apiRoot: services.telegram.apiRoot,
    texts,
    personal: services.personal,
    personalStores: services.personalStores,
    queue: services.queue,
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
  await new Promise<void>((resolve, reject) => {
    bot.start({ allowed_updates: ['message', 'callback_query'], onStart: () => resolve() }).catch((error: unknown) => {
      logger.fatal({ err: error }, 'polling Telegram stopped with an error');
      reject(error);
    });
  });
  logger.info({ username: bot.botInfo.username }, 'bot polling');
  return bot;
}
