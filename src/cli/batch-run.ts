/**
 * Runs photos and videos through a model's batch queue and collects the results as they come: enqueue (idempotent ids), listen
 * for completions, pick up jobs that finished while nobody was listening, report progress, and say at once when no
 * worker listens on the queue (and again when one comes). Shared by `batch` and `reprocess`. With `local`, the
 * command also runs a worker in its own process (no other worker needed).
 */

import { QueueEvents } from 'bullmq';
import cliProgress from 'cli-progress';
import type { Redis } from 'ioredis';
import { openClassifier, openVideoReader, startBatchRole } from '../app/index.ts';
import type { Config } from '../config/index.ts';
import type { Logger } from '../ops/index.ts';
import { Metrics } from '../ops/index.ts';
import {
  type BatchJobData,
  type BatchJobResult,
  type BatchQueue,
  batchJobId,
  batchQueueName,
  connectRedis,
  createBatchQueue,
  enqueueBatch,
  RedisOutageReport,
  redisErrorListener,
  safeRedisUrl,
} from '../queue/index.ts';
import { listWorkers } from '../store/index.ts';
import { createTelegramApi } from '../telegram/index.ts';
import { photosInFlight } from './concurrency.ts';

export interface BatchItem {
  data: BatchJobData;
  label?: string;
}

export interface BatchRunOptions {
  config: Config;
  /** Manifest id of the model (the queue is per model). */
  modelId: string;
  /** Model reference for a local worker (id or manifest path). */
  modelRef: string;
  items: readonly BatchItem[];
  local: boolean;
  logger: Logger;
  /** Called once per finished item, in completion order. */
  onResult: (item: BatchItem, result: BatchJobResult) => Promise<void>;
  /** Resolves when the run should stop early (Ctrl-C); what finished so far is kept. */
  interrupted?: Promise<void>;
  /** Where notes for the person go (no worker listening, one came); default stderr. */
  say?: (line: string) => void;
}

/** How often a run without a worker looks again (and a run with one checks it is still there). */
const WORKER_CHECK_MS = 3000;

export interface BatchRunSummary {
  finished: number;
  failed: number;
  interrupted: boolean;
  /** The whole run, from connecting to the last result. */
  seconds: number;
  /**
   * The work: from the first photo a worker took (or the first result, for jobs that had finished already) to the
   * last result. The rate is over this, not over a wait for a worker or a local worker's model loading.
   */
  workSeconds: number;
  /** Before that: the jobs queued, nobody taking them. */
  waitSeconds: number;
}

/** When the work began and how far it got: the time a worker needed for the photos, apart from any wait for one. */
class WorkClock {
  private first: number | undefined;
  private last: number | undefined;

  constructor(private readonly started: number) {}

  /** A job taken by a worker, or a result in: the work has begun by now. */
  began(at = Date.now()): void {
    this.first = Math.min(this.first ?? at, at);
  }

  finished(at = Date.now()): void {
    this.began(at);
    this.last = at;
  }

  /** Photos a second over the work so far; 0 before any result. */
  rate(finished: number, now = Date.now()): number {
    return finished / Math.max(0.001, ((this.last ?? now) - (this.first ?? now)) / 1000);
  }

  summary(now = Date.now()): { workSeconds: number; waitSeconds: number } {
    const first = this.first ?? now;
    return { workSeconds: ((this.last ?? first) - first) / 1000, waitSeconds: (first - this.started) / 1000 };
  }
}

