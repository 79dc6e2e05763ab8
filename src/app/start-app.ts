/**
 * Assembles a process from its roles: the bot (Telegram edge + queue producer), the worker (queue consumer + vision
 * core), or both for small deployments, over the services they share, with the ops endpoint beside them. Used by
 * `main.ts` and, identically, by the end-to-end tests.
 *
 * The ops endpoint comes first, so a process that waits for Redis, for Telegram or for its model says so at
 * /readyz; Redis and Telegram are tried until they answer; a stop signal (options.signal) ends the start-up at any
 * step and closes what it had opened.
 */
import type { Worker } from 'bullmq';
import type { Bot } from 'grammy';
import type { Redis } from 'ioredis';
import type { BotContext } from '../bot/index.ts';
import type { Config } from '../config/index.ts';
import {
  type LivenessCheck,
  type Logger,
  loopLiveness,
  Metrics,
  type OpsServer,
  type ReadinessCheck,
  startOpsServer,
} from '../ops/index.ts';
import { type PhotoQueue, RedisWriteRefusal } from '../queue/index.ts';
import type { PredictionHistory } from '../store/index.ts';
import type { TelegramReachability } from '../telegram/index.ts';
import { type Breed, type Classifier, loadManifest, loadModelBreeds } from '../vision/index.ts';
import { type BotEdge, startBotRole } from './bot-role.ts';
import { MissingTokenError, openSharedServices, reachRedis, withTelegram } from './services.ts';
import { ShutdownSteps } from './shutdown-steps.ts';
import { StartUpProgress } from './start-up.ts';
import { NO_TOKEN_PHOTOS_NOTE, NothingToServeError, startWorkerRole, type WorkerRole } from './worker-role.ts';

export type Role = 'bot' | 'worker';

export interface RunningApp {
  bot?: Bot<BotContext>;
  /** Takes updates (polling or webhook) and handles them concurrently (in order within a chat). */
  botEdge?: BotEdge;
  /** Whether Telegram answers, as every API client of this process saw it last; absent without BOT_TOKEN. */
  telegram?: TelegramReachability;
  /** Chat photos; absent in a worker without BOT_TOKEN (batch jobs only). */
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

export interface StartOptions {
  /** Aborted by SIGTERM/SIGINT: the start-up stops at the step it is at, and what it opened is closed. */
  signal?: AbortSignal;
  /** Where the stop records its steps, so that main.ts can name the ones that outlive its time limit. */
  shutdownSteps?: ShutdownSteps;
}

/** What has been opened so far: read by /readyz while the process starts, closed by a stop at any point. */
type Opened = Partial<Omit<RunningApp, 'stop' | 'metrics'>> & { metrics: Metrics; workerRole?: WorkerRole };

export async function startApp(
  config: Config,
  roles: readonly Role[],
  logger: Logger,
  options: StartOptions = {},
): Promise<RunningApp> {
  // What no retry can mend ends the start before anything is opened, with one line (main.ts).
  if (roles.includes('bot') && config.BOT_TOKEN === undefined) throw new MissingTokenError();
  if (roles.includes('worker') && config.BOT_TOKEN === undefined && config.BATCH_WORKER_CONCURRENCY === 0) {
    throw new NothingToServeError();
  }
  const startUp = new StartUpProgress(options.signal ?? new AbortController().signal, {
    firstDelayMs: config.STARTUP_RETRY_FIRST_MS,
    maxDelayMs: config.STARTUP_RETRY_MAX_MS,
  });
  const steps = options.shutdownSteps ?? new ShutdownSteps();
  const app: Opened = { metrics: new Metrics() };
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= stopAll(app, steps, logger);
    return stopping;
  };
  try {
    if (config.OPS_PORT >= 0) app.ops = await startOps(config, roles, app, startUp, logger);
    await openRoles(config, roles, app, startUp, logger);
    startUp.checkNotStopped();
  } catch (error) {
    await stop();
    throw error;
  }
  const { queue, redis, history } = app;
  if (!queue || !redis || !history) throw new Error('startApp: the services were not opened');
  return { ...app, queue, redis, history, stop };
}

