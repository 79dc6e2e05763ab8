/**
 * The consumer of `batch-<model>`: classifies photos named by path, URL or Telegram file id. A photo that cannot be
 * read is a result (ok: false) rather than a retry; network trouble is retried by the queue.
 */
import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger, Metrics } from '../ops/index.ts';
import {
  type BatchJobData,
  type BatchJobResult,
  batchQueueName,
  RedisWriteRefusal,
  redisErrorListener,
} from '../queue/index.ts';
import { FileDownloadError } from '../telegram/index.ts';
import { type Classifier, isImageInputError, summarizeDogs } from '../vision/index.ts';
import { readBatchSource, type SourceAccess } from './batch-source.ts';

export interface BatchWorkerOptions {
  connection: Redis;
  prefix: string;
  classifier: Classifier;
  /** Kept below the chat worker's, so batch work never takes most of the model's time. */
  concurrency: number;
  locks?: { lockDuration: number; stalledInterval: number };
  access: SourceAccess;
  logger: Logger;
  metrics: Metrics;
}

export function startBatchWorker(options: BatchWorkerOptions): Worker<BatchJobData, BatchJobResult> {
  const queueName = batchQueueName(options.classifier.breedModel.id);
  const worker = new Worker<BatchJobData, BatchJobResult>(
    queueName,
    async (job) => {
      const started = Date.now();
      const count = (outcome: string) => options.metrics.jobs.inc({ queue: queueName, outcome });
      try {
        const bytes = await readBatchSource(job.data.source, options.access);
        const result = await options.classifier.classify(bytes);
        count(result.isDog ? 'answered' : 'not-a-dog');
        return {
          ok: true,
          isDog: result.isDog,
          dogScore: result.dogScore,
          top: result.top.map(({ breed, name, p }) => ({ breed, name, p })),
          dogs: summarizeDogs(result),
          model: result.model,
          ms: Date.now() - started,
        };
      } catch (error) {
        if (isImageInputError(error)) {
          count('bad-input');
          return { ok: false, problem: error.problem, message: error.message };
        }
        if (error instanceof FileDownloadError && error.reason !== 'transient') {
          count('file-unavailable');
          return { ok: false, problem: `file-${error.reason}`, message: error.message };
        }
        throw error;
      }
    },
    { connection: options.connection, prefix: options.prefix, concurrency: options.concurrency, ...options.locks },
  );
  worker.on(
    'error',
    redisErrorListener(options.connection, (error) =>
      options.logger.error({ err: error, queue: queueName }, 'batch worker error'),
    ),
  );
  RedisWriteRefusal.of(options.connection)?.hold(worker);
  return worker;
}
