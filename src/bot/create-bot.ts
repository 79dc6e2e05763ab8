/**
 * The Telegram edge: a grammY bot made of small composers (language, commands, privacy, feedback, cards, admin,
 * photos, fallback). It validates and queues; the worker does the looking.
 */
import { sequentialize } from '@grammyjs/runner';
import { type Api, Bot, type BotError } from 'grammy';
import type { BotCommand } from 'grammy/types';
import type { KeptSettings, Texts } from '../i18n/index.ts';
import { breedSearchFor, LOCALES, localeFromLanguageCode } from '../i18n/index.ts';
import type { Logger } from '../ops/index.ts';
import { isRedisUnavailable } from '../queue/index.ts';
import type { PersonalData } from '../store/index.ts';
import { botApiClientOptions, installAutoRetry, type TelegramReachability } from '../telegram/index.ts';
import { type BotContext, localeMiddleware } from './context.ts';
import { type AdminDeps, admin } from './handlers/admin.ts';
import { cards } from './handlers/cards.ts';
import { commands } from './handlers/commands.ts';
import { fallback } from './handlers/fallback.ts';
import { feedback } from './handlers/feedback.ts';
import { type HistoryDeps, history } from './handlers/history.ts';
import { language } from './handlers/language.ts';
import { type PhotoHandlerDeps, photos } from './handlers/photos.ts';
import { type PrivacyDeps, privacy } from './handlers/privacy.ts';
import { claimEachUpdate } from './update-claim.ts';

export interface BotOptions extends PhotoHandlerDeps, AdminDeps, PrivacyDeps, Pick<HistoryDeps, 'answer'> {
  token: string;
  apiRoot: string;
  texts: Texts;
  personal: PersonalData;
  /** What /help says is kept, and the limits. */
  kept: KeptSettings;
  logger: Logger;
  /** Told of network errors and recoveries of the bot's calls. */
  reachability?: TelegramReachability;
  /** Webhook mode: claim each update_id in Redis so that a re-delivered update is handled once (update-claim.ts). */
  claimUpdates?: boolean;
}

const COMMANDS = ['help', 'breeds', 'breed', 'history', 'language', 'forget'] as const;

/** The command menu in every language (English for everyone else). */
export async function setCommandMenus(api: Api, texts: Texts): Promise<void> {
  const menu = (locale: (typeof LOCALES)[number]): BotCommand[] =>
    COMMANDS.map((command) => ({ command, description: texts.t(locale, `command-${command}`) }));
  await api.setMyCommands(menu('en'));
  for (const locale of LOCALES) {
    if (locale !== 'en') await api.setMyCommands(menu(locale), { language_code: locale });
  }
}

export function createBot(options: BotOptions): Bot<BotContext> {
  const bot = new Bot<BotContext>(options.token, { client: botApiClientOptions(options.apiRoot) });
  // Few, short retries: a long wait here holds up that chat's next updates (other chats go on: see below).
  installAutoRetry(bot.api, {
    maxRetryAttempts: 2,
    maxDelaySeconds: 30,
    ...(options.reachability ? { reachability: options.reachability } : {}),
  });
  const { texts, personal } = options;
  const search = breedSearchFor(texts);
  if (options.claimUpdates) bot.use(claimEachUpdate(options));
  // Updates are handled concurrently (the runner, or concurrent webhook requests); one chat's still go one after
  // another, in the order they came.
  bot.use(sequentialize((ctx: BotContext) => ctx.chat?.id.toString()));
  const reportFailure = failureReporter(options);
  // A handler's error ends here however updates arrive: logged, the person told; the update counts as handled.
  const handlers = bot.errorBoundary(reportFailure);
  handlers.use(localeMiddleware(personal.languages, texts.i18n));
  // Any command ends a pending typed correction (after 👎): the next text is then chat, not a breed's name.
  handlers.on('message:text', async (ctx, next) => {
    if (ctx.msg.text.startsWith('/') && ctx.from) {
      await personal.awaiting.stop(ctx.from.id, ctx.chat.id).catch(() => undefined);
    }
    return next();
  });
  handlers.use(commands({ texts, kept: options.kept }));
  handlers.use(language({ texts, languages: personal.languages }));
  handlers.use(privacy(options));
  handlers.use(history({ texts, history: options.history, ...(options.answer ? { answer: options.answer } : {}) }));
  handlers.use(feedback({ texts, personal, search, logger: options.logger }));
  handlers.use(cards({ texts, search }));
  handlers.use(admin({ ...options, texts }));
  handlers.use(photos(options));
  handlers.use(fallback());
  bot.catch(reportFailure);
  return bot;
}

/**
 * Logs a failed update and, in a private chat, tells the person it failed. Redis away or refusing writes is let
 * through instead: the update is handled again once Redis is back (durable-polling.ts; in webhook mode, Telegram's
 * re-delivery), so nobody is told that a photo failed which will be answered after all.
 */
function failureReporter(options: BotOptions): (error: BotError<BotContext>) => Promise<void> {
  return async (error) => {
    if (isRedisUnavailable(error.error)) throw error.error;
    const update = error.ctx.update;
    options.logger.error({ err: error.error, updateId: update.update_id }, 'update handling failed');
    const chatId = error.ctx.chat?.id;
    if (chatId !== undefined && error.ctx.chat?.type === 'private') {
      // The locale is unset when resolving it was what failed.
      const locale = error.ctx.locale ?? localeFromLanguageCode(error.ctx.from?.language_code);
      // "I could not look at this photo" only where a photo came ("…watch this video" where a video came); a command
      // or a typed name gets the plain apology.
      const message = error.ctx.msg;
      const video = message?.video || message?.animation || message?.video_note;
      const key = video ? 'failed-video' : message?.photo || message?.document ? 'failed' : 'failed-other';
      await error.ctx.api.sendMessage(chatId, options.texts.t(locale, key)).catch(() => undefined);
    }
  };
}
