/**
 * Bot API methods on messages: sending text, editing text, caption and keyboard (with
 * Telegram's "message is not modified"), deleting, chat actions and answering button presses.
 */
import { badRequest } from '../api-error.ts';
import type { MessageRecord } from '../chat-store.ts';
import { formatted } from '../formatting.ts';
import { now, sameJson, setOptional, withEntities } from '../messages.ts';
import { inlineMarkup, optBool, optObj, optStr, type Params, reqInt } from '../params.ts';
import type { StandInState } from '../state.ts';
import type { Message } from '../types.ts';
import { botMessage, MAX_CAPTION, MAX_TEXT } from './bot-message.ts';
import { type MethodHandler, writableChat } from './context.ts';

const NOT_MODIFIED =
  'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message';
const CHAT_ACTIONS = new Set([
  'typing',
  'upload_photo',
  'record_video',
  'upload_video',
  'record_voice',
  'upload_voice',
  'upload_document',
  'choose_sticker',
  'find_location',
  'record_video_note',
  'upload_video_note',
]);

export function messageMethods(state: StandInState): Record<string, MethodHandler> {
  const { chats } = state;
  return {
    sendMessage: (p) => sendMessage(state, p),
    editMessageText: (p) => editMessageText(state, p),
    editMessageCaption: (p) => editMessageCaption(state, p),
    editMessageReplyMarkup: (p) => {
      const { message } = editableRecord(state, p);
      const markup = inlineMarkup(p);
      if (sameJson(markup, message.reply_markup)) throw badRequest(NOT_MODIFIED);
      setOptional(message, 'reply_markup', markup);
      message.edit_date = now();
      return structuredClone(message);
    },
    deleteMessage: (p) => {
      const chat = writableChat(chats, p);
      const record = chats.live(chat.id, reqInt(p, 'message_id', 'message identifier is not specified'));
      if (!record) throw badRequest('message to delete not found');
      record.deleted = true;
      return true;
    },
    sendChatAction: (p) => {
      const chat = writableChat(chats, p);
      const action = optStr(p, 'action') ?? '';
      if (!CHAT_ACTIONS.has(action)) throw badRequest('wrong parameter action in request');
      chats.recordAction(chat.id, action);
      return true;
    },
    answerCallbackQuery: (p) => {
      const text = optStr(p, 'text');
      if (text !== undefined && text.length > 200) throw badRequest('MESSAGE_TOO_LONG');
      const answer = { ...(text ? { text } : {}), showAlert: optBool(p, 'show_alert') };
      if (!chats.answerCallbackQuery(optStr(p, 'callback_query_id') ?? '', answer)) {
        throw badRequest('query is too old and response timeout expired or query ID is invalid');
      }
      return true;
    },
  };
}

function sendMessage(state: StandInState, p: Params): Message {
  const chat = writableChat(state.chats, p);
  const { text, entities } = formatted(p, 'text', 'entities');
  if (text.length === 0) throw badRequest('message text is empty');
  if (text.length > MAX_TEXT) throw badRequest('message is too long');
  const content: Partial<Message> = { text, ...withEntities('entities', entities) };
  const preview = optObj(p, 'link_preview_options');
  if (preview) content.link_preview_options = preview;
  return botMessage(state, chat, p, content);
}

function editMessageText(state: StandInState, p: Params): Message {
  const record = editableRecord(state, p);
  const { message } = record;
  if (message.text === undefined) throw badRequest('there is no text in the message to edit');
  const { text, entities } = formatted(p, 'text', 'entities');
  if (text.length === 0) throw badRequest('text must be non-empty');
  if (text.length > MAX_TEXT) throw badRequest('MESSAGE_TOO_LONG');
  // Omitting reply_markup removes the keyboard, as in Telegram.
  const markup = inlineMarkup(p);
  if (text === message.text && sameJson(entities, message.entities ?? []) && sameJson(markup, message.reply_markup)) {
    throw badRequest(NOT_MODIFIED);
  }
  record.editHistory.push(message.text);
  message.text = text;
  setOptional(message, 'entities', entities.length ? entities : undefined);
  setOptional(message, 'reply_markup', markup);
  message.edit_date = now();
  return structuredClone(message);
}

function editMessageCaption(state: StandInState, p: Params): Message {
  const record = editableRecord(state, p);
  const { message } = record;
  if (message.text !== undefined) throw badRequest('there is no caption in the message to edit');
  const { text, entities } = formatted(p, 'caption', 'caption_entities');
  if (text.length > MAX_CAPTION) throw badRequest('MESSAGE_CAPTION_TOO_LONG');
  const markup = inlineMarkup(p);
  const current = message.caption ?? '';
  if (
    text === current &&
    sameJson(entities, message.caption_entities ?? []) &&
    sameJson(markup, message.reply_markup)
  ) {
    throw badRequest(NOT_MODIFIED);
  }
  record.editHistory.push(current);
  setOptional(message, 'caption', text || undefined);
  setOptional(message, 'caption_entities', entities.length ? entities : undefined);
  setOptional(message, 'reply_markup', markup);
  message.edit_date = now();
  return structuredClone(message);
}

/** The bot's own live message that `chat_id` and `message_id` name. */
function editableRecord({ chats, profile }: StandInState, p: Params): MessageRecord {
  if (p.inline_message_id !== undefined) throw badRequest('inline messages are not supported by the stand-in');
  const chat = writableChat(chats, p);
  const record = chats.live(chat.id, reqInt(p, 'message_id', 'message identifier is not specified'));
  if (!record) throw badRequest('message to edit not found');
  if (record.message.from?.id !== profile.user.id) throw badRequest("message can't be edited");
  return record;
}
