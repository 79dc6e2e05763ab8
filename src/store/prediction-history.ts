/**
 * A bounded history of the answers given in chats: which file, which model, the top-3, how long it took — never the
 * photo. It lets an admin re-run past photos through a new model (`dog-breeds reprocess`) and see what would change,
 * and feeds `/stats`. Kept in one Redis sorted set scored by time; trimmed by age and count on every write.
 */
import type { Redis } from 'ioredis';
import type { Guess } from '../vision/index.ts';
import type { PersonalStore } from './personal-stores.ts';
import { StoreKeys } from './store-keys.ts';

export interface PredictionRecord {
  jobId: string;
  chatId: number;
  userId: number;
  fileId: string;
  fileUniqueId: string;
  model: string;
  outcome: string;
  isDog: boolean;
  dogScore: number | null;
  top: Guess[];
  /** Queue-to-answer time, ms. */
  ms: number;
  /** When answered, epoch ms. */
  at: number;
}

export interface HistoryOptions {
  redis: Redis;
  prefix: string;
  /** How long records are kept; 0 turns the history off. */
  retentionSeconds: number;
  /** Most records kept. */
  maxRecords: number;
}

export class PredictionHistory implements PersonalStore {
  private readonly key: string;

  constructor(private readonly options: HistoryOptions) {
    this.key = new StoreKeys(options.prefix).history();
  }

  get enabled(): boolean {
    return this.options.retentionSeconds > 0 && this.options.maxRecords > 0;
  }

  async add(record: PredictionRecord): Promise<void> {
    if (!this.enabled) return;
    const oldest = record.at - this.options.retentionSeconds * 1000;
    await this.options.redis
      .multi()
      .zadd(this.key, record.at, JSON.stringify(record))
      .zremrangebyscore(this.key, '-inf', `(${oldest}`)
      .zremrangebyrank(this.key, 0, -(this.options.maxRecords + 1))
      .exec();
  }

  /** Records answered at or after `since` (epoch ms), oldest first. */
  async since(since: number, limit = this.options.maxRecords): Promise<PredictionRecord[]> {
    const members = await this.options.redis.zrangebyscore(this.key, since, '+inf', 'LIMIT', 0, limit);
    return members.flatMap((m) => {
      try {
        return [JSON.parse(m) as PredictionRecord];
      } catch {
        return [];
      }
    });
  }

  /** Deletes every record about this user; returns how many. */
  async forget(userId: number): Promise<number> {
    const mine = (await this.since(0)).filter((r) => r.userId === userId);
    if (mine.length === 0) return 0;
    return this.options.redis.zrem(this.key, ...mine.map((r) => JSON.stringify(r)));
  }

  async count(): Promise<number> {
    return this.options.redis.zcard(this.key);
  }
}
