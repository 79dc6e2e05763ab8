/**
 * 👍 / 👎 under an answer, and the correction after 👎: one of the model's other guesses, a breed from the paged list,
 * or a typed name matched fuzzily. Each person has one record per answer (per answer and dog when it names several);
 * pressing again replaces it. The answer is found from the message the buttons sit under (its stored context: file
 * ids, model, top-3, each dog's box — never the photo); the dog from the number the button carries. The buttons are
 * the photo's sender's (the context's `userId`): only they judge the answer and move its buttons.
 */

import type { InlineKeyboard } from 'grammy';
import { Composer } from 'grammy';
import type { BreedSearch, Texts } from '../../i18n/index.ts';
import { escapeHtml, firstCharacters } from '../../i18n/index.ts';
import type { Logger } from '../../ops/index.ts';
import {
  breedPickerKeyboard,
  CALLBACK,
  CALLBACK_PATTERN,
  correctionKeyboard,
  dogNumber,
  mainAnswerKeyboard,
} from '../../reply/index.ts';
import {
  type AnswerContext,
  type FeedbackRecord,
  feedbackEnabled,
  type JudgedDog,
  judgedDog,
  type PersonalData,
} from '../../store/index.ts';
import { ignoreNotModified } from '../../telegram/index.ts';
import type { BotContext } from '../context.ts';
import { pressedByOwner } from './button-owner.ts';

export interface FeedbackDeps {
  texts: Texts;
  personal: PersonalData;
  search: BreedSearch;
  logger: Logger;
}

/** A person's verdict on an answer (or on one of its dogs), as stored. */
function record(
  context: AnswerContext,
  dog: JudgedDog,
  userId: number,
  verdict: { correctBreed: string } | { right: true } | { wrong: true; keep?: string },
): FeedbackRecord {
  const top1 = dog.top[0]?.breed;
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
    top: dog.top,
    ...(dog.number === undefined
      ? {}
      : { dog: dog.number, box: dog.box ?? null, ...(context.photo ? { photo: context.photo } : {}) }),
    verdict: right ? 'right' : 'wrong',
    ...(correctBreed !== undefined && !right ? { correctBreed } : {}),
    at: Date.now(),
  };
}

const setKeyboard = (ctx: BotContext, keyboard: InlineKeyboard) =>
  ignoreNotModified(ctx.editMessageReplyMarkup({ reply_markup: keyboard }));

/**
 * The answer under which a button was pressed and the dog the button is about (`number`, none for the answer as a
 * whole), or undefined after telling the person why there is none — or that the answer is not theirs to judge.
 */
async function pressedAnswer(
  ctx: BotContext,
  personal: FeedbackDeps['personal'],
  number?: number,
): Promise<{ context: AnswerContext; dog: JudgedDog } | undefined> {
  const message = ctx.callbackQuery?.message;
  if (!feedbackEnabled(personal)) {
    await ctx.answerCallbackQuery({ text: ctx.t('feedback-off-toast') });
    return undefined;
  }
  const context = message && (await personal.answers.get(message.chat.id, message.message_id));
  const dog = context ? judgedDog(context, number) : undefined;
  if (!context || !dog) {
    await ctx.answerCallbackQuery({ text: ctx.t('feedback-expired-toast') });
    return undefined;
  }
  if (!(await pressedByOwner(ctx, context.userId))) return undefined;
  return { context, dog };
}

/** 👍/👎 per answer (or per dog), the corrections offered after 👎, and typed breed names. */
export function feedback(deps: FeedbackDeps): Composer<BotContext> {
  return new Composer<BotContext>(answerButtons(deps), typedBreedName(deps));
}

