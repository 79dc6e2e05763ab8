/**
 * The updates a polling bot has taken from Telegram and not yet finished handling, in Redis. grammY's runner confirms
 * a batch to Telegram with its next getUpdates, before the batch's handling ends, so a bot killed (SIGKILL, a crash,
 * the container's memory limit) would lose what it had in hand. Each batch is kept here before the runner sees it,
 * and each update is let go once handled; a bot that starts takes over what is left and handles it again.
 *
 * One polling bot per token (Telegram answers a second getUpdates with 409), so one inbox per bot. An update whose
 * handling had begun each of the last `maxReplays` times a bot died is dropped, not handled again: it may be what
 * kills the bot. Its batch-mates that were only waiting (behind their chat's earlier updates) do not count.
 */
import type { Redis } from 'ioredis';
import { StoreKeys } from './store-keys.ts';

interface Kept<U> {
  update: U;
  /** Bots in a row that died while handling this update (0 while the bot that fetched it runs). */
  replays: number;
}

export interface InboxTakeOver<U> {
  /** To be handled again, oldest first (they stay in the inbox until `finish`). */
  replay: U[];
  /** Given up on: in hand at `maxReplays` + 1 deaths in a row (removed from the inbox). */
  dropped: U[];
}

export class UpdateInbox<U extends { update_id: number }> {
  private readonly key: string;
  private readonly inHandKey: string;

  /** `botId`: the bot's own user id — each bot (token) has its inbox, even under one prefix. */
  constructor(
    private readonly redis: Redis,
    prefix: string,
    botId: number,
  ) {
    const keys = new StoreKeys(prefix);
    this.key = keys.updateInbox(botId);
    this.inHandKey = keys.updateInboxInHand(botId);
  }

  /** Keeps a fetched batch (one round trip); resolve this before the next getUpdates confirms it to Telegram. */
  async keep(updates: readonly U[]): Promise<void> {
    if (updates.length === 0) return;
    const fields = updates.flatMap((update) => [update.update_id, JSON.stringify({ update, replays: 0 })]);
    await this.redis.hset(this.key, ...fields);
  }

  /** Its handling begins: were the bot to die now, this update would count as the one in hand. */
  async begin(updateId: number): Promise<void> {
    await this.redis.sadd(this.inHandKey, String(updateId));
  }

  /** The update was handled (answered, or told it failed): it is not handled again after a restart. */
  async finish(updateId: number): Promise<void> {
    await this.redis.multi().hdel(this.key, String(updateId)).srem(this.inHandKey, String(updateId)).exec();
  }

  /** What a bot that stopped left unfinished, counted as taken over once more; called once, as the bot starts. */
  async takeOver(maxReplays: number): Promise<InboxTakeOver<U>> {
    const [kept, inHand] = await Promise.all([this.redis.hgetall(this.key), this.redis.smembers(this.inHandKey)]);
    const wasInHand = new Set(inHand);
    const left = Object.entries(kept).map(([id, json]) => {
      const { update, replays } = JSON.parse(json) as Kept<U>;
      // A death counts only for an update in hand at it, and only deaths in a row: one that was waiting starts again.
      return { update, replays: wasInHand.has(id) ? replays + 1 : 0 };
    });
    left.sort((a, b) => a.update.update_id - b.update.update_id);
    const replay = left.filter((kept) => kept.replays <= maxReplays);
    const dropped = left.filter((kept) => kept.replays > maxReplays).map((kept) => kept.update);
    const multi = this.redis.multi().del(this.inHandKey);
    if (dropped.length > 0) multi.hdel(this.key, ...dropped.map((update) => String(update.update_id)));
    for (const kept of replay) multi.hset(this.key, kept.update.update_id, JSON.stringify(kept));
    await multi.exec();
    return { replay: replay.map((kept) => kept.update), dropped };
  }
}
