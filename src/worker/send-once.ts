/**
 * Sent once: the one way a photo job sends its answer (the reply in text, or the numbered photo). Before the answer is
 * sent, the job records that it is sending — if Redis refuses that write, nothing is sent and the job waits; once
 * sent, its message id is recorded (tried again while Redis refuses, and kept in this process too), so a retry or a
 * worker taking over finishes the job without sending it again. Only a failure between the send and its record (a
 * lost response: Telegram has no idempotency keys) can send a second, complete answer; each is counted.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Job } from 'bullmq';
import { GrammyError } from 'grammy';
import type { Logger, Metrics } from '../ops/index.ts';
import { isRedisUnavailable, type PhotoJobData, type PhotoJobResult } from '../queue/index.ts';

/** A photo job as the worker keeps it: the contract, plus what was already sent (so a retry does not send it again). */
export interface PhotoJobProgress extends PhotoJobData {
  /** The answer once sent: the reply in text, or the numbered photo about several dogs. */
  answerMessageId?: number;
  /** Set (Date.now()) just before an attempt sends the answer; replaced by answerMessageId once that is recorded. */
  answerSendingAt?: number;
}

export type PhotoJob = Job<PhotoJobProgress, PhotoJobResult>;

/** How long an answer's message id is tried to be recorded while Redis refuses writes (then the job fails). */
const RECORD_PATIENCE_MS = 60_000;
const RECORD_RETRY_MAX_MS = 2000;
/** Answers sent but perhaps not recorded in Redis, remembered by this process; the oldest forgotten past this many. */
const SENT_MEMORY = 10_000;

/**
 * Answer message ids by job id, in this process: a retry here never sends again, even if Redis lost the record. Kept
 * after the job completes (bounded): a second run of the job in this process — its lock lapsed while Redis was away,
 * and this worker took it again while the first run was still going — must still find the answer sent.
 */
export class SentAnswers {
  private readonly byJob = new Map<string, number>();
  /** The run of each job in hand in this process: a second run of the same job waits for the first to end. */
  private readonly running = new Map<string, Promise<unknown>>();

  /** Runs `run` once no other run of the same job is going in this process. */
  async oneRunAtATime<T>(job: PhotoJob, run: () => Promise<T>): Promise<T> {
    const id = job.id ?? '';
    const before = this.running.get(id);
    const mine = (before ?? Promise.resolve()).catch(() => undefined).then(run);
    const settled = mine.catch(() => undefined);
    this.running.set(id, settled);
    try {
      return await mine;
    } finally {
      if (this.running.get(id) === settled) this.running.delete(id);
    }
  }

  get(job: PhotoJob): number | undefined {
    return job.data.answerMessageId ?? this.byJob.get(job.id ?? '');
  }

  set(job: PhotoJob, messageId: number): void {
    if (this.byJob.size >= SENT_MEMORY) this.byJob.delete(this.byJob.keys().next().value ?? '');
    this.byJob.set(job.id ?? '', messageId);
  }

  forget(job: PhotoJob): void {
    this.byJob.delete(job.id ?? '');
  }
}

/** What sendOnce needs besides the job. */
export interface SendContext {
  log: Logger;
  metrics: Metrics;
  sent: SentAnswers;
}

/**
 * The one way a job sends its answer (the reply in text, or the numbered photo): at most once, as the file's header
 * says. `send` returns the message id; a refusal by Telegram (GrammyError) means nothing was sent.
 */
export async function sendOnce(job: PhotoJob, context: SendContext, send: () => Promise<number>): Promise<number> {
  const { log, metrics } = context;
  const sent = context.sent.get(job);
  if (sent !== undefined) return sent;
  if (job.data.answerSendingAt !== undefined) {
    // An earlier attempt began sending and recorded no message id: it may have reached the person. Sending again is
    // the lesser harm (a photo never answered is worse), and it is counted.
    metrics.answersMaybeTwice.inc();
    log.warn({ sendingAt: job.data.answerSendingAt }, 'answer sent again: an earlier attempt may have sent it');
  }
  await job.updateData({ ...job.data, answerSendingAt: Date.now() });
  let messageId: number;
  try {
    messageId = await send();
  } catch (error) {
    // Telegram answered with an error: nothing went out, so a later send is no repeat.
    if (error instanceof GrammyError) {
      const { answerSendingAt: _, ...data } = job.data;
      await job.updateData(data).catch(() => undefined);
    }
    throw error;
  }
  context.sent.set(job, messageId);
  await recordSent(job, messageId, log);
  return messageId;
}

/** Records the answer's message id in the job, waiting out a Redis that refuses writes for a while. */
async function recordSent(job: PhotoJob, messageId: number, log: Logger): Promise<void> {
  const { answerSendingAt: _, ...data } = job.data;
  const giveUpAt = Date.now() + RECORD_PATIENCE_MS;
  for (let delay = 250; ; delay = Math.min(delay * 2, RECORD_RETRY_MAX_MS)) {
    try {
      await job.updateData({ ...data, answerMessageId: messageId });
      return;
    } catch (error) {
      if (!isRedisUnavailable(error) || Date.now() > giveUpAt) throw error;
      if (delay === 250) log.warn({ err: error, messageId }, 'answer sent; Redis refuses its record: trying again');
    }
    await sleep(delay);
  }
}
