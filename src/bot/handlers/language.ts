/**
 * /language: English or Russian, whatever Telegram says the person speaks. The choice is kept in Redis (the worker
 * reads it too) until changed or /forget. `/language ru` sets it directly.
 */
import { Composer, InlineKeyboard } from 'grammy';
import type { Texts } from '../../i18n/index.ts';
import { isLocale, LOCALES, type Locale } from '../../i18n/index.ts';
import type { LanguageStore } from '../../store/index.ts';
import { type BotContext, useLocale } from '../context.ts';
import { buttonOwner, OWNER_SUFFIX, ownedData, pressedByOwner } from './button-owner.ts';

export interface LanguageDeps {
  texts: Texts;
  languages: LanguageStore;
}

export function language(deps: LanguageDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const choose = async (ctx: BotContext, locale: Locale) => {
    if (ctx.from === undefined) return;
    await deps.languages.set(ctx.from.id, locale);
    useLocale(ctx, locale);
  };

  composer.command('language', async (ctx) => {
    const asked = ctx.match.trim().toLowerCase();
    if (isLocale(asked)) {
      await choose(ctx, asked);
      await ctx.reply(ctx.t('language-set'));
      return;
    }
    const owner = ctx.from?.id;
    if (owner === undefined) return;
    const keyboard = new InlineKeyboard();
    // Each language is named in itself, so people find theirs whatever language the bot speaks now.
    for (const locale of LOCALES)
      keyboard.text(deps.texts.t(locale, 'language-name'), ownedData(`lang:${locale}`, owner));
    await ctx.reply(ctx.t('language-choose'), { reply_markup: keyboard });
  });

  // Group 1: the language; group 2: the owner (absent on menus sent before owners were encoded).
  composer.callbackQuery(new RegExp(`^lang:([a-z]{2})${OWNER_SUFFIX}$`), async (ctx) => {
    if (!(await pressedByOwner(ctx, buttonOwner(ctx, ctx.match[2])))) return;
    const locale = ctx.match[1];
    if (!isLocale(locale)) return ctx.answerCallbackQuery();
    await choose(ctx, locale);
    await ctx.answerCallbackQuery({ text: ctx.t('language-set-toast') });
    await ctx.editMessageText(ctx.t('language-set'));
  });
  return composer;
}
