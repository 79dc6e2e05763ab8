export {
  type BatchJobData,
  type BatchJobResult,
  type BatchSource,
  batchJobId,
  batchQueueName,
} from './batch-contract.ts';
export { type BatchQueue, createBatchQueue, enqueueBatch } from './batch-queue.ts';
export {
  NO_STATUS_MESSAGE,
  PHOTO_QUEUE,
  type PhotoJobData,
  type PhotoJobResult,
  type PhotoOutcome,
  photoJobId,
} from './contract.ts';
export { createPhotoQueue, enqueuePhoto, hasPhotoJob, type PhotoQueue, type PhotoQueueOptions } from './photo-queue.ts';
export { type HistoryOptions, PredictionHistory, type PredictionRecord } from './prediction-history.ts';
export { connectRedis, RedisUnavailableError, safeRedisUrl } from './redis-connection.ts';
export { announceWorker, listWorkers, type WorkerInfo } from './worker-presence.ts';
