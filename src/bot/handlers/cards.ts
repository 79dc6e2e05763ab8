/**
 * Breed cards: `/breed <name>` (typos and Russian names welcome) and the ℹ️ button under an answer. `/breed` without a
 * name is left to the photos composer (a reply to a photo in a group).
 */
import { Composer } from 'grammy';
import type { BreedSearch, Texts } from '../../i18n/index.ts';
import { escapeHtml, firstCharacters } from '../../i18n/index.ts';
import { CALLBACK_PATTERN } from '../../reply/index.ts';
import type { BotContext } from '../context.ts';

export interface CardsDeps {
  texts: Texts;
  search: BreedSearch;
}

// The Wikipedia preview shows what the breed looks like: left on for cards.
const HTML = { parse_mode: 'HTML' } as const;

export function cards(deps: CardsDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();

  composer.command('breed', async (ctx, next) => {
    const name = ctx.match.trim();
    if (name === '') return next();
    const match = deps.search.best(name);
    const card = match && deps.texts.card(ctx.locale, match.id);
    await ctx.reply(card ?? ctx.t('card-unknown', { text: escapeHtml(firstCharacters(name, 64)) }), {
      ...HTML,
      reply_parameters: { message_id: ctx.msg.message_id, allow_sending_without_reply: true },
    });
  });

  // Anyone may ask for a card: it is a public fact about a breed, sent as a new message; nothing is kept or changed.
  composer.callbackQuery(CALLBACK_PATTERN.card, async (ctx) => {
    const card = deps.texts.card(ctx.locale, ctx.match[1] ?? '');
    await ctx.answerCallbackQuery();
    const answer = ctx.callbackQuery.message;
    if (card === undefined || answer === undefined) return;
    await ctx.reply(card, {
      ...HTML,
      reply_parameters: { message_id: answer.message_id, allow_sending_without_reply: true },
    });
  });
  return composer;
}
