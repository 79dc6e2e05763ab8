/**
 * The person's side of the chat: the users and chats a test (or the playground's page) plays,
 * and what they do — send text, photos, albums, documents, videos, GIFs, video notes and stickers, press inline buttons —
 * including group privacy mode, which decides whether the bot hears of it at all.
 */
import { detectEntities } from './formatting.ts';
import { captionOf, now, type ReplyMessage, withEntities, withoutReply } from './messages.ts';
import type { StandInState } from './state.ts';
import type {
  CallbackQuery,
  Chat,
  Message,
  PressButtonInput,
  SendAlbumInput,
  SendDocumentInput,
  SendPhotoInput,
  SendTextInput,
  SendVideoInput,
  StoredFile,
  Update,
  User,
  UserChat,
} from './types.ts';

export class PersonActions {
  private nextCallbackQueryId = 1;
  /** The last photo message sent, settled: the next one joins the chat after it. */
  private photosInOrder: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly state: StandInState,
    /** Told after every action (it may have changed a chat). */
    private readonly changed: () => void,
  ) {}

  sendText({ chat, from, text, replyTo }: SendTextInput): Message {
    return this.userMessage(chat, from, replyTo, { text, ...withEntities('entities', detectEntities(text)) });
  }

  /**
   * A photo message, once "Telegram" has made its sizes. Photos sent without waiting for each other still reach the
   * chat (and the bot) in the order they were sent.
   */
  sendPhoto({ chat, from, file, caption, mediaGroupId, replyTo }: SendPhotoInput): Promise<Message> {
    const { files } = this.state;
    const stored = files.fromInput(file, { mimeType: 'image/jpeg', fileName: 'photo.jpg' });
    const sizes = files.photoSizes(stored);
    const sent = this.photosInOrder.then(async () =>
      this.userMessage(chat, from, replyTo, {
        photo: await sizes,
        ...captionOf(caption),
        ...(mediaGroupId === undefined ? {} : { media_group_id: mediaGroupId }),
      }),
    );
    this.photosInOrder = sent.catch(() => undefined);
    return sent;
  }

  sendDocument({ chat, from, file, mimeType, fileName, caption, replyTo }: SendDocumentInput): Message {
    const stored = this.state.files.fromInput(file, { mimeType, fileName });
    return this.userMessage(chat, from, replyTo, {
      document: {
        file_id: stored.file_id,
        file_unique_id: stored.file_unique_id,
        file_name: fileName,
        mime_type: mimeType,
        file_size: stored.file_size,
      },
      ...captionOf(caption),
    });
  }

  /** A video message: `message.video`, as Telegram's clients send a clip. */
  sendVideo(input: SendVideoInput): Message {
    const { stored, fileName, mimeType, caption } = this.storeVideo(input, 'video.mp4');
    return this.userMessage(input.chat, input.from, input.replyTo, {
      video: { ...videoFields(stored, input), file_name: fileName, mime_type: mimeType },
      ...captionOf(caption),
    });
  }

  /**
   * A GIF as Telegram delivers it: an MP4 "animation". Like Telegram, the message carries the same file as
   * `message.document` too (the Bot API keeps that for older bots).
   */
  sendAnimation(input: SendVideoInput): Message {
    const { stored, fileName, mimeType, caption } = this.storeVideo(input, 'animation.gif.mp4');
    const document = {
      file_id: stored.file_id,
      file_unique_id: stored.file_unique_id,
      file_name: fileName,
      mime_type: mimeType,
      file_size: stored.file_size,
    };
    return this.userMessage(input.chat, input.from, input.replyTo, {
      animation: { ...videoFields(stored, input), file_name: fileName, mime_type: mimeType },
      document,
      ...captionOf(caption),
    });
  }

  /** A round video note: square (`length` is its side, default 240), no caption, no file name. */
  sendVideoNote(input: Omit<SendVideoInput, 'caption' | 'fileName' | 'height'>): Message {
    const { stored } = this.storeVideo(input, 'video_note.mp4');
    return this.userMessage(input.chat, input.from, input.replyTo, {
      video_note: {
        file_id: stored.file_id,
        file_unique_id: stored.file_unique_id,
        length: input.width ?? 240,
        duration: input.duration ?? 5,
        file_size: stored.file_size,
      },
    });
  }

  private storeVideo(input: SendVideoInput, defaultName: string) {
    const mimeType = input.mimeType ?? 'video/mp4';
    const fileName = input.fileName ?? defaultName;
    const stored = this.state.files.fromInput(input.file, { mimeType, fileName });
    return { stored, fileName, mimeType, caption: input.caption };
  }

  sendSticker({ chat, from }: { chat: UserChat; from: User }): Message {
    const stored = this.state.files.create(new Uint8Array(64), { mimeType: 'image/webp', fileName: 'sticker.webp' });
    return this.userMessage(chat, from, undefined, {
      sticker: {
        file_id: stored.file_id,
        file_unique_id: stored.file_unique_id,
        type: 'regular',
        width: 512,
        height: 512,
        is_animated: false,
        is_video: false,
        emoji: '🐶',
        file_size: stored.file_size,
      },
    });
  }

  sendAlbum({ chat, from, files, caption }: SendAlbumInput): Promise<Message[]> {
    const mediaGroupId = String(13_000_000_000_000_000n + BigInt(this.state.updates.upcomingId));
    return Promise.all(
      files.map((file, i) =>
        this.sendPhoto({ chat, from, file, mediaGroupId, ...(i === 0 && caption !== undefined ? { caption } : {}) }),
      ),
    );
  }

  pressButton({ chat, from, messageId, data, forged = false }: PressButtonInput): CallbackQuery {
    const { chats, updates } = this.state;
    const record = chats.live(chat.id, messageId);
    if (!record) throw new Error(`pressButton: no message ${messageId} in chat ${chat.id}`);
    const buttons = record.message.reply_markup?.inline_keyboard.flat() ?? [];
    const offered = buttons.flatMap((b) => ('callback_data' in b ? [b.callback_data] : []));
    if (!forged && !offered.includes(data)) {
      throw new Error(`pressButton: message ${messageId} has no button "${data}" (it has ${JSON.stringify(offered)})`);
    }
    const query: CallbackQuery = {
      id: String(4_000_000_000_000_000n + BigInt(this.nextCallbackQueryId++)),
      from,
      message: structuredClone(record.message),
      chat_instance: `-${Math.abs(chat.id)}17`,
      data,
    };
    chats.remember(chat);
    chats.openCallbackQuery(query.id);
    updates.add({ callback_query: query });
    this.changed();
    return structuredClone(query);
  }

  /** A raw update as-is; its message (if new and dated) joins the chat, as if the person had sent it. */
  pushUpdate(update: Update): Update {
    const { chats, updates } = this.state;
    const message = update.message ?? update.callback_query?.message;
    if (message && 'chat' in message) {
      chats.rememberIfNew(message.chat);
      if ('date' in message && message.date > 0 && !chats.live(message.chat.id, message.message_id)) {
        chats.store(structuredClone(message));
      }
    }
    updates.push(update);
    this.changed();
    return update;
  }

  private userMessage(chat: UserChat, from: User, replyTo: number | undefined, content: Partial<Message>): Message {
    const { chats, updates } = this.state;
    chats.remember(chat);
    let reply: ReplyMessage | undefined;
    if (replyTo !== undefined) {
      const record = chats.live(chat.id, replyTo);
      if (!record) throw new Error(`replyTo: no message ${replyTo} in chat ${chat.id}`);
      reply = withoutReply(record.message);
    }
    const message: Message & Update.NonChannel = {
      ...content,
      message_id: chats.nextMessageId(chat.id),
      from,
      chat,
      date: now(),
    };
    if (reply) message.reply_to_message = reply;
    chats.store(message);
    // Privacy mode: the message stays in the chat, but the bot never hears of it.
    if (this.visibleToBot(message)) updates.add({ message: structuredClone(message) });
    this.changed();
    return structuredClone(message);
  }

  private visibleToBot(message: Message): boolean {
    const { user: bot, privacyMode } = this.state.profile;
    if (message.chat.type === 'private' || !privacyMode) return true;
    if (message.reply_to_message?.from?.id === bot.id) return true;
    const text = message.text ?? message.caption ?? '';
    const name = (bot.username ?? '').toLowerCase();
    return (message.entities ?? message.caption_entities ?? []).some((e) => {
      const part = text.slice(e.offset, e.offset + e.length).toLowerCase();
      if (e.type === 'mention') return part === `@${name}`;
      return e.type === 'bot_command' && (!part.includes('@') || part.endsWith(`@${name}`));
    });
  }
}

