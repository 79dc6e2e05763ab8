/** The queue's consumers: chat photos answered, batch photos classified. */
export * from './batch-source.ts';
export * from './batch-worker.ts';
export * from './photo-replies.ts';
export * from './photo-worker.ts';
