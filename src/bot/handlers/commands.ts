/** /start, /help and /breeds (paged with inline buttons), in the person's language. */
import { Composer, InlineKeyboard } from 'grammy';
import type { KeptSettings, Locale, Texts } from '../../i18n/index.ts';
import { escapeHtml } from '../../i18n/index.ts';
import type { BotContext } from '../context.ts';

/** Most names on one /breeds page; the pages are then filled evenly (121 breeds: 31, 31, 31, 28), never one lone name. */
const MAX_BREEDS_PER_PAGE = 32;
const HTML = { parse_mode: 'HTML', link_preview_options: { is_disabled: true } } as const;

export interface CommandsDeps {
  texts: Texts;
  /** What /help says is kept, and the limits. */
  kept: KeptSettings;
}

function breedsPage(texts: Texts, locale: Locale, page: number): { text: string; keyboard: InlineKeyboard } {
  const breeds = texts.sortedBreeds(locale);
  const pages = Math.ceil(breeds.length / MAX_BREEDS_PER_PAGE);
  const perPage = Math.ceil(breeds.length / pages);
  const current = Math.min(Math.max(page, 1), pages);
  const names = breeds.slice((current - 1) * perPage, current * perPage).map((b) => b.name);
  const keyboard = new InlineKeyboard();
  if (current > 1) keyboard.text(texts.t(locale, 'previous'), `breeds:${current - 1}`);
  if (current < pages) keyboard.text(texts.t(locale, 'next'), `breeds:${current + 1}`);
  return { text: texts.breedsPage(locale, current, pages, names), keyboard };
}

export function commands(deps: CommandsDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.command('start', (ctx) =>
    ctx.reply(
      ctx.t('start', { name: escapeHtml(ctx.from?.first_name ?? '🐾'), count: deps.texts.breeds.length }),
      HTML,
    ),
  );
  composer.command('help', (ctx) => ctx.reply(deps.texts.help(ctx.locale, deps.kept), HTML));
  composer.command('breeds', (ctx) => {
    const { text, keyboard } = breedsPage(deps.texts, ctx.locale, 1);
    return ctx.reply(text, { ...HTML, reply_markup: keyboard });
  });
  // Anyone may page a /breeds list: it is public, the same for all, and paging it keeps nothing and acts for no one.
  composer.callbackQuery(/^breeds:(\d+)$/, async (ctx) => {
    const { text, keyboard } = breedsPage(deps.texts, ctx.locale, Number(ctx.match[1]));
    await ctx.answerCallbackQuery();
    await ctx.editMessageText(text, { ...HTML, reply_markup: keyboard });
  });
  return composer;
}