export async function runBatch(options: BatchRunOptions): Promise<BatchRunSummary> {
  const { config, modelId, items, logger } = options;
  const redis = await connectRedis(config.REDIS_URL);
  const queue = createBatchQueue({ connection: redis, prefix: config.QUEUE_PREFIX, modelId });
  const events = new QueueEvents(batchQueueName(modelId), {
    connection: redis.duplicate(),
    prefix: config.QUEUE_PREFIX,
  });
  const stops: (() => Promise<unknown>)[] = [() => events.close(), () => queue.close()];
  const say = options.say ?? sayOnStderr;
  const started = Date.now();
  const clock = new WorkClock(started);
  const pending = new Map(items.map((item) => [batchJobId(modelId, item.data.key), item]));
  let failed = 0;
  const bar = progressBar();
  let allDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    allDone = resolve;
  });

  const settle = async (jobId: string, result: BatchJobResult) => {
    const item = pending.get(jobId);
    if (item === undefined) return; // another run's job, or already counted
    pending.delete(jobId);
    if (!result.ok) failed++;
    clock.finished();
    await options.onResult(item, result);
    const finished = items.length - pending.size;
    bar.update(finished, { failed, rate: clock.rate(finished).toFixed(1) });
    if (pending.size === 0) allDone();
  };

  try {
    watchRedis(options, { redis, queue, events }, say, () => reconcile(queue, modelId, pending, settle, say));
    if (options.local) stops.unshift(await startLocalWorker(options, redis));
    events.on('active', ({ jobId }) => {
      if (pending.has(jobId)) clock.began();
    });
    events.on('completed', ({ jobId, returnvalue }) => {
      void settle(jobId, (typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue) as BatchJobResult);
    });
    events.on('failed', async ({ jobId, failedReason }) => {
      const job = await queue.getJob(jobId);
      if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) {
        void settle(jobId, { ok: false, problem: 'failed', message: failedReason });
      }
    });
    await events.waitUntilReady();
    bar.start(items.length, 0, { failed: 0, rate: '0.0' });
    if (items.length === 0) allDone();
    if (!options.local && items.length > 0) stops.unshift(watchForWorkers(options, queue, redis, say));
    await enqueueBatch(
      queue,
      modelId,
      items.map((i) => i.data),
    );
    // Jobs that finished before we listened (an earlier, interrupted run): collect their results now.
    for (const jobId of [...pending.keys()]) await collectFinished(queue, jobId, settle);
    const stopped = await Promise.race([
      done.then(() => false),
      (options.interrupted ?? new Promise(() => undefined)).then(() => true),
    ]);
    return {
      finished: items.length - pending.size,
      failed,
      interrupted: stopped,
      seconds: (Date.now() - started) / 1000,
      ...clock.summary(),
    };
  } finally {
    bar.stop();
    for (const stop of stops) await stop().catch((error: unknown) => logger.warn({ err: error }, 'batch shutdown'));
    redis.disconnect();
  }
}

type Settle = (jobId: string, result: BatchJobResult) => Promise<void>;

/** A job's result when it has finished (for good: a failure with attempts left is not); whether it was there at all. */
async function collectFinished(queue: BatchQueue, jobId: string, settle: Settle): Promise<boolean> {
  const job = await queue.getJob(jobId);
  if (job === undefined) return false;
  if (job.finishedOn === undefined) return true;
  if (job.returnvalue) await settle(jobId, job.returnvalue);
  else if (job.failedReason && job.attemptsMade >= (job.opts.attempts ?? 1)) {
    await settle(jobId, { ok: false, problem: 'failed', message: job.failedReason });
  }
  return true;
}

/**
 * After Redis comes back: the results of jobs that finished meanwhile, and the jobs Redis no longer has (restarted
 * without its data) queued again — otherwise the run would wait for them for ever.
 */
async function reconcile(
  queue: BatchQueue,
  modelId: string,
  pending: ReadonlyMap<string, BatchItem>,
  settle: Settle,
  say: (line: string) => void,
): Promise<void> {
  const lost: BatchJobData[] = [];
  for (const [jobId, item] of [...pending]) {
    if (!(await collectFinished(queue, jobId, settle))) lost.push(item.data);
  }
  if (lost.length === 0) return;
  await enqueueBatch(queue, modelId, lost);
  say(`Redis had lost ${lost.length} of the queued photos (restarted without its data?): they are queued again.`);
}

/**
 * Redis going away mid-run: one note each way for the person instead of BullMQ's stack traces on every reconnect try
 * (ioredis reconnects, commands wait), and what finished or was lost meanwhile put right when it is back.
 */
