/**
 * Webhook delivery, as Telegram does it: once setWebhook names a URL, each queued update is POSTed there (JSON body,
 * the secret in `X-Telegram-Bot-Api-Secret-Token`), up to max_connections at once and one at a time per chat (so a
 * chat's updates arrive in order, as Telegram's own server keeps them). An update is forgotten only when the bot's
 * server answered 2xx; a network error, a timeout or any other status is recorded (getWebhookInfo's last error) and
 * the update sent again after a growing pause — deliveries are at-least-once. getUpdates then answers 409.
 */
import { ApiError } from './api-error.ts';
import type { Update } from './types.ts';
import type { QueuedUpdate, UpdateQueue } from './update-queue.ts';

export interface WebhookSettings {
  url: string;
  secretToken?: string;
  /** 1–100; Telegram's default is 40. */
  maxConnections: number;
  /** Update kinds delivered (`message`, `callback_query`…); undefined = all. */
  allowedUpdates?: string[];
}

/** One POST to the webhook: the update, and the status the bot's server answered (0: no answer). */
export interface WebhookDeliveryRecord {
  updateId: number;
  status: number;
  at: number;
}

export interface WebhookInfo {
  url: string;
  has_custom_certificate: boolean;
  pending_update_count: number;
  max_connections?: number;
  allowed_updates?: string[];
  last_error_date?: number;
  last_error_message?: string;
}

/** First pause before a failed delivery is sent again; it doubles up to RETRY_MAX_MS. */
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 3000;
/** A delivery the bot's server has not answered within this is counted as failed (Telegram gives up likewise). */
const ANSWER_TIMEOUT_MS = 30_000;

export const webhookActive = () =>
  new ApiError(
    409,
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
  );

/** The chat an update belongs to, which orders its delivery (none: delivered whenever a connection is free). */
function chatOf(update: Update): number | undefined {
  return update.message?.chat.id ?? update.callback_query?.message?.chat.id ?? update.callback_query?.from.id;
}

/** The update's kind, as allowed_updates names it (`message`, `callback_query`, …). */
function kindOf(update: Update): string | undefined {
  return Object.keys(update).find((key) => key !== 'update_id');
}

export class WebhookDelivery {
  /** Every POST to the webhook, in order. */
  readonly log: WebhookDeliveryRecord[] = [];
  private settings: WebhookSettings | undefined;
  private lastError: { date: number; message: string } | undefined;
  private connections = 0;
  private readonly busyChats = new Set<number>();
  private readonly aborts = new Set<AbortController>();
  private closed = false;

  constructor(
    private readonly updates: UpdateQueue,
    /** Told after every delivery (it may have changed a chat). */
    private readonly changed: () => void,
  ) {
    updates.onQueued = () => this.pump();
  }

  get active(): boolean {
    return this.settings !== undefined;
  }

  set(settings: WebhookSettings): void {
    this.settings = settings;
    this.lastError = undefined;
    this.updates.failPolls(webhookActive());
    this.pump();
  }

  /** Deliveries under way finish (accepted or handed back to getUpdates); no new ones start. */
  delete(): void {
    this.settings = undefined;
    this.lastError = undefined;
  }

  info(): WebhookInfo {
    const { settings, lastError } = this;
    return {
      url: settings?.url ?? '',
      has_custom_certificate: false,
      pending_update_count: this.updates.pendingCount,
      ...(settings ? { max_connections: settings.maxConnections } : {}),
      ...(settings?.allowedUpdates ? { allowed_updates: settings.allowedUpdates } : {}),
      ...(lastError ? { last_error_date: lastError.date, last_error_message: lastError.message } : {}),
    };
  }

  /**
   * Sends an update again, `copies` times at once (as when Telegram re-sends one whose first delivery is still
   * being handled), outside the queue's per-chat order; each copy is re-sent until accepted, like any delivery.
   */
  async redeliver(update: Update, copies: number): Promise<void> {
    await Promise.all(Array.from({ length: copies }, () => this.deliverUntilAccepted(structuredClone(update))));
  }

  /** Stops: deliveries under way are aborted, none is retried. */
  close(): void {
    this.closed = true;
    for (const abort of [...this.aborts]) abort.abort();
  }

  /** Starts deliveries while connections are free and an update whose chat is not busy waits. */
  private pump(): void {
    while (this.settings && !this.closed && this.connections < this.settings.maxConnections) {
      const queued = this.updates.takeForDelivery((u) => this.busyChats.has(chatOf(u) ?? Number.NaN));
      if (!queued) return;
      void this.deliverQueued(queued);
    }
  }

  private async deliverQueued(queued: QueuedUpdate): Promise<void> {
    const chat = chatOf(queued.update);
    if (chat !== undefined) this.busyChats.add(chat);
    this.connections++;
    try {
      const allowed = this.settings?.allowedUpdates;
      const kind = kindOf(queued.update);
      // Telegram keeps no updates of kinds the bot did not ask for.
      const accepted =
        allowed && kind && !allowed.includes(kind) ? true : await this.deliverUntilAccepted(queued.update);
      if (accepted) this.updates.acknowledge(queued);
      else this.updates.release(queued);
    } finally {
      this.connections--;
      if (chat !== undefined) this.busyChats.delete(chat);
      this.pump();
    }
  }

  /** POSTs until the bot's server answers 2xx (true), or the webhook is deleted or the stand-in closed (false). */
  private async deliverUntilAccepted(update: Update): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      const settings = this.settings;
      if (!settings || this.closed) return false;
      if (await this.post(settings, update)) return true;
      await this.pause(Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** attempt));
    }
  }

  private async post(settings: WebhookSettings, update: Update): Promise<boolean> {
    const abort = new AbortController();
    this.aborts.add(abort);
    const timeout = setTimeout(() => abort.abort(), ANSWER_TIMEOUT_MS);
    let status = 0;
    try {
      const response = await fetch(settings.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(settings.secretToken ? { 'x-telegram-bot-api-secret-token': settings.secretToken } : {}),
        },
        body: JSON.stringify(update),
        signal: abort.signal,
      });
      status = response.status;
      await response.arrayBuffer();
      if (!response.ok) this.failed(`Wrong response from the webhook: ${status} ${response.statusText}`);
      return response.ok;
    } catch (error) {
      this.failed(abort.signal.aborted ? 'Read timeout expired' : connectionError(error));
      return false;
    } finally {
      clearTimeout(timeout);
      this.aborts.delete(abort);
      this.log.push({ updateId: update.update_id, status, at: Date.now() });
      this.changed();
    }
  }

  private failed(message: string): void {
    this.lastError = { date: Math.floor(Date.now() / 1000), message };
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const abort = new AbortController();
      const done = () => {
        clearTimeout(timer);
        this.aborts.delete(abort);
        resolve();
      };
      const timer = setTimeout(done, ms);
      abort.signal.addEventListener('abort', done);
      this.aborts.add(abort);
    });
  }
}

/** Telegram's wording for a failed connection, from fetch's error (its cause names the system error). */
function connectionError(error: unknown): string {
  const code = (error as { cause?: { code?: string } }).cause?.code;
  return code === 'ECONNREFUSED' ? 'Connection refused' : `Connection failed${code ? ` (${code})` : ''}`;
}
