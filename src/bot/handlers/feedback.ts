/**
 * 👍 / 👎 under an answer, and the correction after 👎: one of the model's other guesses, a breed from the paged list,
 * or a typed name matched fuzzily. Each person has one record per answer; pressing again replaces it. The answer is
 * found from the message the buttons sit under (its stored context: file ids, model, top-3 — never the photo).
 */

import type { InlineKeyboard } from 'grammy';
import { Composer, GrammyError } from 'grammy';
import type { BreedSearch } from '../../breeds/breed-search.ts';
import type { AnswerContext } from '../../feedback/answer-contexts.ts';
import {
  answerKeyboard,
  breedPickerKeyboard,
  CALLBACK,
  CALLBACK_PATTERN,
  correctionKeyboard,
} from '../../feedback/answer-keyboard.ts';
import type { FeedbackRecord } from '../../feedback/feedback-store.ts';
import { feedbackEnabled, type PersonalData } from '../../feedback/personal-data.ts';
import { escapeHtml } from '../../i18n/html.ts';
import type { Texts } from '../../i18n/texts.ts';
import type { Logger } from '../../ops/logger.ts';
import type { BotContext } from '../context.ts';

export interface FeedbackDeps {
  texts: Texts;
  personal: PersonalData;
  search: BreedSearch;
  logger: Logger;
}

/** A person's verdict on an answer, as stored. */
function record(
  context: AnswerContext,
  userId: number,
  verdict: { correctBreed: string } | { right: true } | { wrong: true; keep?: string },
): FeedbackRecord {
  const top1 = context.top[0]?.breed;
  const correctBreed = 'correctBreed' in verdict ? verdict.correctBreed : 'wrong' in verdict ? verdict.keep : undefined;
  const right = 'right' in verdict || ('correctBreed' in verdict && verdict.correctBreed === top1);
  return {
    userId,
    chatId: context.chatId,
    messageId: context.messageId,
    ownerId: context.userId,
    fileId: context.fileId,
    fileUniqueId: context.fileUniqueId,
    model: context.model,
    top: context.top,
    verdict: right ? 'right' : 'wrong',
    ...(correctBreed !== undefined && !right ? { correctBreed } : {}),
    at: Date.now(),
  };
}

/** Telegram refuses an edit that changes nothing; for a keyboard that is fine. */
async function ignoreNotModified(edit: Promise<unknown>): Promise<void> {
  try {
    await edit;
  } catch (error) {
    if (error instanceof GrammyError && /not modified/i.test(error.description)) return;
    throw error;
  }
}

export function feedback(deps: FeedbackDeps): Composer<BotContext> {
  const { texts, personal } = deps;
  const composer = new Composer<BotContext>();
  const setKeyboard = (ctx: BotContext, keyboard: InlineKeyboard) =>
    ignoreNotModified(ctx.editMessageReplyMarkup({ reply_markup: keyboard }));
  const mainKeyboard = (ctx: BotContext, context: AnswerContext) =>
    answerKeyboard(texts, ctx.locale, context.top[0]?.breed ?? '', true);

  /** The answer under which a button was pressed, or undefined after telling the person why there is none. */
  const pressedAnswer = async (ctx: BotContext): Promise<AnswerContext | undefined> => {
    const message = ctx.callbackQuery?.message;
    if (!feedbackEnabled(personal)) {
      await ctx.answerCallbackQuery({ text: ctx.t('feedback-off-toast') });
      return undefined;
    }
    const context = message && (await personal.answers.get(message.chat.id, message.message_id));
    if (!context) await ctx.answerCallbackQuery({ text: ctx.t('feedback-expired-toast') });
    return context;
  };

  composer.callbackQuery(CALLBACK.right, async (ctx) => {
    const context = await pressedAnswer(ctx);
    if (!context) return;
    await personal.feedback.put(record(context, ctx.from.id, { right: true }));
    await personal.awaiting.stop(ctx.from.id, context.chatId);
    await ctx.answerCallbackQuery({ text: ctx.t('feedback-right-toast') });
  });

  composer.callbackQuery(CALLBACK.wrong, async (ctx) => {
    const context = await pressedAnswer(ctx);
    if (!context) return;
    // 👎 again after a correction keeps the correction until another breed is picked.
    const before = await personal.feedback.get(ctx.from.id, context.chatId, context.messageId);
    await personal.feedback.put(record(context, ctx.from.id, { wrong: true, keep: before?.correctBreed }));
    await personal.awaiting.start(ctx.from.id, context.chatId, context.messageId);
    await ctx.answerCallbackQuery({ text: ctx.t('feedback-wrong-toast') });
    await setKeyboard(
      ctx,
      correctionKeyboard(
        texts,
        ctx.locale,
        context.top.map((g) => g.breed),
      ),
    );
  });

  composer.callbackQuery(CALLBACK_PATTERN.pick, async (ctx) => {
    const breed = ctx.match[1] ?? '';
    const context = await pressedAnswer(ctx);
    if (!context) return;
    if (!texts.isBreed(breed)) return ctx.answerCallbackQuery();
    await personal.feedback.put(record(context, ctx.from.id, { correctBreed: breed }));
    await personal.awaiting.stop(ctx.from.id, context.chatId);
    await ctx.answerCallbackQuery({
      text: ctx.t('feedback-saved-toast', { name: texts.breedName(ctx.locale, breed) }),
    });
    await setKeyboard(ctx, mainKeyboard(ctx, context));
  });

  composer.callbackQuery(CALLBACK_PATTERN.page, async (ctx) => {
    await ctx.answerCallbackQuery();
    await setKeyboard(ctx, breedPickerKeyboard(texts, ctx.locale, Number(ctx.match[1])));
  });

  composer.callbackQuery(CALLBACK.back, async (ctx) => {
    const context = await pressedAnswer(ctx);
    if (!context) return;
    await personal.awaiting.stop(ctx.from.id, context.chatId);
    await ctx.answerCallbackQuery();
    await setKeyboard(ctx, mainKeyboard(ctx, context));
  });

  // After 👎, a text that is not a command is read as the breed's name.
  composer.on('message:text', async (ctx, next) => {
    if (ctx.msg.text.startsWith('/') || !feedbackEnabled(personal)) return next();
    const userId = ctx.from.id;
    const chatId = ctx.chat.id;
    const answerMessageId = await personal.awaiting.get(userId, chatId);
    if (answerMessageId === undefined) return next();
    const context = await personal.answers.get(chatId, answerMessageId);
    if (!context) {
      await personal.awaiting.stop(userId, chatId);
      return next();
    }
    const reply = { parse_mode: 'HTML', reply_parameters: { message_id: ctx.msg.message_id } } as const;
    const match = deps.search.best(ctx.msg.text);
    if (!match) {
      // Still waiting: they may try another spelling.
      await ctx.reply(ctx.t('feedback-no-match', { text: escapeHtml(ctx.msg.text.slice(0, 64)) }), reply);
      return;
    }
    await personal.feedback.put(record(context, userId, { correctBreed: match.id }));
    await personal.awaiting.stop(userId, chatId);
    deps.logger.info({ chatId, userId, breed: match.id, score: match.score }, 'typed correction matched');
    await ignoreNotModified(
      ctx.api.editMessageReplyMarkup(chatId, answerMessageId, { reply_markup: mainKeyboard(ctx, context) }),
    ).catch((error: unknown) => deps.logger.warn({ err: error }, 'could not restore the answer buttons'));
    await ctx.reply(ctx.t('feedback-typed-saved', { name: escapeHtml(texts.breedName(ctx.locale, match.id)) }), reply);
  });
  return composer;
}
