/** Anything else in a private chat (text, stickers, videos, voice…) gets a short hint — never silence. */
import { Composer } from 'grammy';
import type { BotContext } from '../context.ts';

export function fallback(): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.chatType('private').on('message', (ctx) => ctx.reply(ctx.t('hint')));
  return composer;
}
