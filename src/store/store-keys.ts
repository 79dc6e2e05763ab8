/**
 * The only place that builds the names of the app's own Redis keys (BullMQ names its queue keys itself, under the same
 * prefix). Every name is `<prefix>:<family>[:<id>…]`: the prefix (QUEUE_PREFIX) lets deployments and test runs share
 * one Redis, and a test deletes everything it wrote with `<prefix>:*`. A new store adds its family here, documented.
 */
export class StoreKeys {
  constructor(readonly prefix: string) {}

  /** Sorted set: the answers given in chats (JSON records), scored by time (PredictionHistory). */
  history(): string {
    return this.toKey('history');
  }

  /**
   * Sorted set: one person's newest answers (the same JSON members as `history`), by time, so /history reads theirs
   * without reading everyone's (PredictionHistory).
   */
  historyOf(userId: number): string {
    return this.toKey('history-of', userId);
  }

  /** Hash: user id → the locale chosen with /language (LanguageStore). */
  language(): string {
    return this.toKey('language');
  }

  /** Hash: feedback field (`<userId>:<chatId>:<messageId>[:<dog>]`) → JSON record (FeedbackStore). */
  feedback(): string {
    return this.toKey('feedback');
  }

  /** Sorted set: the feedback hash's fields by time of last change, which bounds the hash (FeedbackStore). */
  feedbackByTime(): string {
    return this.toKey('feedback', 'at');
  }

  /** String with a TTL: the context of one answer message, for its buttons (AnswerContextStore). */
  answer(chatId: number, messageId: number): string {
    return this.toKey('answer', chatId, messageId);
  }

  /** Sorted set: one person's answers as `<chatId>:<messageId>` by time, so /forget finds them (AnswerContextStore). */
  answersOf(userId: number): string {
    return this.toKey('answers-of', userId);
  }

  /** Hash, expiring: chat id → the answer this person is correcting by typing a breed (AwaitingBreedName). */
  awaitingBreed(userId: number): string {
    return this.toKey('awaiting-breed', userId);
  }

  /** String with a TTL: one running worker's announcement, JSON (worker presence). */
  worker(workerId: string): string {
    return this.toKey('worker', workerId);
  }

  /** SCAN pattern matching every `worker` key. */
  everyWorker(): string {
    return this.toKey('worker', '*');
  }

  /**
   * Sorted set with a TTL: the photos let through for this person in the last window, and those waiting for a slot,
   * scored by when each goes to the queue in ms (PhotoCounter).
   */
  rateLimit(userId: number): string {
    return this.toKey('ratelimit', userId);
  }

  /** String with a TTL: until when (ms) this person knows that their photos wait for a slot (PhotoCounter). */
  rateLimitWarned(userId: number): string {
    return this.toKey('ratelimit-warned', userId);
  }

  /**
   * String with a TTL: a webhook delivery of this update is being handled (`working`) or was (`done`), so a
   * re-delivery of the same update_id, to this replica or another, makes no second job (UpdateClaims).
   */
  updateClaim(updateId: number): string {
    return this.toKey('update', updateId);
  }

  /**
   * Hash: update_id → JSON `{ update, replays }`, the updates a polling bot (by its user id) has taken from Telegram
   * and not finished handling (UpdateInbox). Telegram forgets an update once the next getUpdates confirms it, so a
   * bot killed then would lose it: the next bot handles these again instead.
   */
  updateInbox(botId: number): string {
    return this.toKey('inbox', botId);
  }

  /**
   * Set of update_ids in that inbox whose handling has begun (UpdateInbox.begin): only an update in hand when a bot
   * died counts towards being dropped as the one that kills it, never the batch-mates that were only waiting.
   */
  updateInboxInHand(botId: number): string {
    return this.toKey('inbox', botId, 'in-hand');
  }

  /** String, expiring in a second: written only to see whether Redis takes writes again (RedisWriteRefusal). */
  writeProbe(): string {
    return this.toKey('write-probe');
  }

  private toKey(...parts: (string | number)[]): string {
    return [this.prefix, ...parts].join(':');
  }
}