async function openRoles(
  config: Config,
  roles: readonly Role[],
  app: Opened,
  startUp: StartUpProgress,
  logger: Logger,
): Promise<void> {
  const { metrics } = app;
  const redis = await reachRedis(config, startUp, logger);
  app.redis = redis;
  const services = openSharedServices(config, logger, { redis, metrics, startUp });
  Object.assign(app, { queue: services.queue, history: services.history });
  if (services.telegram) app.telegram = services.telegram.reachability;
  if (config.BOARD_USER && config.BOARD_PASSWORD) {
    app.ops?.mountBoard({ queues: [services.queue], user: config.BOARD_USER, password: config.BOARD_PASSWORD });
  }
  if (roles.includes('worker')) {
    const workerRole = await startWorkerRole(services);
    Object.assign(app, {
      workerRole,
      classifier: workerRole.classifier,
      ...(workerRole.worker ? { worker: workerRole.worker } : {}),
      ...(workerRole.batchWorker ? { batchWorker: workerRole.batchWorker } : {}),
    });
  }
  if (roles.includes('bot')) {
    const breeds = app.classifier?.breeds ?? (await startUp.unlessStopped(loadDefaultBreeds(config)));
    const withToken = withTelegram(services);
    const botRole = await startBotRole(withToken, breeds, withToken.telegram.reachability);
    Object.assign(app, { bot: botRole.bot, botEdge: botRole.edge });
  }
}

/**
 * The endpoint, up before any dependency: each check says `true` or why not — what start-up is waiting for
 * (`redis: "unreachable: … (try 3 in 4 s)"`, `model: "loading"`, `telegram: "not reached yet"`), then the live state.
 */
function startOps(
  config: Config,
  roles: readonly Role[],
  app: Opened,
  startUp: StartUpProgress,
  logger: Logger,
): Promise<OpsServer> {
  const hasToken = config.BOT_TOKEN !== undefined;
  if (roles.includes('worker')) startUp.waitingFor('model', 'not loaded yet');
  if (roles.includes('bot')) startUp.waitingFor('telegram', 'not reached yet');
  const readiness: Record<string, ReadinessCheck> = {
    redis: () => startUp.why('redis') ?? redisAnswers(app.redis),
    ...(roles.includes('worker') ? { model: () => startUp.why('model') ?? app.classifier !== undefined } : {}),
    ...(roles.includes('bot')
      ? {
          bot: () =>
            app.botEdge?.isRunning() || (config.BOT_MODE === 'webhook' ? 'webhook not registered' : 'not polling'),
        }
      : {}),
    ...(hasToken
      ? { telegram: () => startUp.why('telegram') ?? (app.telegram?.reachable || 'unreachable: calls are failing') }
      : {}),
  };
  // Alive until a loop has stopped by itself; before a role has started there is nothing to be dead yet.
  const liveness: Record<string, LivenessCheck> = {
    ...(roles.includes('bot') ? { bot: () => app.botEdge?.alive() ?? true } : {}),
    ...(roles.includes('worker')
      ? {
          'photo worker': loopLiveness(config.LIVENESS_GRACE_MS, () => isTakingJobs(app.worker)),
          'batch worker': loopLiveness(config.LIVENESS_GRACE_MS, () => isTakingJobs(app.batchWorker)),
        }
      : {}),
  };
  return startOpsServer({
    host: config.OPS_HOST,
    port: config.OPS_PORT,
    metrics: app.metrics,
    readiness,
    liveness,
    // A worker without a token is a batch-only worker on purpose: it serves all it can, so it is ready (a 503 would
    // keep its container unhealthy and restarted for ever); what it does not serve is a note beside the checks.
    ...(roles.includes('worker') && !hasToken ? { notes: { photos: NO_TOKEN_PHOTOS_NOTE } } : {}),
    logger,
  });
}

/** A worker's loop runs, or is paused on purpose (while Redis refuses writes); none yet is not a dead one either. */
function isTakingJobs(worker: Worker | undefined): boolean {
  return worker === undefined || worker.isRunning() || worker.isPaused();
}

async function redisAnswers(redis: Redis | undefined): Promise<true | string> {
  if (redis === undefined) return 'connecting';
  // Commands wait through a reconnect (maxRetriesPerRequest: null), so a PING would hang while Redis is away.
  if (redis.status !== 'ready') return `connection lost: ${redis.status}`;
  const refusal = RedisWriteRefusal.of(redis)?.refusal;
  if (refusal !== undefined) return `refusing writes: ${refusal}`;
  return (await redis.ping()) === 'PONG' || 'no PONG';
}

async function stopAll(app: Opened, steps: ShutdownSteps, logger: Logger): Promise<void> {
  // Order matters: no new updates, then no new jobs, then let running jobs finish, then the connections.
  if (app.botEdge) await steps.run('bot edge (updates in flight)', () => app.botEdge?.stop());
  await app.workerRole?.stop(steps);
  await steps.run('ops endpoint', () => app.ops?.close());
  await steps.run('photo queue', () => app.queue?.close());
  app.redis?.disconnect();
  logger.info('stopped');
}

/** A bot-only process does not load the model, only the breeds it names (for /breeds, /breed, corrections). */
async function loadDefaultBreeds(config: Config): Promise<readonly Breed[]> {
  return loadModelBreeds(await loadManifest(config.MODEL, config.MODELS_DIR));
}
