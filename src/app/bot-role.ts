/**
 * The bot role: the Telegram edge, taking updates and queueing photos; it never runs a model. Updates come by polling
 * (the grammY runner: one process per token) or by webhook (an HTTP server; several replicas behind a load balancer).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type Bot, GrammyError } from 'grammy';
import {
  type BotContext,
  createBot,
  PhotoRateLimiter,
  setCommandMenus,
  startDurablePolling,
  startWebhookServer,
} from '../bot/index.ts';
import type { Config } from '../config/index.ts';
import { OperatorError } from '../operator-error.ts';
import { type LivenessCheck, loopLiveness } from '../ops/index.ts';
import { RedisWriteRefusal } from '../queue/index.ts';
import { UpdateInbox } from '../store/index.ts';
import type { TelegramReachability } from '../telegram/index.ts';
import type { Breed } from '../vision/index.ts';
import { answerWordingOf, photoSideOf } from './classifier-options.ts';
import type { SharedServices } from './services.ts';
import { reachTelegram } from './telegram-start.ts';

/**
 * Updates handled at once, across chats (one chat's stay in order: see createBot) — the runner's own default. A
 * chat's later updates hold a place while they wait for its earlier ones, so at 100 a burst of 200 people × 3 photos
 * was fetched a few at a time and the last people's "typing…" came after about 2 s; at 500 it is under 1 s
 * (`npm run bench:e2e`). Those in hand are kept in Redis until handled, so a bot killed meanwhile loses none of them
 * (durable-polling.ts).
 */
export const BOT_UPDATE_CONCURRENCY = 500;
/** Pause between failed getUpdates calls (each already retried a few times): steady, never growing to hours. */
const POLL_RETRY_MS = 1000;
/** How often a stopping bot looks whether the updates in hand are done. */
const IN_FLIGHT_CHECK_MS = 50;

/** The updates which Telegram sends the bot (polling and webhook alike). */
const ALLOWED_UPDATES = ['message', 'callback_query'] as const;

/** What the assembly needs of the bot role's way of taking updates, whichever it is. */
export interface BotEdge {
  /** Taking updates: polling runs, or the webhook server listens and setWebhook succeeded. */
  isRunning(): boolean;
  /** For /healthz: fails once polling has ended by itself (an error no retry mends) and not come back. */
  alive: LivenessCheck;
  /** Stops taking updates; those in flight finish first (bounded). */
  stop(): Promise<void>;
}

export interface BotRole {
  bot: Bot<BotContext>;
  edge: BotEdge;
}

export class WebhookRefusedError extends OperatorError {
  override readonly name = 'WebhookRefusedError';
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
    // /history shows an answer again through the same renderer, with the same words for an unsure one.
    answer: answerWordingOf(config),
    redis,
    prefix: config.QUEUE_PREFIX,
    claimUpdates: config.BOT_MODE === 'webhook',
  });
  await reachTelegram(bot, services);
  await setCommandMenus(bot.api, texts).catch((error: unknown) => {
    logger.warn({ err: error }, 'could not set the command menu');
  });
  if (config.BOT_MODE === 'webhook') return { bot, edge: await serveWebhook(bot, services) };
  // A webhook left by webhook mode would answer every getUpdates with 409: remove it (its pending updates stay), as
  // grammY's own bot.start() does. (Webhook replicas, on the other hand, never delete it: see serveWebhook.)
  await bot.api.deleteWebhook();
  const edge = await poll(bot, services);
  return { bot, edge };
}

/** Polling: the grammY runner, handling updates concurrently (one chat's in order), none lost to a kill. */
async function poll(bot: Bot<BotContext>, { config, logger, redis }: SharedServices): Promise<BotEdge> {
  const polling = await startDurablePolling(bot, {
    inbox: new UpdateInbox(redis, config.QUEUE_PREFIX, bot.botInfo.id),
    logger,
    fetch: {
      fetch: { allowed_updates: [...ALLOWED_UPDATES] },
      retryInterval: POLL_RETRY_MS,
      // Network failures are logged once per streak by the reachability tracker, not once per poll.
      silent: true,
    },
    redisUnavailable: (error) => RedisWriteRefusal.of(redis)?.absorb(error),
    concurrency: BOT_UPDATE_CONCURRENCY,
  });
  const { runner } = polling;
  let stopping = false;
  let ended: string | undefined;
  runner.task()?.then(
    () => {
      if (!stopping) ended = 'polling ended';
    },
    (error: unknown) => {
      ended = `polling ended with an error: ${(error as Error).message}`;
      logger.fatal({ err: error }, 'polling Telegram stopped with an error: /healthz fails, so the bot is restarted');
    },
  );
  logger.info({ username: bot.botInfo.username, concurrency: BOT_UPDATE_CONCURRENCY }, 'bot polling');
  return {
    isRunning: () => runner.isRunning(),
    alive: loopLiveness(
      config.LIVENESS_GRACE_MS,
      () => stopping || runner.isRunning(),
      () => ended,
    ),
    stop: async () => {
      stopping = true;
      await polling.stop();
      // The runner's stop ends the polling, not the handling of what it had: wait for that too (the shutdown's
      // timeout bounds it). What does not finish stays in the inbox for the next bot.
      while (runner.size() > 0) await sleep(IN_FLIGHT_CHECK_MS);
    },
  };
}

/**
 * Webhook: listen first (Telegram's first delivery may come at once), then register. Every replica calls setWebhook
 * at start — the same URL and secret, so it is idempotent.
 */
async function serveWebhook(bot: Bot<BotContext>, { config, logger, metrics }: SharedServices): Promise<BotEdge> {
  const { url, secret } = webhookSettings(config);
  const server = await startWebhookServer({
    bot,
    host: config.WEBHOOK_HOST,
    port: config.WEBHOOK_PORT,
    path: new URL(url).pathname,
    secret,
    logger,
    metrics,
  });
  let running = false;
  try {
    await bot.api.setWebhook(url, { secret_token: secret, allowed_updates: [...ALLOWED_UPDATES] });
  } catch (error) {
    await server.close();
    if (error instanceof GrammyError && error.error_code === 400) {
      throw new WebhookRefusedError(`Telegram refused WEBHOOK_URL ${url}: ${error.description}`);
    }
    throw error;
  }
  running = true;
  logger.info({ username: bot.botInfo.username, url, port: server.port }, 'bot serving its webhook');
  return {
    isRunning: () => running,
    // The server answers while it runs; Telegram re-sends what it could not deliver.
    alive: () => true,
    // No deleteWebhook: the other replicas still serve it. Telegram keeps updates that nobody answers (for up to a
    // day) and sends them once a replica is back.
    stop: async () => {
      running = false;
      await server.close();
    },
  };
}

function webhookSettings(config: Config): { url: string; secret: string } {
  const { WEBHOOK_URL: url, WEBHOOK_SECRET: secret } = config;
  // The schema requires both in webhook mode; this only narrows the types.
  if (url === undefined || secret === undefined) throw new OperatorError('WEBHOOK_URL and WEBHOOK_SECRET are needed');
  return { url, secret };
}
