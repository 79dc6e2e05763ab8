/**
 * Who may press a button: the person it acts for, and nobody else — in a group everyone sees the buttons, and a
 * forged press may name any message. Buttons with nothing stored behind them (/forget's Yes/No, /language's choices)
 * carry their owner's user id at the end of their callback data (`forget:y:<userId>`); the feedback buttons under an
 * answer find theirs in the answer context (the photo's sender). Anyone else gets a short toast and nothing changes.
 *
 * For everyone, as they act for no one and keep nothing: the /breeds pages (commands.ts) and the ℹ️ breed cards
 * (cards.ts), public lists and facts the same for all.
 */
import type { InlineKeyboardMarkup } from 'grammy/types';
import type { BotContext } from '../context.ts';

/** The optional `:<userId>` ending of an owned button's data, as a pattern whose group is the id. */
export const OWNER_SUFFIX = '(?::(\\d{1,16}))?';

/** `data` with its owner encoded (user ids fit in 52 bits: at most 17 bytes with the colon, of the 64 allowed). */
export function ownedData(data: string, ownerId: number): string {
  return `${data}:${ownerId}`;
}

/**
 * The person a button acts for: the id carried by the pressed message's own button (the data a press sends is the
 * presser's to forge: `forget:y:<own id>` fits anyone's prompt), else the person of a private chat, the only one
 * who could see it (a button sent before owners were encoded, a message Telegram no longer shows the bot); unknown
 * in a group.
 */
export function buttonOwner(ctx: BotContext, encodedOwner: string | undefined): number | undefined {
  const message = ctx.callbackQuery?.message;
  const onMessage =
    encodedOwner !== undefined && message !== undefined && 'reply_markup' in message
      ? ownerShown(message.reply_markup, (ctx.callbackQuery?.data ?? '').slice(0, -(encodedOwner.length + 1)))
      : undefined;
  if (onMessage !== undefined) return onMessage;
  return message?.chat.type === 'private' ? message.chat.id : undefined;
}

/** The owner a message's button for `action` carries (`<action>:<userId>`), if it shows one. */
function ownerShown(markup: InlineKeyboardMarkup | undefined, action: string): number | undefined {
  for (const button of markup?.inline_keyboard.flat() ?? []) {
    const data = 'callback_data' in button ? button.callback_data : undefined;
    const owner = data?.startsWith(`${action}:`) ? data.slice(action.length + 1) : undefined;
    if (owner !== undefined && /^\d{1,16}$/.test(owner)) return Number(owner);
  }
  return undefined;
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
