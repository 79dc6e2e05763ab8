/**
 * A bounded history of the answers given in chats: which file, which model, the top-3, how long it took — never the
 * photo. It lets an admin re-run past photos through a new model (`dog-breeds reprocess`) and see what would change,
 * feeds `/stats`, and shows people their own answers again (/history). Kept in one Redis sorted set scored by time,
 * trimmed by age and count on every write; beside it, per person, an index of their newest records (the same members),
 * trimmed alike, so /history reads one person's alone.
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
  /** A video's answer (read from its frames; `fileId` is the video's); absent for a photo's, and in older records. */
  media?: 'video';
  isDog: boolean;
  dogScore: number | null;
  top: Guess[];
  /** Queue-to-answer time, ms. */
  ms: number;
  /** When answered, epoch ms. */
  at: number;
}

/** How many of a person's newest records their index keeps: more than /history shows, for its per-chat filter. */
const PERSONAL_INDEX_SIZE = 100;

export interface HistoryOptions {
  redis: Redis;
  prefix: string;
  /** How long records are kept; 0 turns the history off. */
  retentionSeconds: number;
  /** Most records kept. */
  maxRecords: number;
}

export class PredictionHistory implements PersonalStore {
  private readonly keys: StoreKeys;
  private readonly key: string;

  constructor(private readonly options: HistoryOptions) {
    this.keys = new StoreKeys(options.prefix);
    this.key = this.keys.history();
  }

  get enabled(): boolean {
    return this.options.retentionSeconds > 0 && this.options.maxRecords > 0;
  }

  async add(record: PredictionRecord): Promise<void> {
    if (!this.enabled) return;
    const oldest = record.at - this.options.retentionSeconds * 1000;
    const member = JSON.stringify(record);
    const mine = this.keys.historyOf(record.userId);
    await this.options.redis
      .multi()
      .zadd(this.key, record.at, member)
      .zremrangebyscore(this.key, '-inf', `(${oldest}`)
      .zremrangebyrank(this.key, 0, -(this.options.maxRecords + 1))
      .zadd(mine, record.at, member)
      .zremrangebyscore(mine, '-inf', `(${oldest}`)
      .zremrangebyrank(mine, 0, -(PERSONAL_INDEX_SIZE + 1))
      .pexpire(mine, Math.ceil(this.options.retentionSeconds * 1000))
      .exec();
  }

  /** This person's newest answers in chat `chatId`, newest first, at most `limit`: what /history lists. */
  async recentOf(userId: number, chatId: number, limit: number): Promise<PredictionRecord[]> {
    const mine = await this.kept(await this.options.redis.zrevrange(this.keys.historyOf(userId), 0, -1));
    return mine.filter((r) => r.chatId === chatId).slice(0, limit);
  }

  /** This person's answer given at `at` (epoch ms) in chat `chatId`, while the history keeps it. */
  async answerOf(userId: number, chatId: number, at: number): Promise<PredictionRecord | undefined> {
    const members = await this.options.redis.zrangebyscore(this.keys.historyOf(userId), at, at);
    return (await this.kept(members)).find((r) => r.chatId === chatId);
  }

  /**
   * The records among a person's index members that the history itself still holds (its count limit trims everyone's
   * oldest, which the index may still name), parsed.
   */
  private async kept(members: string[]): Promise<PredictionRecord[]> {
    if (members.length === 0) return [];
    const pipeline = this.options.redis.pipeline();
    for (const member of members) pipeline.zscore(this.key, member);
    const scores = (await pipeline.exec()) ?? [];
    return parseRecords(members.filter((_, i) => scores[i]?.[1] !== null && scores[i]?.[1] !== undefined));
  }

  /** Records answered at or after `since` (epoch ms), oldest first. */
  async since(since: number, limit = this.options.maxRecords): Promise<PredictionRecord[]> {
    return parseRecords(await this.options.redis.zrangebyscore(this.key, since, '+inf', 'LIMIT', 0, limit));
  }

  /** Deletes every record about this user (and their index); returns how many records. */
  async forget(userId: number): Promise<number> {
    await this.options.redis.del(this.keys.historyOf(userId));
    // Read whole: records written before the per-person index existed are not in it.
    const mine = (await this.since(0)).filter((r) => r.userId === userId);
    if (mine.length === 0) return 0;
    return this.options.redis.zrem(this.key, ...mine.map((r) => JSON.stringify(r)));
  }

  async count(): Promise<number> {
    return this.options.redis.zcard(this.key);
  }
}

function parseRecords(members: readonly string[]): PredictionRecord[] {
  return members.flatMap((m) => {
    try {
      return [JSON.parse(m) as PredictionRecord];
    } catch {
      return [];
    }
  });
}
