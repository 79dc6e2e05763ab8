/**
 * The bot's updates and long polling, with Telegram's semantics: an update is forgotten only
 * once it was delivered and then confirmed by a higher offset (so unconfirmed ones come back),
 * a pending getUpdates is answered as soon as an update arrives, and a newer getUpdates ends an
 * older one with 409 Conflict. With a webhook set, `webhook-delivery.ts` takes the updates from
 * here instead, and an update is forgotten once the bot's server accepted it.
 */
import { ApiError } from './api-error.ts';
import type { Update } from './types.ts';

export interface QueuedUpdate {
  update: Update;
  delivered: boolean;
  /** Being delivered to the webhook (getUpdates skips it). */
  taken?: boolean;
}
interface PendingPoll {
  limit: number;
  finish: (result: Update[] | ApiError) => void;
}
export interface PollRequest {
  offset: number | undefined;
  limit: number;
  timeoutSeconds: number;
  /** Aborted when the client goes away (grammY aborts its long poll on stop). */
  signal: AbortSignal;
}

const CONFLICT = 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running';

export class UpdateQueue {
  /** Every update ever queued for the bot (pushed ones too), in order. */
  readonly log: Update[] = [];
  private queue: QueuedUpdate[] = [];
  private nextUpdateId = 1;
  private readonly polls = new Set<PendingPoll>();
  private closed = false;
  /** Told when an update is queued (the webhook delivery wakes up). */
  onQueued: (() => void) | undefined;

  /** The id the next queued update will get. */
  get upcomingId(): number {
    return this.nextUpdateId;
  }

  /** Updates not yet confirmed by the bot (delivered or not). */
  get pendingCount(): number {
    return this.queue.length;
  }

  /** Queue a new update, numbered in order. */
  add(fields: Omit<Update, 'update_id'>): Update {
    const update: Update = { update_id: this.nextUpdateId++, ...fields };
    this.log.push(structuredClone(update));
    this.queue.push({ update, delivered: false });
    this.flushPolls();
    this.onQueued?.();
    return update;
  }

  /** Queue an update as-is, its update_id too (even one delivered before). */
  push(update: Update): void {
    this.nextUpdateId = Math.max(this.nextUpdateId, update.update_id + 1);
    this.log.push(structuredClone(update));
    this.queue.push({ update: structuredClone(update), delivered: false });
    this.flushPolls();
    this.onQueued?.();
  }

  dropPending(): void {
    this.queue = [];
  }

  /** getUpdates: confirm by offset, then answer at once or hold the request until an update or the timeout. */
  poll({ offset, limit, timeoutSeconds, signal }: PollRequest): Update[] | Promise<Update[]> {
    if (offset !== undefined) this.confirm(offset);
    // A newer getUpdates terminates an older one, which is how Telegram reports two running bot instances.
    for (const poll of [...this.polls]) poll.finish(new ApiError(409, CONFLICT));
    const ready = this.take(limit);
    if (ready.length > 0 || timeoutSeconds === 0 || this.closed) return ready;
    return new Promise<Update[]>((resolve, reject) => {
      const poll: PendingPoll = {
        limit,
        finish: (result) => {
          this.polls.delete(poll);
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          if (result instanceof ApiError) reject(result);
          else resolve(result);
        },
      };
      const onAbort = () => poll.finish([]);
      const timer = setTimeout(() => poll.finish([]), timeoutSeconds * 1000);
      signal.addEventListener('abort', onAbort);
      this.polls.add(poll);
    });
  }

  /** The first update not being delivered whose chat is not busy, marked taken; for the webhook delivery. */
  takeForDelivery(busy: (update: Update) => boolean): QueuedUpdate | undefined {
    const next = this.queue.find((q) => !q.taken && !busy(q.update));
    if (next) next.taken = true;
    return next;
  }

  /** The bot's server accepted it: forgotten. */
  acknowledge(queued: QueuedUpdate): void {
    this.queue = this.queue.filter((q) => q !== queued);
  }

  /** Its delivery stopped unaccepted (the webhook was deleted): getUpdates may hand it out again. */
  release(queued: QueuedUpdate): void {
    queued.taken = false;
  }

  /** Ends pending long polls with this error (setWebhook: getUpdates no longer works). */
  failPolls(error: ApiError): void {
    for (const poll of [...this.polls]) poll.finish(error);
  }

  /** Pending polls get `[]`; later ones are answered at once. */
  close(): void {
    this.closed = true;
    for (const poll of [...this.polls]) poll.finish([]);
  }

  /** Telegram forgets delivered updates below a positive offset; a negative offset keeps only the last -offset. */
  private confirm(offset: number): void {
    if (offset < 0) this.queue = this.queue.slice(offset);
    else this.queue = this.queue.filter((q) => !(q.delivered && q.update.update_id < offset));
  }

  private take(limit: number): Update[] {
    const batch = this.queue.filter((q) => !q.taken).slice(0, limit);
    for (const queued of batch) queued.delivered = true;
    return batch.map((q) => structuredClone(q.update));
  }

  private flushPolls(): void {
    for (const poll of [...this.polls]) {
      const updates = this.take(poll.limit);
      if (updates.length === 0) return;
      poll.finish(updates);
    }
  }
}
