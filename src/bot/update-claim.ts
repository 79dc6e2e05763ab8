/**
 * Webhook mode's guard against re-deliveries: Telegram delivers an update at least once (again after a timeout or an
 * error answer, maybe to another replica, maybe while the first delivery is still being handled). The first middleware
 * of the bot claims each update_id in Redis (shared by the replicas); a delivery of an update already handled is
 * acknowledged without a second look, one still being handled elsewhere is answered with an error so that Telegram
 * comes back later (and then finds it done, or — if that replica died — handles it). So one update makes one job
 * and one answer, and none is lost. Polling needs none of this: one process at a time takes the updates (a killed
 * one's are taken over by the next: durable-polling.ts).
 */
import type { Redis } from 'ioredis';
import type { Logger, Metrics } from '../ops/index.ts';
import { isRedisUnavailable } from '../queue/index.ts';
import { UpdateClaims } from '../store/index.ts';
import type { BotContext } from './context.ts';

/**
 * A `working` claim outlives the slowest handling of one update (a "typing…" waiting out Telegram's retries,
 * Redis reconnecting), so no second delivery starts meanwhile; when a replica dies mid-update, its claim lapses after
 * this and Telegram's next re-delivery is handled.
 */
const WORKING_SECONDS = 300;
/** Telegram re-sends an unacknowledged update within minutes; an hour of `done` claims covers that, and stays small. */
const DONE_SECONDS = 3600;

/** The delivery must be answered with an error (503) so that Telegram sends it again later. */
export class RetryDeliveryLater extends Error {
  override readonly name = 'RetryDeliveryLater';
}

export interface UpdateClaimDeps {
  redis: Redis;
  prefix: string;
  logger: Logger;
  metrics: Metrics;
}

export function claimEachUpdate(deps: UpdateClaimDeps) {
  const claims = new UpdateClaims({
    redis: deps.redis,
    prefix: deps.prefix,
    workingSeconds: WORKING_SECONDS,
    doneSeconds: DONE_SECONDS,
  });
  return async (ctx: BotContext, next: () => Promise<void>): Promise<void> => {
    const updateId = ctx.update.update_id;
    const outcome = await claims.claim(updateId).catch((error: unknown) => {
      // Without the claim a re-delivery could not be told apart: let Telegram send it again once Redis is back.
      throw new RetryDeliveryLater('update claims unavailable (Redis)', { cause: error });
    });
    if (outcome === 'done') {
      deps.metrics.webhookRedeliveries.inc({ found: 'done' });
      deps.logger.info({ updateId, chatId: ctx.chat?.id }, 'update delivered again: already handled');
      return;
    }
    if (outcome === 'in-progress') {
      deps.metrics.webhookRedeliveries.inc({ found: 'in-progress' });
      deps.logger.info(
        { updateId, chatId: ctx.chat?.id },
        'update delivered again while being handled: Telegram is asked to retry',
      );
      throw new RetryDeliveryLater(`update ${updateId} is being handled`);
    }
    try {
      await next();
    } catch (error) {
      // Redis away or refusing writes (the error boundary inside lets only that through): Telegram sends it again.
      if (!isRedisUnavailable(error)) throw error;
      await claims.release(updateId).catch(() => undefined); // else it lapses by itself
      throw new RetryDeliveryLater('Redis is refusing writes', { cause: error });
    }
    // Handled, or answered with an apology (the error boundary inside): either way, never a second time.
    await claims.finish(updateId).catch((error: unknown) => {
      deps.logger.warn({ err: error, updateId }, 'could not mark the update handled; its claim lapses by itself');
    });
  };
}
