/** The producer side: adding photo jobs with retries, backoff and bounded retention. */
import { type JobsOptions, PRIORITY_LIMIT, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { PersonalStore } from '../store/index.ts';
import { PHOTO_QUEUE, type PhotoJobData, type PhotoJobResult, photoJobId } from './contract.ts';

export interface PhotoQueueOptions {
  connection: Redis;
  /** Namespace of every key, so deployments and test runs can share one Redis. */
  prefix: string;
  attempts: number;
  /** Finished jobs kept for inspection: at most this many, for at most this long. */
  retention: { count: number; seconds: number };
}

export type PhotoQueue = Queue<PhotoJobData, PhotoJobResult>;

export function createPhotoQueue(options: PhotoQueueOptions): PhotoQueue {
  const retention = { count: options.retention.count, age: options.retention.seconds };
  const defaultJobOptions: JobsOptions = {
    attempts: options.attempts,
    // 1 s, 2 s, 4 s, …: rides out a Telegram hiccup or a Redis restart without hammering anything.
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: retention,
    removeOnFail: retention,
  };
  return new Queue<PhotoJobData, PhotoJobResult>(PHOTO_QUEUE, {
    connection: options.connection,
    prefix: options.prefix,
    defaultJobOptions,
  });
}

/** Whether a job for this photo message already exists (a re-delivered update). */
export async function hasPhotoJob(queue: PhotoQueue, chatId: number, messageId: number): Promise<boolean> {
  return (await queue.getJob(photoJobId(chatId, messageId))) !== undefined;
}

/** Where a photo job goes in the queue: its priority (1 first) and how long it waits before it may be taken. */
export interface PhotoPlacement {
  priority: number;
  delayMs: number;
}

/**
 * Queues one photo. Every photo job carries a priority of at least 1: BullMQ serves plain (priority 0) jobs before any
 * prioritized one, so one plain job would jump the fair order. Jobs of the same priority keep their arrival order; a
 * delayed job, a retried one and one put back to wait keep their priority (a stalled job taken over goes first).
 */
export async function enqueuePhoto(
  queue: PhotoQueue,
  data: PhotoJobData,
  placement: PhotoPlacement = { priority: 1, delayMs: 0 },
): Promise<void> {
  const priority = Math.min(PRIORITY_LIMIT, Math.max(1, Math.round(placement.priority)));
  await queue.add('classify', data, {
    jobId: photoJobId(data.chatId, data.messageId),
    priority,
    ...(placement.delayMs > 0 ? { delay: Math.round(placement.delayMs) } : {}),
  });
}

/**
 * The person's finished (completed or failed) photo jobs, kept by BullMQ for JOB_RETENTION_SECONDS, as a store /forget
 * asks; waiting and running jobs are left to finish.
 */
export function finishedJobsOf(queue: PhotoQueue): PersonalStore {
  return {
    async forget(userId: number): Promise<number> {
      const jobs = await queue.getJobs(['completed', 'failed']);
      const theirs = jobs.filter((job) => job?.data.userId === userId);
      await Promise.all(theirs.map((job) => job.remove()));
      return theirs.length;
    },
  };
}
