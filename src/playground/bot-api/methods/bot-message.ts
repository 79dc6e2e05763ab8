/** Building a message the bot sends: its id, sender, reply target, inline keyboard and caption. */
import { badRequest } from '../api-error.ts';
import type { ChatStore } from '../chat-store.ts';
import { formatted } from '../formatting.ts';
import { now, type ReplyMessage, withEntities, withoutReply } from '../messages.ts';
import { inlineMarkup, optBool, optInt, optObj, type Params } from '../params.ts';
import type { StandInState } from '../state.ts';
import type { Chat, Message } from '../types.ts';

export const MAX_TEXT = 4096;
export const MAX_CAPTION = 1024;

/** Stores and returns (a copy of) the bot's message: next id in the chat, optional reply and inline keyboard. */
export function botMessage(
  { chats, profile }: StandInState,
  chat: Chat,
  p: Params,
  content: Partial<Message>,
): Message {
  const replyTo = replyTarget(chats, chat.id, p);
  const markup = inlineMarkup(p);
  const message: Message = {
    ...content,
    message_id: chats.nextMessageId(chat.id),
    from: profile.user,
    chat,
    date: now(),
  };
  if (replyTo) message.reply_to_message = replyTo;
  if (markup) message.reply_markup = markup;
  chats.store(message);
  return structuredClone(message);
}

/** The formatted `caption` param, as message fields (none when empty). */
export function captionFields(p: Params): Partial<Message> {
  const { text, entities } = formatted(p, 'caption', 'caption_entities');
  if (text.length > MAX_CAPTION) throw badRequest('message caption is too long');
  return text ? { caption: text, ...withEntities('caption_entities', entities) } : {};
}

/** The replied-to message from `reply_parameters` (or the older `reply_to_message_id`). */
function replyTarget(chats: ChatStore, chatId: number, p: Params): ReplyMessage | undefined {
  const parameters = optObj(p, 'reply_parameters');
  const source = parameters ?? p;
  const messageId = optInt(source, parameters ? 'message_id' : 'reply_to_message_id');
  if (messageId === undefined) return undefined;
  const record = chats.live(chatId, messageId);
  if (record) return withoutReply(record.message);
  if (optBool(source, 'allow_sending_without_reply')) return undefined;
  throw badRequest('message to be replied not found');
}
