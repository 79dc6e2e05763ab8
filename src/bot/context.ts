/**
 * The bot's context: grammY's, plus the person's locale (their /language choice, else their Telegram language),
 * resolved once per update from Redis, and grammY i18n's `ctx.t` bound to it.
 */
import type { I18n, I18nFlavor } from '@grammyjs/i18n';
import { Composer, type Context } from 'grammy';
import { type Locale, localeFromLanguageCode } from '../i18n/index.ts';
import type { LanguageStore } from '../store/index.ts';

export interface LocaleFlavor {
  /** The language to answer this update in. */
  locale: Locale;
}

export type BotContext = Context & I18nFlavor & LocaleFlavor;

/** Resolves `ctx.locale`, then installs the i18n plugin and points it at that locale. */
export function localeMiddleware(languages: LanguageStore, i18n: I18n): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.use(async (ctx, next) => {
    const from = ctx.from;
    ctx.locale =
      from === undefined ? localeFromLanguageCode(undefined) : await languages.resolve(from.id, from.language_code);
    await next();
  });
  composer.use(i18n.middleware());
  // The plugin negotiates from the Telegram language by itself; the stored choice wins.
  composer.use((ctx, next) => {
    ctx.i18n.useLocale(ctx.locale);
    return next();
  });
  return composer;
}

/** Switches the rest of this update to `locale` (after /language). */
export function useLocale(ctx: BotContext, locale: Locale): void {
  ctx.locale = locale;
  ctx.i18n.useLocale(locale);
}
