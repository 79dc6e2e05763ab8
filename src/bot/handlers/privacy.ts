/**
 * /forget: after a confirmation, deletes everything kept about the person — their answers (history records and answer
 * contexts), feedback they gave or that concerns their photos, their language choice, a pending correction, and their
 * finished jobs still kept in the queue — and says what was deleted.
 */
import { Composer, InlineKeyboard } from 'grammy';
import type { ForgettableStores } from '../../store/index.ts';
import type { BotContext } from '../context.ts';
import { buttonOwner, OWNER_SUFFIX, ownedData, pressedByOwner } from './button-owner.ts';

export interface PrivacyDeps {
  personalStores: ForgettableStores;
}

export interface ForgetReport {
  answers: number;
  feedback: number;
  jobs: number;
  language: boolean;
}

export async function forgetPerson(deps: PrivacyDeps, userId: number): Promise<ForgetReport> {
  const deleted = await deps.personalStores.forgetAll(userId);
  // A dog answer is both a history record and a context; with the history off it is only a context.
  return {
    answers: Math.max(deleted.history, deleted.answers),
    feedback: deleted.feedback,
    jobs: deleted.jobs,
    language: deleted.languages > 0,
  };
}

export function privacy(deps: PrivacyDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.command('forget', (ctx) => {
    const owner = ctx.from?.id;
    if (owner === undefined) return;
    return ctx.reply(ctx.t('forget-confirm'), {
      reply_markup: new InlineKeyboard()
        .text(ctx.t('forget-yes'), ownedData('forget:y', owner))
        .text(ctx.t('forget-no'), ownedData('forget:n', owner)),
    });
  });
  // Group 1: yes or no; group 2: the owner (absent on prompts sent before owners were encoded).
  composer.callbackQuery(new RegExp(`^forget:([yn])${OWNER_SUFFIX}$`), async (ctx) => {
    if (!(await pressedByOwner(ctx, buttonOwner(ctx, ctx.match[2])))) return;
    await ctx.answerCallbackQuery();
    if (ctx.match[1] === 'n') {
      await ctx.editMessageText(ctx.t('forget-kept'));
      return;
    }
    const report = await forgetPerson(deps, ctx.from.id);
    // Answered in the language of this conversation, though the stored choice is gone from now on.
    await ctx.editMessageText(ctx.t('forget-done', { ...report, language: report.language ? 'yes' : 'no' }));
  });
  return composer;
}
