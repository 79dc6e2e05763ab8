/** Shared set-up of the reliability scenarios: a stand-in, a unique queue prefix, dog photos, many people. */
import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { BotApiStandIn, privateChat, user } from '../../src/playground/bot-api/stand-in.ts';
import { deleteKeysWithPrefix, REDIS_URL, TEST_TOKEN } from './app-harness.ts';
import type { SentPhoto } from './chat-audit.ts';
import { IMAGES_DIR } from './paths.ts';

/** An answer ("🐶 breed" first, or after the breed-group lead) or the "no dog" reply. */
export const ANSWER = (t: string) => /(^|\n)🐶|don't see a dog/.test(t);

export async function dogPhotos(count: number): Promise<Buffer[]> {
  const dir = path.join(IMAGES_DIR, 'dogs');
  const files = (await readdir(dir)).sort().slice(0, count);
  return Promise.all(files.map((f) => readFile(path.join(dir, f))));
}

export interface Scenario {
  standIn: BotApiStandIn;
  prefix: string;
  /** The environment of the service processes (merge your own settings on top). */
  env: Record<string, string>;
  /** Sends `photos`, spread over `people` distinct users; returns what was sent. */
  sendPhotos(photos: readonly Buffer[], people: number, firstUserId?: number): Promise<SentPhoto[]>;
  close(redisUrl?: string): Promise<void>;
}

export async function startScenario(redisUrl = REDIS_URL): Promise<Scenario> {
  const standIn = await BotApiStandIn.start({ token: TEST_TOKEN });
  const prefix = `test-rel-${randomUUID().slice(0, 8)}`;
  return {
    standIn,
    prefix,
    env: { BOT_TOKEN: TEST_TOKEN, TELEGRAM_API_ROOT: standIn.apiRoot, REDIS_URL: redisUrl, QUEUE_PREFIX: prefix },
    sendPhotos(photos, people, firstUserId = 100_000) {
      return Promise.all(
        photos.map(async (file, i) => {
          const from = user(firstUserId + (i % people));
          const message = await standIn.sendPhoto({ chat: privateChat(from), from, file });
          return { chatId: message.chat.id, messageId: message.message_id };
        }),
      );
    },
    async close(url = redisUrl) {
      await standIn.close();
      await deleteKeysWithPrefix(url, prefix);
    },
  };
}
