export {
  type BatchJobData,
  type BatchJobResult,
  type BatchSource,
  batchJobId,
  batchQueueName,
} from './batch-contract.ts';
export { type BatchQueue, createBatchQueue, enqueueBatch } from './batch-queue.ts';
export {
  PHOTO_QUEUE,
  type PhotoJobData,
  type PhotoJobResult,
  type PhotoOutcome,
  photoJobId,
  type VideoKind,
} from './contract.ts';
export {
  createPhotoQueue,
  enqueuePhoto,
  finishedJobsOf,
  hasPhotoJob,
  type PhotoPlacement,
  type PhotoQueue,
  type PhotoQueueOptions,
} from './photo-queue.ts';
export { connectRedis, REDIS_HINT, RedisUnavailableError, safeRedisUrl } from './redis-connection.ts';
export { isRedisConnectionError, isRedisRefusingWrites, isRedisUnavailable } from './redis-errors.ts';
export {
  type RedisOutageListener,
  RedisOutageReport,
  redisErrorListener,
} from './redis-outage.ts';
export { RedisWriteRefusal, type WriteRefusalListener } from './redis-refusal.ts';