function watchRedis(
  options: BatchRunOptions,
  parts: { redis: Redis; queue: BatchQueue; events: QueueEvents },
  say: (line: string) => void,
  whenBack: () => Promise<void>,
): void {
  const { redis, queue, events } = parts;
  const where = safeRedisUrl(options.config.REDIS_URL);
  RedisOutageReport.watch(redis, {
    lost: () => say(`Redis (${where}) is unreachable: waiting for it; the queued photos wait too.`),
    back: () => {
      say(`Redis (${where}) is back.`);
      whenBack().catch((error: unknown) => options.logger.warn({ err: error }, 'could not check the batch jobs'));
    },
  });
  const log = (error: Error) => options.logger.warn({ err: error }, 'batch queue error');
  queue.on('error', redisErrorListener(redis, log));
  events.on('error', redisErrorListener(redis, log));
}

const sayOnStderr = (line: string) => void process.stderr.write(`${process.stderr.isTTY ? '\r\x1b[K' : ''}${line}\n`);

function progressBar(): cliProgress.SingleBar {
  return new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: '{bar} {value}/{total} | failed {failed} | {rate}/s | ETA {eta_formatted}',
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
}

/**
 * Says when nobody serves the queue — how to start a worker, or to use --local — and when a worker comes. The run
 * keeps waiting rather than exiting: its jobs are in Redis already, and a worker started now (in another terminal, a
 * container) takes them, so the person only has to start one; exiting would leave them queued all the same.
 */
function watchForWorkers(
  options: BatchRunOptions,
  queue: BatchQueue,
  redis: Redis,
  say: (line: string) => void,
): () => Promise<void> {
  const name = batchQueueName(options.modelId);
  let listening: boolean | undefined;
  const check = async () => {
    // BullMQ names each worker's Redis connection after its queue; where CLIENT LIST is refused it cannot tell.
    const workers = await queue.getWorkers();
    if (workers.some((w) => /does not support/.test(w.name ?? ''))) return;
    const now = workers.length > 0;
    if (now === listening || (now && listening === undefined)) {
      listening = now;
      return;
    }
    listening = now;
    say(now ? `A worker is listening on ${name} now.` : await noWorkerNote(options, redis, name));
  };
  const failed = (error: unknown) => options.logger.debug({ err: error }, 'could not list the batch workers');
  void check().catch(failed);
  const timer = setInterval(() => void check().catch(failed), WORKER_CHECK_MS);
  return async () => clearInterval(timer);
}

async function noWorkerNote(options: BatchRunOptions, redis: Redis, queueName: string): Promise<string> {
  const others = (await listWorkers(redis, options.config.QUEUE_PREFIX).catch(() => []))
    .map((w) => w.model)
    .filter((model) => model !== options.modelId);
  // Chat photos (reprocess) are read from Telegram: only a worker with the bot's token can fetch them.
  const fromTelegram = options.items.some((item) => item.data.source.kind === 'telegram');
  return (
    `No worker is listening on ${queueName}: start one (\`npm run worker\` with MODEL=${options.modelRef}; ` +
    (fromTelegram ? 'and BOT_TOKEN, to fetch the chat photos' : 'no BOT_TOKEN needed for batch jobs') +
    '), or run this again with --local. Waiting: the photos stay queued, a worker ' +
    'started now takes them (Ctrl-C stops; a re-run collects what finished).' +
    (others.length > 0 ? ` Workers are up for other models only: ${[...new Set(others)].join(', ')}.` : '')
  );
}

async function startLocalWorker(options: BatchRunOptions, redis: Redis): Promise<() => Promise<void>> {
  const { config, logger } = options;
  const classifier = await openClassifier(config, logger, { model: options.modelRef });
  const token = config.BOT_TOKEN;
  const telegram =
    token === undefined
      ? undefined
      : {
          api: createTelegramApi({ token, apiRoot: config.TELEGRAM_API_ROOT }),
          token,
          apiRoot: config.TELEGRAM_API_ROOT,
        };
  const worker = startBatchRole({
    config,
    redis,
    classifier,
    concurrency: photosInFlight(config),
    access: telegram ? { telegram } : {},
    videoReader: await openVideoReader(config, logger),
    logger,
    metrics: new Metrics({ defaultMetrics: false }),
  });
  return async () => {
    await worker.close();
    await classifier.close();
  };
}
