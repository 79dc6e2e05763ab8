/**
 * Assembles a process from its roles: the bot (Telegram edge + queue producer), the worker (queue consumer + vision
 * core), or both for small deployments, over the services they share, with the ops endpoint beside them. Used by
 * `main.ts` and, identically, by the end-to-end tests.
 */
import type { Worker } from 'bullmq';
import type { Bot } from 'grammy';
import type { Redis } from 'ioredis';
import type { BotContext } from '../bot/index.ts';
import type { Config } from '../config/index.ts';
import { type Logger, type Metrics, type OpsServer, startOpsServer } from '../ops/index.ts';
import type { PhotoQueue } from '../queue/index.ts';
import type { PredictionHistory } from '../store/index.ts';
import type { TelegramReachability } from '../telegram/index.ts';
import { type Breed, type Classifier, loadBreeds, loadManifest } from '../vision/index.ts';
import { type BotEdge, startBotRole } from './bot-role.ts';
import { openSharedServices, type SharedServices } from './services.ts';
import { startWorkerRole, type WorkerRole } from './worker-role.ts';

export type Role = 'bot' | 'worker';

export interface RunningApp {
  bot?: Bot<BotContext>;
  /** Takes updates (polling or webhook) and handles them concurrently (in order within a chat). */
  botEdge?: BotEdge;
  /** Whether Telegram answers, as every API client of this process saw it last. */
  telegram: TelegramReachability;
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
  const services = await openSharedServices(config, logger);
  const { queue, redis, metrics, history } = services;
  const telegram = services.telegram.reachability;
  const app: RunningApp = { queue, redis, metrics, history, telegram, stop: async () => undefined };
  let workerRole: WorkerRole | undefined;
  const stop = () => stopAll(app, workerRole, logger);
  try {
    if (roles.includes('worker')) {
      workerRole = await startWorkerRole(services);
      Object.assign(app, {
        classifier: workerRole.classifier,
        worker: workerRole.worker,
        ...(workerRole.batchWorker ? { batchWorker: workerRole.batchWorker } : {}),
      });
    }
    if (roles.includes('bot')) {
      const breeds = app.classifier?.breeds ?? (await loadDefaultBreeds(config));
      const botRole = await startBotRole(services, breeds, telegram);
      Object.assign(app, { bot: botRole.bot, botEdge: botRole.edge });
    }
    if (config.OPS_PORT >= 0) app.ops = await startOps(services, app);
  } catch (error) {
    await stop();
    throw error;
  }
  app.stop = stop;
  return app;
}

function startOps(services: SharedServices, app: RunningApp): Promise<OpsServer> {
  const { config, redis, queue } = services;
  return startOpsServer({
    host: config.OPS_HOST,
    port: config.OPS_PORT,
    metrics: services.metrics,
    readiness: {
      redis: async () => (await redis.ping()) === 'PONG',
      ...(app.classifier ? { model: async () => app.classifier !== undefined } : {}),
      ...(app.botEdge ? { bot: async () => app.botEdge?.isRunning() ?? false } : {}),
      telegram: async () => app.telegram.reachable,
    },
    ...(config.BOARD_USER && config.BOARD_PASSWORD
      ? { board: { queues: [queue], user: config.BOARD_USER, password: config.BOARD_PASSWORD } }
      : {}),
    logger: services.logger,
  });
}

async function stopAll(app: RunningApp, workerRole: WorkerRole | undefined, logger: Logger): Promise<void> {
  // Order matters: no new updates, then no new jobs, then let running jobs finish, then the connections.
  await app.botEdge?.stop();
  await workerRole?.stop();
  await app.ops?.close();
  await app.queue.close();
  app.redis.disconnect();
  logger.info('stopped');
}

/** One warning when Telegram stops answering and one line when it is back; the metric follows each call. */
/** A bot-only process does not load the model, only its breed labels (for /breeds). */
async function loadDefaultBreeds(config: Config): Promise<readonly Breed[]> {
  const manifest = await loadManifest(config.MODEL, config.MODELS_DIR);
  return loadBreeds(manifest.labelsPath);
}