/** What a video and an animation share: Telegram's ids, the clip's size and length as the client says, the bytes. */
function videoFields(stored: StoredFile, input: SendVideoInput) {
  return {
    file_id: stored.file_id,
    file_unique_id: stored.file_unique_id,
    width: input.width ?? 640,
    height: input.height ?? 360,
    duration: input.duration ?? 5,
    file_size: stored.file_size,
  };
}

// -----------------------------------------------------------------------------
// Building chats and users for tests.

export function user(
  id: number,
  opts: { languageCode?: string | null; firstName?: string; username?: string } = {},
): User {
  const result: User = { id, is_bot: false, first_name: opts.firstName ?? `User${id}` };
  if (opts.username) result.username = opts.username;
  // Real clients almost always send a language; pass null to test its absence.
  if (opts.languageCode !== null) result.language_code = opts.languageCode ?? 'en';
  return result;
}

export function privateChat(userOrId: number | User): Chat.PrivateChat {
  const from = typeof userOrId === 'number' ? user(userOrId) : userOrId;
  const chat: Chat.PrivateChat = { id: from.id, type: 'private', first_name: from.first_name };
  if (from.username) chat.username = from.username;
  return chat;
}

/** A basic group; Telegram group ids are negative, e.g. groupChat(-1001). */
export function groupChat(id: number, title = `Group ${id}`): Chat.GroupChat {
  return { id, type: 'group', title };
}