function answerButtons(deps: FeedbackDeps): Composer<BotContext> {
  const { texts, personal } = deps;
  const composer = new Composer<BotContext>();
  const mainKeyboard = (ctx: BotContext, context: AnswerContext) =>
    mainAnswerKeyboard(texts, ctx.locale, context, true);

  composer.callbackQuery(CALLBACK_PATTERN.right, async (ctx) => {
    const pressed = await pressedAnswer(ctx, personal, dogNumber(ctx.match[1]));
    if (!pressed) return;
    const { context, dog } = pressed;
    await personal.feedback.put(record(context, dog, ctx.from.id, { right: true }));
    await personal.awaiting.stop(ctx.from.id, context.chatId);
    await ctx.answerCallbackQuery({ text: ctx.t('feedback-right-toast') });
  });

  composer.callbackQuery(CALLBACK_PATTERN.wrong, async (ctx) => {
    const pressed = await pressedAnswer(ctx, personal, dogNumber(ctx.match[1]));
    if (!pressed) return;
    const { context, dog } = pressed;
    // 👎 again after a correction keeps the correction until another breed is picked.
    const before = await personal.feedback.get(ctx.from.id, context.chatId, context.messageId, dog.number);
    await personal.feedback.put(record(context, dog, ctx.from.id, { wrong: true, keep: before?.correctBreed }));
    await personal.awaiting.start(ctx.from.id, context.chatId, {
      messageId: context.messageId,
      ...(dog.number === undefined ? {} : { dog: dog.number }),
    });
    await ctx.answerCallbackQuery({
      text:
        dog.number === undefined
          ? ctx.t('feedback-wrong-toast')
          : ctx.t('feedback-wrong-dog-toast', { number: dog.number }),
    });
    await setKeyboard(
      ctx,
      correctionKeyboard(
        texts,
        ctx.locale,
        dog.top.map((g) => g.breed),
        dog.number,
      ),
    );
  });

  composer.callbackQuery(CALLBACK_PATTERN.pick, async (ctx) => {
    const breed = ctx.match[2] ?? '';
    const pressed = await pressedAnswer(ctx, personal, dogNumber(ctx.match[1]));
    if (!pressed) return;
    const { context, dog } = pressed;
    if (!texts.isBreed(breed)) return ctx.answerCallbackQuery();
    await personal.feedback.put(record(context, dog, ctx.from.id, { correctBreed: breed }));
    await personal.awaiting.stop(ctx.from.id, context.chatId);
    await ctx.answerCallbackQuery({
      text: ctx.t('feedback-saved-toast', { name: texts.breedName(ctx.locale, breed) }),
    });
    await setKeyboard(ctx, mainKeyboard(ctx, context));
  });

  composer.callbackQuery(CALLBACK_PATTERN.page, async (ctx) => {
    const dog = dogNumber(ctx.match[1]);
    if (!(await pressedAnswer(ctx, personal, dog))) return;
    await ctx.answerCallbackQuery();
    await setKeyboard(ctx, breedPickerKeyboard(texts, ctx.locale, Number(ctx.match[2]), dog));
  });

  composer.callbackQuery(CALLBACK.back, async (ctx) => {
    const pressed = await pressedAnswer(ctx, personal);
    if (!pressed) return;
    const { context } = pressed;
    await personal.awaiting.stop(ctx.from.id, context.chatId);
    await ctx.answerCallbackQuery();
    await setKeyboard(ctx, mainKeyboard(ctx, context));
  });

  return composer;
}

/**
 * After 👎, a text that is not a command is read as the breed's name — strictly (`BreedSearch.resolve`): stored only
 * when it is clearly one breed; when a few are close they are offered as buttons under the answer; anything else
 * (chit-chat) is said not to be a breed and stored nowhere. Any command ends the correction; so does its expiry.
 */
function typedBreedName(deps: FeedbackDeps): Composer<BotContext> {
  const { texts, personal } = deps;
  const composer = new Composer<BotContext>();
  composer.on('message:text', async (ctx, next) => {
    if (!feedbackEnabled(personal)) return next();
    const userId = ctx.from.id;
    const chatId = ctx.chat.id;
    if (ctx.msg.text.startsWith('/')) {
      await personal.awaiting.stop(userId, chatId);
      return next();
    }
    const correcting = await personal.awaiting.get(userId, chatId);
    if (correcting === undefined) return next();
    const answerMessageId = correcting.messageId;
    const context = await personal.answers.get(chatId, answerMessageId);
    const dog = context ? judgedDog(context, correcting.dog) : undefined;
    if (!context || !dog) {
      await personal.awaiting.stop(userId, chatId);
      return next();
    }
    const reply = { parse_mode: 'HTML', reply_parameters: { message_id: ctx.msg.message_id } } as const;
    const setAnswerKeyboard = (keyboard: InlineKeyboard) =>
      ignoreNotModified(ctx.api.editMessageReplyMarkup(chatId, answerMessageId, { reply_markup: keyboard })).catch(
        (error: unknown) => deps.logger.warn({ err: error }, 'could not change the answer buttons'),
      );
    const typed = deps.search.resolve(ctx.msg.text);
    if (typed.kind === 'none') {
      // Still waiting: they may try another spelling.
      await ctx.reply(ctx.t('feedback-no-match', { text: escapeHtml(firstCharacters(ctx.msg.text, 64)) }), reply);
      return;
    }
    if (typed.kind === 'closest') {
      // Offered, not stored: the pick buttons under the answer (correctionKeyboard shows all but the first).
      await setAnswerKeyboard(correctionKeyboard(texts, ctx.locale, ['', ...typed.ids], dog.number));
      const names = typed.ids.map((id) => `<b>${escapeHtml(texts.breedName(ctx.locale, id))}</b>`).join(', ');
      await ctx.reply(ctx.t('feedback-typed-closest', { guesses: names }), reply);
      return;
    }
    await personal.feedback.put(record(context, dog, userId, { correctBreed: typed.id }));
    await personal.awaiting.stop(userId, chatId);
    deps.logger.info({ chatId, userId, breed: typed.id }, 'typed correction matched');
    await setAnswerKeyboard(mainAnswerKeyboard(texts, ctx.locale, context, true));
    await ctx.reply(ctx.t('feedback-typed-saved', { name: escapeHtml(texts.breedName(ctx.locale, typed.id)) }), reply);
  });
  return composer;
}
