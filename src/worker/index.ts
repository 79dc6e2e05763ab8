/** The queue's consumers: chat photos answered, batch photos classified. */
export * from './batch-source.ts';
export * from './batch-worker.ts';
export * from './dog-marks.ts';
export * from './format-answer.ts';
export * from './photo-worker.ts';
