/**
 * What every Bot API method of the stand-in gets besides the stand-in's state (`../state.ts`): the request's
 * uploads and abort signal; and the chat lookup all chat methods share.
 */
import { ApiError, badRequest } from '../api-error.ts';
import type { ChatStore } from '../chat-store.ts';
import { type Params, reqInt, type Upload } from '../params.ts';
import type { Chat } from '../types.ts';

export interface CallContext {
  uploads: Map<string, Upload>;
  /** Aborted when the client goes away (grammY aborts its long poll on stop). */
  signal: AbortSignal;
}
/** One Bot API method: its result, or an `ApiError` thrown for Telegram's error answer. */
export type MethodHandler = (params: Params, ctx: CallContext) => unknown;

/** Resolve `chat_id` (numeric, numeric string or @username) to a chat the bot may write to. */
export function writableChat(chats: ChatStore, p: Params): Chat {
  const raw = p.chat_id;
  const chat =
    typeof raw === 'string' && raw.startsWith('@')
      ? chats.byUsername(raw.slice(1))
      : chats.get(reqInt(p, 'chat_id', 'chat_id is empty'));
  if (!chat) throw badRequest('chat not found');
  if (chats.isBlocked(chat.id)) throw new ApiError(403, 'Forbidden: bot was blocked by the user');
  return chat;
}
