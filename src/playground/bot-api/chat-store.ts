/**
 * The chats the stand-in knows: each chat, its messages (deleted ones kept, so ids are never
 * reused), the bot's chat actions, who blocked the bot, and the callback queries still waiting
 * for the bot's answer.
 */
import type { Chat, ChatAction, ChatMessage, Message } from './types.ts';

export interface MessageRecord {
  message: Message;
  /** Every earlier text or caption, oldest first. */
  editHistory: string[];
  deleted: boolean;
}

/** What the bot answered to a button press: Telegram shows `text` as a toast, or as an alert with `showAlert`. */
export interface CallbackAnswer {
  text?: string;
  showAlert: boolean;
}

export class ChatStore {
  private readonly chats = new Map<number, Chat>();
  private readonly blocked = new Set<number>();
  private readonly messages = new Map<number, Map<number, MessageRecord>>();
  private readonly nextMessageIds = new Map<number, number>();
  private readonly callbackQueries = new Map<string, { answered: boolean; answer?: CallbackAnswer }>();
  private readonly actions = new Map<number, ChatAction[]>();

  /** Remember (or refresh) a chat as a person just wrote in it. */
  remember(chat: Chat): void {
    this.chats.set(chat.id, chat);
  }

  /** Remember a chat only if it is new (a raw update must not overwrite what the stand-in knows). */
  rememberIfNew(chat: Chat): void {
    if (!this.chats.has(chat.id)) this.chats.set(chat.id, chat);
  }

  get(chatId: number): Chat | undefined {
    return this.chats.get(chatId);
  }

  byUsername(username: string): Chat | undefined {
    return [...this.chats.values()].find((c) => c.username === username);
  }

  block(chatId: number): void {
    this.blocked.add(chatId);
  }

  isBlocked(chatId: number): boolean {
    return this.blocked.has(chatId);
  }

  /** Message ids are per chat and shared by the person and the bot, as in Telegram. */
  nextMessageId(chatId: number): number {
    return this.nextMessageIds.get(chatId) ?? 1;
  }

  store(message: Message): void {
    const chatId = message.chat.id;
    const chat = this.messages.get(chatId) ?? new Map<number, MessageRecord>();
    this.messages.set(chatId, chat);
    chat.set(message.message_id, { message, editHistory: [], deleted: false });
    this.nextMessageIds.set(chatId, Math.max(this.nextMessageId(chatId), message.message_id + 1));
  }

  /** The message's record unless it is unknown or deleted. */
  live(chatId: number, messageId: number): MessageRecord | undefined {
    const record = this.messages.get(chatId)?.get(messageId);
    return record && !record.deleted ? record : undefined;
  }

  isDeleted(chatId: number, messageId: number): boolean {
    return this.messages.get(chatId)?.get(messageId)?.deleted ?? false;
  }

  /** The chat's live messages by message_id, copied so callers cannot change the store. */
  messagesIn(chatId: number): ChatMessage[] {
    const records = [...(this.messages.get(chatId)?.values() ?? [])];
    return records
      .filter((r) => !r.deleted)
      .sort((a, b) => a.message.message_id - b.message.message_id)
      .map((r) => ({ ...structuredClone(r.message), editHistory: [...r.editHistory] }));
  }

  recordAction(chatId: number, action: string): void {
    const actions = this.actions.get(chatId) ?? [];
    this.actions.set(chatId, actions);
    actions.push({ action, at: Date.now() });
  }

  /** The bot's chat actions in this chat, oldest first. */
  actionsIn(chatId: number): ChatAction[] {
    return (this.actions.get(chatId) ?? []).map((a) => ({ ...a }));
  }

  openCallbackQuery(id: string): void {
    this.callbackQueries.set(id, { answered: false });
  }

  /** Marks the query answered; false when it is unknown or was answered before (Telegram allows one answer). */
  answerCallbackQuery(id: string, answer: CallbackAnswer = { showAlert: false }): boolean {
    const query = this.callbackQueries.get(id);
    if (!query || query.answered) return false;
    query.answered = true;
    query.answer = answer;
    return true;
  }

  /** The bot's answer to the query, once it answered. */
  callbackAnswer(id: string): CallbackAnswer | undefined {
    const answer = this.callbackQueries.get(id)?.answer;
    return answer && { ...answer };
  }
}
