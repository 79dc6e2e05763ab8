/**
 * Batch jobs: photos classified in bulk (`dog-breeds batch`, `dog-breeds reprocess`). One queue per model —
 * `batch-<model id>` — so each job reaches a worker that runs that model; chat photos have their own queue, and
 * workers give batch work fewer slots, so people chatting are never starved.
 */
import { createHash } from 'node:crypto';
import type { DogSummary, NamedGuess, VideoSummary } from '../vision/index.ts';

/** Where a batch photo comes from. Paths must be readable by the workers (same machine or a shared volume). */
export type BatchSource =
  | { kind: 'path'; path: string }
  | { kind: 'url'; url: string }
  | { kind: 'telegram'; fileId: string };

export interface BatchJobData {
  source: BatchSource;
  /** What the result is filed under: the path, URL or Telegram file_unique_id. */
  key: string;
  /**
   * 'video': a clip (video, GIF animation, round note), read by sampling frames. Said by whoever queues the job (the
   * command line knows its files, a chat's history its messages); absent in older jobs: a photo.
   */
  media?: 'photo' | 'video';
}

/** What a batch result says of a video: what its answer was read from (the shown frame's pixels stay with the worker). */
export type BatchVideoFacts = VideoSummary;

export type BatchJobResult =
  | {
      ok: true;
      isDog: boolean;
      dogScore: number | null;
      top: NamedGuess[];
      /** Every dog named, left to right (absent in results of workers older than the detector). */
      dogs?: DogSummary[];
      /** Present when the job was a video. */
      video?: BatchVideoFacts;
      model: string;
      ms: number;
    }
  | { ok: false; problem: string; message: string };

export function batchQueueName(modelId: string): string {
  return `batch-${modelId}`;
}

/** The same photo for the same model is the same job: a re-run adds only what is missing. */
export function batchJobId(modelId: string, key: string): string {
  return `b_${createHash('sha256').update(`${modelId}\n${key}`).digest('hex').slice(0, 32)}`;
}
