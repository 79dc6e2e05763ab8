/**
 * What the feedback buttons under an answer need to know about it: which photo (Telegram file ids — never the bytes),
 * which model, its top-3, and who sent it. The worker stores one per answer message when it answers; the bot looks it
 * up by (chat id, answer message id) when someone presses 👍/👎. Kept as long as the answer history
 * (HISTORY_RETENTION_DAYS; 0 = not kept, and answers get no feedback buttons).
 *
 * Keys: `<prefix>:answer:<chatId>:<messageId>` (a string with a TTL) and, so /forget can find them,
 * `<prefix>:answers-of:<userId>` (a sorted set of "chatId:messageId" by time, trimmed to the retention on every write).
 */
import type { Redis } from 'ioredis';

export interface AnswerContext {
  chatId: number;
  /** The answer message (the edited status message): the one the buttons sit under. */
  messageId: number;
  /** The person's photo message. */
  photoMessageId: number;
  /** Who sent the photo. */
  userId: number;
  fileId: string;
  fileUniqueId: string;
  model: string;
  top: { breed: string; p: number }[];
  /** When answered, epoch ms. */
  at: number;
}

export class AnswerContextStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    /** How long contexts are kept; 0 = not at all. */
    private readonly retentionSeconds: number,
  ) {}

  get enabled(): boolean {
    return this.retentionSeconds >= 1;
  }

  private key(chatId: number, messageId: number): string {
    return `${this.prefix}:answer:${chatId}:${messageId}`;
  }

  private indexKey(userId: number): string {
    return `${this.prefix}:answers-of:${userId}`;
  }

  async save(context: AnswerContext): Promise<void> {
    if (!this.enabled) return;
    const ttl = Math.round(this.retentionSeconds);
    const index = this.indexKey(context.userId);
    await this.redis
      .multi()
      .set(this.key(context.chatId, context.messageId), JSON.stringify(context), 'EX', ttl)
      .zadd(index, context.at, `${context.chatId}:${context.messageId}`)
      .zremrangebyscore(index, '-inf', `(${context.at - ttl * 1000}`)
      .expire(index, ttl)
      .exec();
  }

  async get(chatId: number, messageId: number): Promise<AnswerContext | undefined> {
    const json = await this.redis.get(this.key(chatId, messageId));
    if (json === null) return undefined;
    try {
      return JSON.parse(json) as AnswerContext;
    } catch {
      return undefined;
    }
  }

  /** Deletes every answer context of this person's photos; returns how many there were. */
  async forgetUser(userId: number): Promise<number> {
    const index = this.indexKey(userId);
    const members = await this.redis.zrange(index, '0', '-1');
    const keys = members.map((m) => {
      const [chatId, messageId] = m.split(':');
      return this.key(Number(chatId), Number(messageId));
    });
    const deleted = keys.length > 0 ? await this.redis.del(...keys) : 0;
    await this.redis.del(index);
    return deleted;
  }
}
