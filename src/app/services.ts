/**
 * What every role of a process shares: the Redis connection (with one log line when it goes and one when it is
 * back), the photo queue, metrics, the answer history and the stores of personal data, and the bot's texts.
 */
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.ts';
import { loadTexts, type Texts } from '../i18n/index.ts';
import { OperatorError } from '../operator-error.ts';
import { type Logger, Metrics } from '../ops/index.ts';
import { connectRedis, createPhotoQueue, finishedJobsOf, type PhotoQueue, safeRedisUrl } from '../queue/index.ts';
import {
  type ForgettableStores,
  openPersonalData,
  type PersonalData,
  PersonalStores,
  PredictionHistory,
} from '../store/index.ts';
import { TelegramReachability } from '../telegram/index.ts';
import type { Breed } from '../vision/index.ts';

export class MissingTokenError extends OperatorError {
  override readonly name = 'MissingTokenError';
  constructor() {
    super('BOT_TOKEN is not set. Create a bot with @BotFather, then put its token in .env (see .env.example).');
  }
}

export interface SharedServices {
  config: Config;
  logger: Logger;
  redis: Redis;
  queue: PhotoQueue;
  metrics: Metrics;
  history: PredictionHistory;
  /** Kept about people besides the history: language choice, each answer's context (for its buttons), feedback. */
  personal: PersonalData;
  /** Everything /forget deletes, asked in one call. */
  personalStores: ForgettableStores;
  /** The Bot API's address and token, and the one tracker every API client of the process reports to. */
  telegram: { token: string; apiRoot: string; reachability: TelegramReachability };
  locks: { lockDuration: number; stalledInterval: number };
  /** The bot's words for these breeds (loaded once, shared by the roles of one process). */
  textsFor(breeds: readonly Breed[]): Promise<Texts>;
}

const days = (n: number): number => Math.round(n * 24 * 3600);

export async function openSharedServices(config: Config, logger: Logger): Promise<SharedServices> {
  const token = config.BOT_TOKEN;
  if (token === undefined) throw new MissingTokenError();
  const redis = await connectRedis(config.REDIS_URL);
  // ioredis reconnects by itself and commands wait meanwhile: say so once each way, not on every retry.
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
  const metrics = new Metrics();
  metrics.trackQueue(queue);
  const history = new PredictionHistory({
    redis,
    prefix: config.QUEUE_PREFIX,
    retentionSeconds: days(config.HISTORY_RETENTION_DAYS),
    maxRecords: config.HISTORY_MAX_RECORDS,
  });
  const personal = openPersonalData(redis, config.QUEUE_PREFIX, {
    answerRetentionSeconds: days(config.HISTORY_RETENTION_DAYS),
    feedbackRetentionSeconds: days(config.FEEDBACK_RETENTION_DAYS),
  });
  let texts: Promise<Texts> | undefined;
  return {
    config,
    logger,
    redis,
    queue,
    metrics,
    history,
    personal,
    personalStores: new PersonalStores({ ...personal, history, jobs: finishedJobsOf(queue) }),
    telegram: { token, apiRoot: config.TELEGRAM_API_ROOT, reachability: watchTelegram(logger, metrics) },
    locks: { lockDuration: config.JOB_LOCK_MS, stalledInterval: config.STALLED_INTERVAL_MS },
    textsFor: (breeds) => {
      texts ??= loadTexts(config.MODELS_DIR, breeds);
      return texts;
    },
  };
}

/** One warning when Telegram stops answering and one line when it is back, with the metrics beside them. */
function watchTelegram(logger: Logger, metrics: Metrics): TelegramReachability {
  return new TelegramReachability({
    failure: (method) => metrics.telegramFailures.inc({ method }),
    unreachable: (method, error) => {
      metrics.telegramReachable.set(0);
      logger.warn({ method, err: error }, 'Telegram unreachable: calls retried a few times, jobs through the queue');
    },
    reachable: (failures, downMs) => {
      metrics.telegramReachable.set(1);
      logger.info({ failures, downMs }, 'Telegram reachable again');
    },
  });
}
