export { PHOTO_QUEUE, type PhotoJobData, type PhotoJobResult, type PhotoOutcome, photoJobId } from './contract.ts';
export { createPhotoQueue, enqueuePhoto, hasPhotoJob, type PhotoQueue, type PhotoQueueOptions } from './photo-queue.ts';
export { connectRedis, RedisUnavailableError, safeRedisUrl } from './redis-connection.ts';
