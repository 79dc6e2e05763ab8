/**
 * /history: the person's last answers in this chat (the answer history keeps them HISTORY_RETENTION_DAYS), newest
 * first, each with its top breed and a button that shows that answer again — rendered anew from what the history
 * kept (its verdict and top-3) by the one reply renderer. The buttons are the asker's: they carry their id, and a
 * press by anyone else is refused (button-owner.ts). /forget deletes the history with the rest.
 */
import { Composer } from 'grammy';
import type { Texts } from '../../i18n/index.ts';
import { type AnswerOptions, CALLBACK_PATTERN, renderHistory, renderKeptAnswer } from '../../reply/index.ts';
import type { PredictionHistory } from '../../store/index.ts';
import type { BotContext } from '../context.ts';
import { buttonOwner, OWNER_SUFFIX, ownedData, pressedByOwner } from './button-owner.ts';

/** How many answers /history lists. */
export const HISTORY_SHOWN = 10;

export interface HistoryDeps {
  texts: Texts;
  history: PredictionHistory;
  /**
   * How the worker words its answers (SURE_THRESHOLD…), so an answer shown again reads as it did. Absent (the bot
   * always passes it), each answer names its top breed plainly with no mix line.
   */
  answer?: AnswerOptions;
}

const HTML = { parse_mode: 'HTML', link_preview_options: { is_disabled: true } } as const;
/** Group 1: when the answer was given (epoch ms); group 2: the owner (OWNER_SUFFIX). */
const PRESS = new RegExp(`${CALLBACK_PATTERN.history.source}${OWNER_SUFFIX}$`);

export function history(deps: HistoryDeps): Composer<BotContext> {
  const { texts } = deps;
  const options = deps.answer ?? { sureThreshold: 0, unsureThreshold: 0 };
  const composer = new Composer<BotContext>();

  composer.command('history', async (ctx) => {
    const owner = ctx.from?.id;
    if (owner === undefined) return;
    if (!deps.history.enabled) return ctx.reply(ctx.t('history-off'));
    const entries = await deps.history.recentOf(owner, ctx.chat.id, HISTORY_SHOWN);
    if (entries.length === 0) return ctx.reply(ctx.t('history-empty'));
    const list = renderHistory(entries, Date.now(), texts, ctx.locale, (data) => ownedData(data, owner));
    return ctx.reply(list.text, { ...HTML, reply_markup: list.markup });
  });

  composer.callbackQuery(PRESS, async (ctx) => {
    if (!(await pressedByOwner(ctx, buttonOwner(ctx, ctx.match[2])))) return;
    const list = ctx.callbackQuery.message;
    const record = list && (await deps.history.answerOf(ctx.from.id, list.chat.id, Number(ctx.match[1])));
    if (!list || !record) {
      await ctx.answerCallbackQuery({ text: ctx.t('history-gone-toast') });
      return;
    }
    await ctx.answerCallbackQuery();
    const when = texts.ago(ctx.locale, Date.now() - record.at);
    const again = renderKeptAnswer(record, when, options, texts, ctx.locale);
    await ctx.reply(again.text, {
      ...HTML,
      ...(again.markup ? { reply_markup: again.markup } : {}),
      reply_parameters: { message_id: list.message_id, allow_sending_without_reply: true },
    });
  });
  return composer;
}
