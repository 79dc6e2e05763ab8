/**
 * The Telegram edge: a grammY bot made of small composers (commands, photos, fallback). It validates and queues;
 * the worker does the looking.
 */
import { Bot } from 'grammy';
import { en } from '../messages/en.ts';
import type { Logger } from '../ops/logger.ts';
import { installAutoRetry } from '../telegram/api.ts';
import type { Breed } from '../vision/index.ts';
import { type AdminDeps, admin } from './handlers/admin.ts';
import { commands } from './handlers/commands.ts';
import { fallback } from './handlers/fallback.ts';
import { type PhotoHandlerDeps, photos } from './handlers/photos.ts';

export interface BotOptions extends PhotoHandlerDeps, AdminDeps {
  token: string;
  apiRoot: string;
  breeds: readonly Breed[];
  rateLimit: { limit: number; windowSeconds: number };
  logger: Logger;
}

export const BOT_COMMANDS = [
  { command: 'help', description: 'How to use the bot' },
  { command: 'breeds', description: 'The 120 breeds it knows' },
  { command: 'breed', description: 'Reply to a photo with this to identify the dog' },
];

export function createBot(options: BotOptions): Bot {
  const bot = new Bot(options.token, { client: { apiRoot: options.apiRoot } });
  installAutoRetry(bot.api, {});
  bot.use(commands({ breeds: options.breeds, rateLimit: options.rateLimit }));
  bot.use(admin(options));
  bot.use(photos(options));
  bot.use(fallback());
  bot.catch(async (error) => {
    const update = error.ctx.update;
    options.logger.error({ err: error.error, updateId: update.update_id }, 'update handling failed');
    const chatId = error.ctx.chat?.id;
    if (chatId !== undefined && error.ctx.chat?.type === 'private') {
      await error.ctx.api.sendMessage(chatId, en.failed).catch(() => undefined);
    }
  });
  return bot;
}
