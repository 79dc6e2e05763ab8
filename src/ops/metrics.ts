/**
 * Prometheus metrics (prom-client): Node's default process metrics (CPU, memory, event-loop lag, GC) and the
 * service's own — jobs by outcome, preprocessing and inference latency, batch sizes, queue depth by state, device,
 * whether Telegram answers.
 * One registry per process; `/metrics` serves it.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** What the metrics need of a queue (BullMQ's Queue has it). */
export interface CountableQueue {
  readonly name: string;
  getJobCounts(...states: string[]): Promise<Record<string, number>>;
}

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized'] as const;
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Metrics {
  readonly registry = new Registry();
  private readonly queues: CountableQueue[] = [];

  readonly jobs = new Counter({
    name: 'dog_breeds_jobs_total',
    help: 'Photo jobs finished, by queue and outcome (answered, not-a-dog, bad-input, file-unavailable, failed).',
    labelNames: ['queue', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly jobSeconds = new Histogram({
    name: 'dog_breeds_job_seconds',
    help: 'Time from a job being queued to its answer.',
    labelNames: ['queue'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly preprocessSeconds = new Histogram({
    name: 'dog_breeds_preprocess_seconds',
    help: 'Decoding and resizing one photo (sharp) into model input.',
    labelNames: ['model'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly inferenceSeconds = new Histogram({
    name: 'dog_breeds_inference_seconds',
    help: 'Model time of one photo, including the wait for its micro-batch.',
    labelNames: ['model'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly batchSize = new Histogram({
    name: 'dog_breeds_batch_size',
    help: 'Photos per inference batch.',
    labelNames: ['model'] as const,
    buckets: [1, 2, 4, 8, 16, 32, 64],
    registers: [this.registry],
  });
  readonly device = new Gauge({
    name: 'dog_breeds_model_device_info',
    help: 'Which execution provider serves each model (value 1).',
    labelNames: ['model', 'device'] as const,
    registers: [this.registry],
  });
  readonly updates = new Counter({
    name: 'dog_breeds_photos_received_total',
    help: 'Photos the bot received, by what it did with them (queued, queued-later, duplicate, rate-limited, refused).',
    labelNames: ['action'] as const,
    registers: [this.registry],
  });
  readonly webhookRequests = new Counter({
    name: 'dog_breeds_webhook_requests_total',
    help: 'Webhook requests by outcome (answered, retry-later, unauthorized, timeout, bad-request, too-large, failed).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly webhookRedeliveries = new Counter({
    name: 'dog_breeds_webhook_redeliveries_total',
    help: 'Updates delivered again by Telegram, by what the claim showed (done: acknowledged; in-progress: retry later).',
    labelNames: ['found'] as const,
    registers: [this.registry],
  });

  readonly telegramReachable = new Gauge({
    name: 'dog_breeds_telegram_reachable',
    help: 'Whether the last call to the Telegram Bot API got an answer (1) or a network error (0).',
    registers: [this.registry],
  });
  readonly telegramFailures = new Counter({
    name: 'dog_breeds_telegram_network_failures_total',
    help: 'Calls to the Telegram Bot API that got no answer (network errors, each attempt), by method.',
    labelNames: ['method'] as const,
    registers: [this.registry],
  });

  readonly answersMaybeTwice = new Counter({
    name: 'dog_breeds_answers_maybe_twice_total',
    help:
      'Answers sent again because an earlier attempt had begun sending one and could not record it (its response ' +
      'lost, or Redis refusing the record): the person may have it twice.',
    registers: [this.registry],
  });
  readonly jobsWaitingForTelegram = new Counter({
    name: 'dog_breeds_jobs_waiting_for_telegram_total',
    help: 'Times a photo job was put back to wait (no attempt spent) because Telegram could not be reached.',
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics !== false)
      collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 });
    this.telegramReachable.set(1);
    const queues = this.queues;
    new Gauge({
      name: 'dog_breeds_queue_jobs',
      help: 'Jobs in each queue by state (read from Redis at scrape time).',
      labelNames: ['queue', 'state'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const queue of queues) {
          const counts = await queue.getJobCounts(...QUEUE_STATES);
          for (const state of QUEUE_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
        }
      },
    });
  }

  /** Reports this queue's depth at every scrape. */
  trackQueue(queue: CountableQueue): void {
    this.queues.push(queue);
  }
}
