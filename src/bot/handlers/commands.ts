/** /start, /help and /breeds (paged with inline buttons). */
import { Composer, type Context, InlineKeyboard } from 'grammy';
import { en } from '../../messages/en.ts';
import type { Breed } from '../../vision/index.ts';

const BREEDS_PER_PAGE = 30;

function breedsPage(breeds: readonly Breed[], page: number): { text: string; keyboard: InlineKeyboard } {
  const pages = Math.ceil(breeds.length / BREEDS_PER_PAGE);
  const current = Math.min(Math.max(page, 1), pages);
  const names = breeds
    .map((b) => b.name)
    .sort((a, b) => a.localeCompare(b, 'en'))
    .slice((current - 1) * BREEDS_PER_PAGE, current * BREEDS_PER_PAGE);
  const keyboard = new InlineKeyboard();
  if (current > 1) keyboard.text(en.previous, `breeds:${current - 1}`);
  if (current < pages) keyboard.text(en.next, `breeds:${current + 1}`);
  return { text: en.breedsPage(current, pages, names), keyboard };
}

export function commands(options: {
  breeds: readonly Breed[];
  rateLimit: { limit: number; windowSeconds: number };
}): Composer<Context> {
  const composer = new Composer<Context>();
  composer.command('start', (ctx) => ctx.reply(en.start(ctx.from?.first_name ?? 'there'), { parse_mode: 'HTML' }));
  composer.command('help', (ctx) =>
    ctx.reply(en.help(options.rateLimit.limit, options.rateLimit.windowSeconds), {
      parse_mode: 'HTML',
      link_preview_options: { is_disabled: true },
    }),
  );
  composer.command('breeds', (ctx) => {
    const { text, keyboard } = breedsPage(options.breeds, 1);
    return ctx.reply(text, { parse_mode: 'HTML', reply_markup: keyboard });
  });
  composer.callbackQuery(/^breeds:(\d+)$/, async (ctx) => {
    const { text, keyboard } = breedsPage(options.breeds, Number(ctx.match[1]));
    await ctx.answerCallbackQuery();
    await ctx.editMessageText(text, { parse_mode: 'HTML', reply_markup: keyboard });
  });
  return composer;
}
