/**
 * Who may press a button: the person it acts for, and nobody else — in a group everyone sees the buttons, and a
 * forged press may name any message. Buttons with nothing stored behind them (/forget's Yes/No, /language's choices)
 * carry their owner's user id at the end of their callback data (`forget:y:<userId>`); the feedback buttons under an
 * answer find theirs in the answer context (the photo's sender). Anyone else gets a short toast and nothing changes.
 *
 * For everyone, as they act for no one and keep nothing: the /breeds pages (commands.ts) and the ℹ️ breed cards
 * (cards.ts), public lists and facts the same for all.
 */
import type { BotContext } from '../context.ts';

/** The optional `:<userId>` ending of an owned button's data, as a pattern whose group is the id. */
export const OWNER_SUFFIX = '(?::(\\d{1,16}))?';

/** `data` with its owner encoded (user ids fit in 52 bits: at most 17 bytes with the colon, of the 64 allowed). */
export function ownedData(data: string, ownerId: number): string {
  return `${data}:${ownerId}`;
}

/**
 * The person a button acts for: the id its data carried, else (a button sent before owners were encoded) the person
 * of a private chat, the only one who could see it; unknown for such a button in a group.
 */
export function buttonOwner(ctx: BotContext, encodedOwner: string | undefined): number | undefined {
  if (encodedOwner !== undefined) return Number(encodedOwner);
  const chat = ctx.callbackQuery?.message?.chat;
  return chat?.type === 'private' ? chat.id : undefined;
}

/**
 * Whether the person pressing is `ownerId`; if not, the press is answered with a toast (not yours, or — owner
 * unknown — ask again) and the caller changes nothing.
 */
export async function pressedByOwner(ctx: BotContext, ownerId: number | undefined): Promise<boolean> {
  if (ownerId !== undefined && ctx.from?.id === ownerId) return true;
  await ctx.answerCallbackQuery({
    text: ctx.t(ownerId === undefined ? 'button-owner-unknown-toast' : 'button-not-yours-toast'),
  });
  return false;
}
