/**
 * /forget: after a confirmation, deletes everything kept about the person — their answers (history records and answer
 * contexts), feedback they gave or that concerns their photos, their language choice, a pending correction, and their
 * finished jobs still kept in the queue — and says what was deleted.
 */
import { Composer, InlineKeyboard } from 'grammy';
import type { PersonalData } from '../../feedback/personal-data.ts';
import type { PhotoQueue, PredictionHistory } from '../../queue/index.ts';
import type { BotContext } from '../context.ts';

export interface PrivacyDeps {
  personal: PersonalData;
  history: PredictionHistory;
  queue: PhotoQueue;
}

/** Finished (completed or failed) photo jobs of this person; waiting and running ones are left to finish. */
async function removeFinishedJobs(queue: PhotoQueue, userId: number): Promise<number> {
  const jobs = await queue.getJobs(['completed', 'failed']);
  const theirs = jobs.filter((job) => job?.data.userId === userId);
  await Promise.all(theirs.map((job) => job.remove()));
  return theirs.length;
}

export interface ForgetReport {
  answers: number;
  feedback: number;
  jobs: number;
  language: boolean;
}

export async function forgetPerson(deps: PrivacyDeps, userId: number): Promise<ForgetReport> {
  const [history, contexts, feedback, language, , jobs] = await Promise.all([
    deps.history.forgetUser(userId),
    deps.personal.answers.forgetUser(userId),
    deps.personal.feedback.forgetUser(userId),
    deps.personal.languages.forget(userId),
    deps.personal.awaiting.forgetUser(userId),
    removeFinishedJobs(deps.queue, userId),
  ]);
  // A dog answer is both a history record and a context; with the history off it is only a context.
  return { answers: Math.max(history, contexts), feedback, jobs, language };
}

export function privacy(deps: PrivacyDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.command('forget', (ctx) =>
    ctx.reply(ctx.t('forget-confirm'), {
      reply_markup: new InlineKeyboard().text(ctx.t('forget-yes'), 'forget:y').text(ctx.t('forget-no'), 'forget:n'),
    }),
  );
  composer.callbackQuery('forget:y', async (ctx) => {
    await ctx.answerCallbackQuery();
    const report = await forgetPerson(deps, ctx.from.id);
    // Answered in the language of this conversation, though the stored choice is gone from now on.
    await ctx.editMessageText(ctx.t('forget-done', { ...report, language: report.language ? 'yes' : 'no' }));
  });
  composer.callbackQuery('forget:n', async (ctx) => {
    await ctx.answerCallbackQuery();
    await ctx.editMessageText(ctx.t('forget-kept'));
  });
  return composer;
}
