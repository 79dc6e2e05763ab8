/**
 * The updates a polling bot has taken from Telegram and not yet finished handling, in Redis. grammY's runner confirms
 * a batch to Telegram with its next getUpdates, before the batch's handling ends, so a bot killed (SIGKILL, a crash,
 * the container's memory limit) would lose what it had in hand. Each batch is kept here before the runner sees it,
 * and each update is let go once handled; a bot that starts takes over what is left and handles it again.
 *
 * One polling bot per token (Telegram answers a second getUpdates with 409), so one inbox per bot. An update
 * that was being handled each of the last `maxReplays` times a bot died is dropped, not handled again: it may be
 * what kills the bot.
 */
import type { Redis } from 'ioredis';
import { StoreKeys } from './store-keys.ts';

interface Kept<U> {
  update: U;
  /** How many times a bot that started took this update over (0 while the bot that fetched it runs). */
  replays: number;
}

export interface InboxTakeOver<U> {
  /** To be handled again, oldest first (they stay in the inbox until `finish`). */
  replay: U[];
  /** Given up on, after `maxReplays` take-overs (removed from the inbox). */
  dropped: U[];
}

export class UpdateInbox<U extends { update_id: number }> {
  private readonly key: string;

  /** `botId`: the bot's own user id — each bot (token) has its inbox, even under one prefix. */
  constructor(
    private readonly redis: Redis,
    prefix: string,
    botId: number,
  ) {
    this.key = new StoreKeys(prefix).updateInbox(botId);
  }

  /** Keeps a fetched batch (one round trip); resolve this before the next getUpdates confirms it to Telegram. */
  async keep(updates: readonly U[]): Promise<void> {
    if (updates.length === 0) return;
    const fields = updates.flatMap((update) => [update.update_id, JSON.stringify({ update, replays: 0 })]);
    await this.redis.hset(this.key, ...fields);
  }

  /** The update was handled (answered, or told it failed): it is not handled again after a restart. */
  async finish(updateId: number): Promise<void> {
    await this.redis.hdel(this.key, String(updateId));
  }

  /** What a bot that stopped left unfinished, counted as taken over once more; called once, as the bot starts. */
  async takeOver(maxReplays: number): Promise<InboxTakeOver<U>> {
    const left = Object.values(await this.redis.hgetall(this.key)).map((json) => JSON.parse(json) as Kept<U>);
    left.sort((a, b) => a.update.update_id - b.update.update_id);
    const replay = left.filter((kept) => kept.replays < maxReplays);
    const dropped = left.filter((kept) => kept.replays >= maxReplays).map((kept) => kept.update);
    const multi = this.redis.multi();
    if (dropped.length > 0) multi.hdel(this.key, ...dropped.map((update) => String(update.update_id)));
    for (const kept of replay) {
      multi.hset(this.key, kept.update.update_id, JSON.stringify({ ...kept, replays: kept.replays + 1 }));
    }
    await multi.exec();
    return { replay: replay.map((kept) => kept.update), dropped };
  }
}
