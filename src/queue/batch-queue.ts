/** The producer side of batch jobs. */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { type BatchJobData, type BatchJobResult, batchJobId, batchQueueName } from './batch-contract.ts';

export type BatchQueue = Queue<BatchJobData, BatchJobResult>;

export function createBatchQueue(options: { connection: Redis; prefix: string; modelId: string }): BatchQueue {
  return new Queue<BatchJobData, BatchJobResult>(batchQueueName(options.modelId), {
    connection: options.connection,
    prefix: options.prefix,
    defaultJobOptions: {
      attempts: 3,
      backoff: { type: 'exponential', delay: 1000 },
      // Kept a day so an interrupted run can collect what finished while it was away.
      removeOnComplete: { age: 24 * 3600, count: 200_000 },
      removeOnFail: { age: 24 * 3600, count: 200_000 },
    },
  });
}

/** Adds jobs in chunks; ids already present are left alone (idempotent). */
export async function enqueueBatch(queue: BatchQueue, modelId: string, items: readonly BatchJobData[]): Promise<void> {
  const CHUNK = 500;
  for (let i = 0; i < items.length; i += CHUNK) {
    await queue.addBulk(
      items
        .slice(i, i + CHUNK)
        .map((data) => ({ name: 'classify', data, opts: { jobId: batchJobId(modelId, data.key) } })),
    );
  }
}
