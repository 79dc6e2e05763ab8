/**
 * Breed cards: `/breed <name>` (typos and Russian names welcome), the ℹ️ button under an answer and the buttons of the
 * close names /breed offers. `/breed` without a name is left to the photos composer (a reply to a photo in a group).
 */
import { Composer, InlineKeyboard } from 'grammy';
import type { BreedSearch, Texts } from '../../i18n/index.ts';
import { escapeHtml, firstCharacters } from '../../i18n/index.ts';
import { CALLBACK, CALLBACK_PATTERN } from '../../reply/index.ts';
import type { BotContext } from '../context.ts';

export interface CardsDeps {
  texts: Texts;
  search: BreedSearch;
}

// The Wikipedia preview shows what the breed looks like: left on for cards.
const HTML = { parse_mode: 'HTML' } as const;

export function cards(deps: CardsDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();

  // The rule typed corrections use (BreedSearch.resolve): a card only for a name that is clearly one breed; a name
  // close to a few ("poodle", "australian shepherd") offers theirs as buttons; anything else is said to be unknown.
  composer.command('breed', async (ctx, next) => {
    const name = ctx.match.trim();
    if (name === '') return next();
    const typed = deps.search.resolve(name);
    const reply = { ...HTML, reply_parameters: { message_id: ctx.msg.message_id, allow_sending_without_reply: true } };
    const text = escapeHtml(firstCharacters(name, 64));
    const card = typed.kind === 'breed' ? deps.texts.card(ctx.locale, typed.id) : undefined;
    if (card !== undefined) return void (await ctx.reply(card, reply));
    if (typed.kind !== 'closest') {
      return void (await ctx.reply(ctx.t('card-unknown', { text, count: deps.texts.breeds.length }), reply));
    }
    const keyboard = new InlineKeyboard();
    for (const id of typed.ids) {
      keyboard
        .text(
          deps.texts.t(ctx.locale, 'button-card', { name: deps.texts.breedName(ctx.locale, id) }),
          CALLBACK.card(id),
        )
        .row();
    }
    await ctx.reply(ctx.t('card-closest', { text }), { ...reply, reply_markup: keyboard });
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
