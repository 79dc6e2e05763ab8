/**
 * The consumer of `batch-<model>`: classifies photos and videos named by path, URL or Telegram file id. A photo or
 * video that cannot be read is a result (ok: false) rather than a retry; network trouble is retried by the queue.
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
import {
  type Classification,
  type Classifier,
  isImageInputError,
  isVideoInputError,
  summarizeDogs,
  summarizeVideo,
  type VideoClassification,
  type VideoReader,
} from '../vision/index.ts';
import { readBatchSource, type SourceAccess } from './batch-source.ts';

export interface BatchWorkerOptions {
  connection: Redis;
  prefix: string;
  classifier: Classifier;
  /** Kept below the chat worker's, so batch work never takes most of the model's time. */
  concurrency: number;
  locks?: { lockDuration: number; stalledInterval: number };
  access: SourceAccess;
  /** Reads the video jobs; undefined where ffmpeg is missing (those jobs get a result saying so). */
  videoReader: VideoReader | undefined;
  logger: Logger;
  metrics: Metrics;
}

/** A video job's result where this worker has no ffmpeg: the operator's to fix, said as the job's result. */
const NO_DECODER_RESULT: BatchJobResult = {
  ok: false,
  problem: 'no-video-decoder',
  message: 'this worker cannot read videos: ffmpeg is not installed where it runs',
};

function videoFacts(result: Classification | VideoClassification) {
  return 'video' in result ? { video: summarizeVideo(result.video) } : {};
}

export function startBatchWorker(options: BatchWorkerOptions): Worker<BatchJobData, BatchJobResult> {
  const queueName = batchQueueName(options.classifier.breedModel.id);
  const worker = new Worker<BatchJobData, BatchJobResult>(
    queueName,
    async (job) => {
      const started = Date.now();
      const count = (outcome: string) => options.metrics.jobs.inc({ queue: queueName, outcome });
      try {
        const video = job.data.media === 'video';
        const reader = options.videoReader;
        if (video && reader === undefined) {
          count('no-video-decoder');
          return NO_DECODER_RESULT;
        }
        const bytes = await readBatchSource(job.data.source, options.access);
        const result =
          video && reader ? await reader.read(bytes, options.classifier) : await options.classifier.classify(bytes);
        count(result.isDog ? 'answered' : 'not-a-dog');
        return {
          ok: true,
          isDog: result.isDog,
          dogScore: result.dogScore,
          top: result.top.map(({ breed, name, p }) => ({ breed, name, p })),
          dogs: summarizeDogs(result),
          ...videoFacts(result),
          model: result.model,
          ms: Date.now() - started,
        };
      } catch (error) {
        if (isImageInputError(error) || isVideoInputError(error)) {
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
