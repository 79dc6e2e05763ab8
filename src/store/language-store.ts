/**
 * The language each person chose with /language, shared by the bot and the workers through Redis: one hash,
 * `<prefix>:language` (StoreKeys.language), user id → locale. Kept until changed or /forget; people who never chose get their Telegram
 * language instead.
 */
import type { Redis } from 'ioredis';
import { isLocale, type Locale, localeFromLanguageCode } from '../i18n/index.ts';
import type { PersonalStore } from './personal-stores.ts';
import { StoreKeys } from './store-keys.ts';

export class LanguageStore implements PersonalStore {
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.key = new StoreKeys(prefix).language();
  }

  /** The stored choice, if any. */
  async get(userId: number): Promise<Locale | undefined> {
    const value = await this.redis.hget(this.key, String(userId));
    return isLocale(value) ? value : undefined;
  }

  /** The choice, else the Telegram language (`ru*` → Russian, anything else → English). */
  async resolve(userId: number, languageCode: string | undefined): Promise<Locale> {
    return (await this.get(userId)) ?? localeFromLanguageCode(languageCode);
  }

  async set(userId: number, locale: Locale): Promise<void> {
    await this.redis.hset(this.key, String(userId), locale);
  }

  /** Forgets the choice; 1 when there was one, else 0. */
  async forget(userId: number): Promise<number> {
    return this.redis.hdel(this.key, String(userId));
  }
}
