/** Anything else in a private chat (text, stickers, videos, voice…) gets a short hint — never silence. */
import { Composer, type Context } from 'grammy';
import { en } from '../../messages/en.ts';

export function fallback(): Composer<Context> {
  const composer = new Composer<Context>();
  composer.chatType('private').on('message', (ctx) => ctx.reply(en.hint));
  return composer;
}
