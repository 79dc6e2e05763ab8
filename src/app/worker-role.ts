/**
 * The worker role: the models loaded, chat photos taken from the queue and answered, batch jobs served, and the
 * worker's presence announced. The batch part is also what `dog-breeds batch --local` runs in its own process.
 */
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.ts';
import type { Logger, Metrics } from '../ops/index.ts';
import { announceWorker } from '../store/index.ts';
import { createTelegramApi } from '../telegram/index.ts';
import type { Classifier } from '../vision/index.ts';
import { PhotoReplies, type SourceAccess, startBatchWorker, startPhotoWorker } from '../worker/index.ts';
import { openClassifier } from './classifier-options.ts';
import type { SharedServices } from './services.ts';

export interface WorkerRole {
  classifier: Classifier;
  worker: Worker;
  batchWorker?: Worker;
  /** Stops taking jobs, lets the running ones finish, unloads the models. */
  stop(): Promise<void>;
}

/** A worker for one model's batch queue (`dog-breeds batch` and `reprocess` jobs). */
export function startBatchRole(options: {
  config: Config;
  redis: Redis;
  classifier: Classifier;
  concurrency: number;
  access: SourceAccess;
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
    logger: options.logger.child({ role: 'batch-worker' }),
    metrics: options.metrics,
  });
}

export async function startWorkerRole(services: SharedServices): Promise<WorkerRole> {
  const { config, logger, metrics, redis } = services;
  const classifier = await openClassifier(config, logger, {
    onBatch: (model, size) => metrics.batchSize.observe({ model }, size),
  });
  let replies: PhotoReplies;
  try {
    replies = new PhotoReplies(await services.textsFor(classifier.breeds), services.personal);
  } catch (error) {
    // A role that could not start leaves nothing loaded behind.
    await classifier.close();
    throw error;
  }
  for (const model of [classifier.breedModel, classifier.gateModel]) {
    if (model) metrics.device.set({ model: model.id, device: model.device }, 1);
  }
  logger.info(
    { model: classifier.breedModel.id, gate: classifier.gateModel?.id ?? null, device: classifier.device },
    'model loaded',
  );
  const api = createTelegramApi(services.telegram);
  const batchWorker =
    config.BATCH_WORKER_CONCURRENCY > 0
      ? startBatchRole({
          config,
          redis,
          classifier,
          concurrency: config.BATCH_WORKER_CONCURRENCY,
          locks: services.locks,
          access: { telegram: { api, ...services.telegram } },
          logger,
          metrics,
        })
      : undefined;
  const worker = startPhotoWorker({
    connection: redis,
    prefix: config.QUEUE_PREFIX,
    concurrency: config.WORKER_CONCURRENCY,
    locks: services.locks,
    classifier,
    api,
    telegram: services.telegram,
    answer: { unsureThreshold: config.UNSURE_THRESHOLD, groupLeadShare: config.GROUP_LEAD_SHARE },
    replies,
    logger: logger.child({ role: 'worker' }),
    metrics,
    history: services.history,
  });
  const unannounce = announceWorker(redis, config.QUEUE_PREFIX, {
    model: classifier.breedModel.id,
    gateModel: classifier.gateModel?.id ?? null,
    device: classifier.device,
    startedAt: Date.now(),
  });
  return {
    classifier,
    worker,
    ...(batchWorker ? { batchWorker } : {}),
    async stop() {
      await Promise.all([worker.close(), batchWorker?.close()]);
      await classifier.close();
      await unannounce();
    },
  };
}
