/**
 * People's 👍/👎 on answers — the training data of the next model. One record per person and answer message — per
 * person, answer and dog when the answer names several (pressing again overwrites it: feedback is editable), holding
 * the photo's file ids, the model, its top-3, the dog's box and the verdict; never the photo. `dog-breeds export-feedback` turns them into a labelled set.
 *
 * Redis: the hash `<prefix>:feedback`, field `<userId>:<chatId>:<messageId>` (`…:<dog number>` for one dog of
 * several) → JSON, and the sorted set
 * `<prefix>:feedback:at` of the same fields by time, which bounds the hash by age (FEEDBACK_RETENTION_DAYS) and count
 * on every write.
 */
import type { Redis } from 'ioredis';
import type { Box, Guess } from '../vision/index.ts';
import type { PersonalStore } from './personal-stores.ts';
import { StoreKeys } from './store-keys.ts';

export type Verdict = 'right' | 'wrong';

export interface FeedbackRecord {
  /** Who gave the feedback. */
  userId: number;
  chatId: number;
  /** The answer message the buttons sit under. */
  messageId: number;
  /** Who sent the photo (in groups, someone else may judge the answer). */
  ownerId: number;
  fileId: string;
  fileUniqueId: string;
  model: string;
  /** The model's top-3 for what was judged: the photo, or the one dog. */
  top: Guess[];
  /** For one dog of an answer about several: its number, its box and the frame the box is in (the export crops it). */
  dog?: number;
  box?: Box | null;
  photo?: { width: number; height: number };
  verdict: Verdict;
  /** The breed the person says it is (after 👎); absent until they pick or type one. */
  correctBreed?: string;
  /** Last change, epoch ms. */
  at: number;
}

export interface FeedbackOptions {
  redis: Redis;
  prefix: string;
  /** How long feedback is kept; 0 = not kept (and no feedback buttons). */
  retentionSeconds: number;
  /** Most records kept (the oldest go first). */
  maxRecords?: number;
}

const DEFAULT_MAX_RECORDS = 100_000;

export class FeedbackStore implements PersonalStore {
  private readonly hashKey: string;
  private readonly timeKey: string;

  constructor(private readonly options: FeedbackOptions) {
    const keys = new StoreKeys(options.prefix);
    this.hashKey = keys.feedback();
    this.timeKey = keys.feedbackByTime();
  }

  get enabled(): boolean {
    return this.options.retentionSeconds >= 1;
  }

  static field(userId: number, chatId: number, messageId: number, dog?: number): string {
    return `${userId}:${chatId}:${messageId}${dog === undefined ? '' : `:${dog}`}`;
  }

  /** Stores (or replaces) this person's feedback on this answer, then drops what is too old or too many. */
  async put(record: FeedbackRecord): Promise<void> {
    if (!this.enabled) return;
    const field = FeedbackStore.field(record.userId, record.chatId, record.messageId, record.dog);
    await this.options.redis
      .multi()
      .hset(this.hashKey, field, JSON.stringify(record))
      .zadd(this.timeKey, record.at, field)
      .exec();
    await this.trim(record.at);
  }

  async get(userId: number, chatId: number, messageId: number, dog?: number): Promise<FeedbackRecord | undefined> {
    const json = await this.options.redis.hget(this.hashKey, FeedbackStore.field(userId, chatId, messageId, dog));
    return json === null ? undefined : parse(json);
  }

  /** Records changed at or after `since` (epoch ms), oldest first. */
  async since(since = 0): Promise<FeedbackRecord[]> {
    const fields = await this.options.redis.zrangebyscore(this.timeKey, since, '+inf');
    if (fields.length === 0) return [];
    const values = await this.options.redis.hmget(this.hashKey, ...fields);
    return values.flatMap((json) => {
      const record = json === null ? undefined : parse(json);
      return record ? [record] : [];
    });
  }

  /** Deletes the feedback this person gave and any feedback on their photos; returns how many records. */
  async forget(userId: number): Promise<number> {
    const fields: string[] = [];
    let cursor = '0';
    do {
      const [next, entries] = await this.options.redis.hscan(this.hashKey, cursor, 'COUNT', 500);
      cursor = next;
      for (let i = 0; i + 1 < entries.length; i += 2) {
        const field = entries[i] as string;
        const record = parse(entries[i + 1] as string);
        if (field.startsWith(`${userId}:`) || record?.userId === userId || record?.ownerId === userId) {
          fields.push(field);
        }
      }
    } while (cursor !== '0');
    const unique = [...new Set(fields)];
    if (unique.length === 0) return 0;
    const results = await this.options.redis
      .multi()
      .hdel(this.hashKey, ...unique)
      .zrem(this.timeKey, ...unique)
      .exec();
    return Number(results?.[0]?.[1] ?? 0);
  }

  async count(): Promise<number> {
    return this.options.redis.hlen(this.hashKey);
  }

  private async trim(now: number): Promise<void> {
    const { redis, retentionSeconds } = this.options;
    const max = this.options.maxRecords ?? DEFAULT_MAX_RECORDS;
    const tooOld = await redis.zrangebyscore(this.timeKey, '-inf', `(${now - retentionSeconds * 1000}`);
    const tooMany = await redis.zrange(this.timeKey, '0', String(-(max + 1)));
    const stale = [...new Set([...tooOld, ...tooMany])];
    if (stale.length === 0) return;
    await redis
      .multi()
      .hdel(this.hashKey, ...stale)
      .zrem(this.timeKey, ...stale)
      .exec();
  }
}

function parse(json: string): FeedbackRecord | undefined {
  try {
    return JSON.parse(json) as FeedbackRecord;
  } catch {
    return undefined;
  }
}
