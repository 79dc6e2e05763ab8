/**
 * The worker role: the models loaded, chat photos taken from the queue and answered, batch jobs served, and the
 * worker's presence announced. Without BOT_TOKEN it serves batch jobs only (chat photos need Telegram to be fetched
 * and answered; they wait in the queue for a worker that has one). The batch part is also what
 * `dog-breeds batch --local` runs in its own process.
 */
import type { Worker } from 'bullmq';
import type { Api } from 'grammy';
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.ts';
import { OperatorError } from '../operator-error.ts';
import type { Logger, Metrics } from '../ops/index.ts';
import { announceWorker } from '../store/index.ts';
import { createTelegramApi } from '../telegram/index.ts';
import type { Classifier, VideoReader } from '../vision/index.ts';
import { PhotoReplies, type SourceAccess, startBatchWorker, startPhotoWorker } from '../worker/index.ts';
import { answerWordingOf, openClassifier } from './classifier-options.ts';
import type { ProcessServices, TelegramAccess } from './services.ts';
import type { ShutdownSteps } from './shutdown-steps.ts';
import { openVideoReader } from './video-reader.ts';

export interface WorkerRole {
  classifier: Classifier;
  /** Chat photos; absent without BOT_TOKEN. */
  worker?: Worker;
  batchWorker?: Worker;
  /** Stops taking jobs, lets the running ones finish, unloads the models. */
  stop(steps: ShutdownSteps): Promise<void>;
}

/** Why a worker without BOT_TOKEN takes no chat photos: said at start and in /readyz's notes. */
export const NO_TOKEN_PHOTOS_NOTE = 'no BOT_TOKEN: chat photos are not served (batch jobs only)';

/** Checked by startApp before anything is opened. */
export class NothingToServeError extends OperatorError {
  override readonly name = 'NothingToServeError';
  constructor() {
    super(
      'This worker would serve nothing: without BOT_TOKEN it takes batch jobs only, and BATCH_WORKER_CONCURRENCY is 0. ' +
        'Set BOT_TOKEN (chat photos) or BATCH_WORKER_CONCURRENCY above 0 (batch jobs).',
    );
  }
}

/** A worker for one model's batch queue (`dog-breeds batch` and `reprocess` jobs). */
export function startBatchRole(options: {
  config: Config;
  redis: Redis;
  classifier: Classifier;
  concurrency: number;
  access: SourceAccess;
  /** Video jobs; undefined where ffmpeg is missing (see openVideoReader). */
  videoReader: VideoReader | undefined;
  logger: Logger;
  metrics: Metrics;
  locks?: { lockDuration: number; stalledInterval: number };
}): Worker {
  return startBatchWorker({
    connection: options.redis,
    prefix: options.config.QUEUE_PREFIX,
    classifier: options.classifier,
    concurrency: options.concurrency,
    ...(options.locks ? { locks: options.locks } : {}),
    access: options.access,
    videoReader: options.videoReader,
    logger: options.logger.child({ role: 'batch-worker' }),
    metrics: options.metrics,
  });
}

export async function startWorkerRole(services: ProcessServices): Promise<WorkerRole> {
  const { config, logger, metrics, redis, startUp, telegram } = services;
  startUp.waitingFor('model', 'loading');
  const classifier = await startUp.unlessStopped(
    openClassifier(config, logger, { onBatch: (model, size) => metrics.batchSize.observe({ model }, size) }),
    (late) => late.close(),
  );
  let replies: PhotoReplies | undefined;
  try {
    if (telegram) replies = new PhotoReplies(await services.textsFor(classifier.breeds), services.personal);
    startUp.checkNotStopped();
  } catch (error) {
    // A role that could not start leaves nothing loaded behind.
    await classifier.close();
    throw error;
  }
  startUp.reached('model');
  for (const model of [classifier.breedModel, classifier.gateModel]) {
    if (model) metrics.device.set({ model: model.id, device: model.device }, 1);
  }
  logger.info(
    { model: classifier.breedModel.id, gate: classifier.gateModel?.id ?? null, device: classifier.device },
    'model loaded',
  );
  const api = telegram ? createTelegramApi(telegram) : undefined;
  // Without ffmpeg the worker still serves photos: it says so once, and videos get a kind note.
  const videoReader = await openVideoReader(config, logger);
  const batchWorker =
    config.BATCH_WORKER_CONCURRENCY > 0
      ? startBatchRole({
          config,
          redis,
          classifier,
          concurrency: config.BATCH_WORKER_CONCURRENCY,
          locks: services.locks,
          access: telegram && api ? { telegram: { api, ...telegram } } : {},
          videoReader,
          logger,
          metrics,
        })
      : undefined;
  const worker =
    telegram && api && replies
      ? startChatPhotos(services, { telegram, api, classifier, replies, videoReader })
      : undefined;
  if (worker === undefined) logger.warn({ batchConcurrency: config.BATCH_WORKER_CONCURRENCY }, NO_TOKEN_PHOTOS_NOTE);
  const unannounce = announceWorker(redis, config.QUEUE_PREFIX, {
    model: classifier.breedModel.id,
    gateModel: classifier.gateModel?.id ?? null,
    device: classifier.device,
    startedAt: Date.now(),
  });
  return {
    classifier,
    ...(worker ? { worker } : {}),
    ...(batchWorker ? { batchWorker } : {}),
    async stop(steps) {
      // Running jobs finish (or, past the shutdown time limit, go back to the queue when their locks expire).
      await Promise.all([
        worker && steps.run('photo worker (jobs in flight)', () => worker.close()),
        batchWorker && steps.run('batch worker (jobs in flight)', () => batchWorker.close()),
      ]);
      await steps.run('model', () => classifier.close());
      await steps.run('worker presence', unannounce);
    },
  };
}

function startChatPhotos(
  services: ProcessServices,
  parts: {
    telegram: TelegramAccess;
    api: Api;
    classifier: Classifier;
    replies: PhotoReplies;
    videoReader: VideoReader | undefined;
  },
): Worker {
  const { telegram, api, classifier, replies, videoReader } = parts;
  const { config } = services;
  return startPhotoWorker({
    connection: services.redis,
    prefix: config.QUEUE_PREFIX,
    concurrency: config.WORKER_CONCURRENCY,
    locks: services.locks,
    maxAgeMs: config.PHOTO_MAX_AGE_SECONDS * 1000,
    classifier,
    api,
    telegram,
    answer: answerWordingOf(config),
    replies,
    videoReader,
    logger: services.logger.child({ role: 'worker' }),
    metrics: services.metrics,
    history: services.history,
  });
}
