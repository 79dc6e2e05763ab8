/**
 * What every role of a process shares: the Redis connection (with one log line when it goes and one when it is
 * back), the photo queue, metrics, the answer history and the stores of personal data, the bot's texts, and the
 * start-up's progress (for /readyz and the stop signal). A worker without BOT_TOKEN has all of it but Telegram.
 */
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.ts';
import { loadTexts, type Texts } from '../i18n/index.ts';
import { OperatorError } from '../operator-error.ts';
import type { Logger, Metrics } from '../ops/index.ts';
import {
  connectRedis,
  createPhotoQueue,
  finishedJobsOf,
  type PhotoQueue,
  REDIS_HINT,
  RedisOutageReport,
  RedisUnavailableError,
  RedisWriteRefusal,
  redisErrorListener,
  safeRedisUrl,
} from '../queue/index.ts';
import {
  type ForgettableStores,
  openPersonalData,
  type PersonalData,
  PersonalStores,
  PredictionHistory,
  StoreKeys,
} from '../store/index.ts';
import { TelegramReachability } from '../telegram/index.ts';
import type { Breed } from '../vision/index.ts';
import { reachPatiently, type StartUpProgress } from './start-up.ts';

export class MissingTokenError extends OperatorError {
  override readonly name = 'MissingTokenError';
  constructor() {
    super('BOT_TOKEN is not set. Create a bot with @BotFather, then put its token in .env (see .env.example).');
  }
}

/** The Bot API's address and token, and the one tracker every API client of the process reports to. */
export interface TelegramAccess {
  token: string;
  apiRoot: string;
  reachability: TelegramReachability;
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
  telegram: TelegramAccess;
  locks: { lockDuration: number; stalledInterval: number };
  /** The bot's words for these breeds (loaded once, shared by the roles of one process). */
  textsFor(breeds: readonly Breed[]): Promise<Texts>;
  /** What the start-up waits for (told to /readyz) and the signal that cuts it short. */
  startUp: StartUpProgress;
}

/** The services of a process that may have no BOT_TOKEN (a worker serving batch jobs only). */
export type ProcessServices = Omit<SharedServices, 'telegram'> & { telegram?: TelegramAccess };

/** What the assembly opens before the services: the Redis connection, once reached, and the metrics. */
export interface ServiceParts {
  redis: Redis;
  metrics: Metrics;
  startUp: StartUpProgress;
}

const days = (n: number): number => Math.round(n * 24 * 3600);

/** The Redis connection, tried until Redis answers (or a stop signal comes), one log line per failed try. */
export function reachRedis(config: Config, startUp: StartUpProgress, logger: Logger): Promise<Redis> {
  return reachPatiently({
    name: 'redis',
    label: `Redis at ${safeRedisUrl(config.REDIS_URL)}`,
    attempt: () => connectRedis(config.REDIS_URL),
    retriable: (error) => (error instanceof RedisUnavailableError ? error.reason : undefined),
    hint: REDIS_HINT,
    discard: (redis) => redis.disconnect(),
    progress: startUp,
    logger,
  });
}

export function openSharedServices(config: Config, logger: Logger, parts: ServiceParts): ProcessServices {
  const { redis, metrics, startUp } = parts;
  const token = config.BOT_TOKEN;
  // ioredis reconnects by itself and commands wait meanwhile: say so once each way, not on every retry of every
  // connection (BullMQ's copies of this one included).
  const redisUrl = safeRedisUrl(config.REDIS_URL);
  RedisOutageReport.watch(redis, {
    lost: () => logger.warn({ redis: redisUrl }, 'Redis connection lost: reconnecting'),
    back: ({ downMs, errors }) => logger.info({ redis: redisUrl, downMs, errors }, 'Redis connection back'),
  });
  // Redis refusing writes: its workers paused until a probe write passes, once each way in the log.
  RedisWriteRefusal.watch(redis, new StoreKeys(config.QUEUE_PREFIX).writeProbe(), {
    refusing: (error) => logger.warn({ err: error }, 'Redis refuses writes: the work waits until it takes them'),
    accepting: ({ downMs, errors }) => logger.info({ downMs, errors }, 'Redis takes writes again'),
  });
  const queue = createPhotoQueue({
    connection: redis,
    prefix: config.QUEUE_PREFIX,
    attempts: config.JOB_ATTEMPTS,
    retention: { count: config.JOB_RETENTION_COUNT, seconds: config.JOB_RETENTION_SECONDS },
  });
  // Without a listener BullMQ prints each of its connection's errors as a raw stack trace.
  queue.on(
    'error',
    redisErrorListener(redis, (error) => logger.error({ err: error }, 'photo queue error')),
  );
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
    ...(token === undefined
      ? {}
      : { telegram: { token, apiRoot: config.TELEGRAM_API_ROOT, reachability: watchTelegram(logger, metrics) } }),
    locks: { lockDuration: config.JOB_LOCK_MS, stalledInterval: config.STALLED_INTERVAL_MS },
    textsFor: (breeds) => {
      texts ??= loadTexts(config.MODELS_DIR, breeds);
      return texts;
    },
    startUp,
  };
}

/** The services for a role that talks to Telegram (the bot): one line to the operator when there is no token. */
export function withTelegram(services: ProcessServices): SharedServices {
  const { telegram } = services;
  if (telegram === undefined) throw new MissingTokenError();
  return { ...services, telegram };
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
