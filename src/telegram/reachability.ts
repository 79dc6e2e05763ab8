/**
 * Whether Telegram answers at all, and a bounded retry of calls that never got an answer (network errors). The
 * auto-retry plugin alone would retry those for up to an hour without a word; here a few quick attempts, then the
 * error goes to the caller (a worker's job fails and the queue retries it later), and a failure streak is reported
 * once when it starts and once when it ends.
 */
import { HttpError, type Transformer } from 'grammy';
import { FailureStreak } from './failure-streak.ts';

export interface ReachabilityEvents {
  /** Every network error, retried or not (a counter). */
  failure?(method: string): void;
  /** The first failure after a success: Telegram is not answering. */
  unreachable?(method: string, error: Error): void;
  /** The first answer after a failure streak. */
  reachable?(failures: number, downMs: number): void;
}

/** Shared by every API client of a process, so bot and worker tell one story (one warning per outage). */
export class TelegramReachability {
  private readonly streak: FailureStreak;

  constructor(
    private readonly events: ReachabilityEvents = {},
    now: () => number = Date.now,
  ) {
    this.streak = new FailureStreak(now);
  }

  get reachable(): boolean {
    return !this.streak.failing;
  }

  recordFailure(method: string, error: Error): void {
    this.events.failure?.(method);
    if (this.streak.fail()) this.events.unreachable?.(method, error);
  }

  /** Any answer from Telegram, errors included: it was reached. */
  recordAnswer(): void {
    const ended = this.streak.end();
    if (ended !== undefined) this.events.reachable?.(ended.failures, ended.downMs);
  }
}

export interface NetworkRetryOptions {
  /** Attempts of one call in all, the first included. */
  attempts: number;
  /** Wait before the second attempt; doubled for each next one, never past `maxDelayMs`. */
  firstDelayMs: number;
  maxDelayMs: number;
  reachability?: TelegramReachability;
}

export const DEFAULT_NETWORK_RETRY = { attempts: 3, firstDelayMs: 500, maxDelayMs: 2000 } as const;

/** A grammY transformer retrying network errors (`HttpError`) a bounded number of times, reporting reachability. */
export function networkRetry(options: NetworkRetryOptions): Transformer {
  const { attempts, firstDelayMs, maxDelayMs, reachability } = options;
  return async (previous, method, payload, signal) => {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await previous(method, payload, signal);
        reachability?.recordAnswer();
        return result;
      } catch (error) {
        // A stopped long poll is aborted on purpose, not an outage.
        if (!(error instanceof HttpError) || signal?.aborted) {
          if (!(error instanceof HttpError)) reachability?.recordAnswer();
          throw error;
        }
        reachability?.recordFailure(method, error);
        if (attempt >= attempts) throw error;
        const delayMs = Math.min(firstDelayMs * 2 ** (attempt - 1), maxDelayMs);
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  };
}
