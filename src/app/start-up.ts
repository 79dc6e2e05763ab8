/**
 * A process's start-up as the ops endpoint and the logs tell it: what each dependency is doing (connecting, loading,
 * not answering and why), waits that a stop signal cuts short, and the patient retry of a dependency that is not
 * there yet (capped exponential backoff, one log line per try, never giving up on its own).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../ops/index.ts';

/** Thrown by a start-up step when SIGTERM/SIGINT asked the process to stop before it was up. */
export class StartUpAborted extends Error {
  override readonly name = 'StartUpAborted';
  constructor() {
    super('start-up stopped by a signal');
  }
}

export interface RetryPolicy {
  firstDelayMs: number;
  maxDelayMs: number;
}

/** The wait before try `attempt + 1` (attempt 1 failed: firstDelayMs), doubled each time, never over the cap. */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.firstDelayMs * 2 ** Math.min(attempt - 1, 30), policy.maxDelayMs);
}

/** "4 s", "250 ms": how the logs and /readyz say a delay. */
export function formatDelay(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}

/**
 * Where each dependency of the start-up stands: absent = ready (or never waited for), a string = why it is not.
 * Read by /readyz while the process starts; aborted by the signal handler.
 */
export class StartUpProgress {
  private readonly waiting = new Map<string, string>();

  constructor(
    readonly signal: AbortSignal,
    readonly retry: RetryPolicy,
  ) {}

  /** `name` is not ready yet, because of `why`. */
  waitingFor(name: string, why: string): void {
    this.waiting.set(name, why);
  }

  reached(name: string): void {
    this.waiting.delete(name);
  }

  /** Why `name` is not ready, or undefined once it was reached. */
  why(name: string): string | undefined {
    return this.waiting.get(name);
  }

  /** Throws StartUpAborted when a stop signal came. */
  checkNotStopped(): void {
    if (this.signal.aborted) throw new StartUpAborted();
  }

  /**
   * `work` unless a stop signal comes first (then StartUpAborted at once). What `work` makes after the signal is
   * handed to `discard` (a model that finished loading is closed), so nothing is left half open.
   */
  async unlessStopped<T>(work: Promise<T>, discard: (late: T) => unknown = () => undefined): Promise<T> {
    this.checkNotStopped();
    let onAbort: () => void = () => undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(new StartUpAborted());
      this.signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([work, aborted]);
    } finally {
      this.signal.removeEventListener('abort', onAbort);
      if (this.signal.aborted) void work.then(discard, () => undefined);
    }
  }
}

export interface ReachOptions<T> {
  /** The dependency as /readyz names it: `redis`, `telegram`. */
  name: string;
  /** Its name in a log line: `Redis at redis://…`, `Telegram at https://api.telegram.org`. */
  label: string;
  /** One try; resolves with the connection. */
  attempt(signal: AbortSignal): Promise<T>;
  /** Why a failed try failed, when it is worth trying again (the dependency is not there yet); else undefined. */
  retriable(error: unknown): string | undefined;
  /** Said once, in the first retry's log line: what the operator can do. */
  hint?: string;
  /** Closes a connection that was made after a stop signal came (nobody will use it). */
  discard?(late: T): unknown;
  progress: StartUpProgress;
  logger: Logger;
}

/**
 * Tries until the dependency answers or a stop signal comes: after each failure one warning (what, which try, why,
 * when the next), then a wait of backoffDelay. Errors that are not worth retrying (a refused token) go to the caller.
 */
export async function reachPatiently<T>(options: ReachOptions<T>): Promise<T> {
  const { progress, name, label } = options;
  progress.waitingFor(name, 'connecting');
  for (let attempt = 1; ; attempt++) {
    progress.checkNotStopped();
    try {
      const reached = await progress.unlessStopped(options.attempt(progress.signal), options.discard);
      progress.reached(name);
      if (attempt > 1) options.logger.info({ dependency: name, attempts: attempt }, `${label} reached`);
      return reached;
    } catch (error) {
      if (error instanceof StartUpAborted || progress.signal.aborted) throw new StartUpAborted();
      const reason = options.retriable(error);
      if (reason === undefined) throw error;
      const delayMs = backoffDelay(progress.retry, attempt);
      progress.waitingFor(name, `unreachable: ${reason} (try ${attempt + 1} in ${formatDelay(delayMs)})`);
      options.logger.warn(
        { dependency: name, attempt, retryInMs: delayMs, reason },
        `${label} not reachable (${reason}): try ${attempt + 1} in ${formatDelay(delayMs)}` +
          (attempt === 1 && options.hint ? `. ${options.hint}` : ''),
      );
      await sleep(delayMs, undefined, { signal: progress.signal }).catch(() => undefined);
    }
  }
}
