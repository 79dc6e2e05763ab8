/**
 * Types of the Bot API stand-in. Telegram's own objects come from grammY's type
 * package, so the stand-in and the bot can never disagree about their shape;
 * only the stand-in's own vocabulary (options, faults, records) lives here.
 */
import type { Chat, File, Message, User } from 'grammy/types';

export type {
  BotCommand,
  CallbackQuery,
  Chat,
  Document,
  File,
  InlineKeyboardButton,
  InlineKeyboardMarkup,
  Message,
  MessageEntity,
  PhotoSize,
  Sticker,
  Update,
  User,
  UserFromGetMe,
} from 'grammy/types';

export interface StandInOptions {
  /** The token the bot must use; any other token gets 401. */
  token: string;
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Bot username reported by getMe; default `dog_breeds_test_bot`. */
  username?: string;
  /** Bot display name; default `Dog Breeds (test)`. */
  firstName?: string;
  /**
   * Group privacy mode, on by default as BotFather leaves it: in groups the bot
   * only receives commands, mentions of itself and replies to its messages.
   */
  privacyMode?: boolean;
  /** Upper bound of getUpdates' `timeout`, in seconds; default 50. */
  maxPollSeconds?: number;
}

/** A stored file as getFile reports it (all four fields are always present). */
export type StoredFile = Required<File>;

export interface AddFileOptions {
  mimeType?: string;
  fileName?: string;
  /** Size to report instead of the real byte count (claim > 20 MB without allocating it). */
  reportedSize?: number;
}

/** A file the user sends: raw bytes (stored on the fly) or what `addFile` returned. */
export type FileInput = Uint8Array | StoredFile;

/** Chats a human can write in (channels are out of scope). */
export type UserChat = Exclude<Chat, Chat.ChannelChat>;

interface UserAction {
  chat: UserChat;
  from: User;
}

export interface SendTextInput extends UserAction {
  text: string;
  /** message_id of the message being replied to. */
  replyTo?: number;
}

export interface SendPhotoInput extends UserAction {
  file: FileInput;
  caption?: string;
  mediaGroupId?: string;
  replyTo?: number;
}

export interface SendDocumentInput extends UserAction {
  file: FileInput;
  mimeType: string;
  fileName: string;
  caption?: string;
  replyTo?: number;
}

/**
 * A video the person sends (`sendVideo`, `sendAnimation`, `sendVideoNote`): the bytes are an MP4 (Telegram turns a
 * GIF into an MP4 "animation" itself; the caller does that here). Width, height and duration are what the client says
 * of the clip — Telegram does not check them — with sensible defaults.
 */
export interface SendVideoInput extends UserAction {
  file: FileInput;
  caption?: string;
  replyTo?: number;
  /** Default 640 × 360 (a note: 240, its one side). */
  width?: number;
  height?: number;
  /** Seconds; default 5. */
  duration?: number;
  /** Default video/mp4. */
  mimeType?: string;
  /** Default video.mp4 (a video), animation.gif.mp4 (an animation); a video note has none. */
  fileName?: string;
}

export interface SendAlbumInput extends UserAction {
  files: FileInput[];
  /** Caption of the first photo, as Telegram clients do. */
  caption?: string;
}

export interface PressButtonInput extends UserAction {
  messageId: number;
  data: string;
  /** Data the message's buttons do not carry, as a modified client may send: the bot must not trust it. */
  forged?: boolean;
}

export type Fault =
  /** Answer with this HTTP status and a Telegram-shaped error body. */
  | { kind: 'status'; status: number; retryAfter?: number; description?: string }
  /** Destroy the socket without answering: the client sees a network error. */
  | { kind: 'drop' }
  /** Answer normally, but only after `ms` milliseconds. */
  | { kind: 'delay'; ms: number }
  /** Carry out the call (a message is sent), then destroy the socket: the response is lost, as Telegram's can be. */
  | { kind: 'lose-response' }
  /**
   * Answer normally, but with chunked transfer encoding (no content-length, the body in two chunks), as a self-hosted
   * Bot API server or a proxy may.
   */
  | { kind: 'chunked' };

export interface FaultRule {
  /** Bot API method name, `'*'` for any method, or `'file'` for file downloads. */
  method: string;
  /** How many matching requests the fault applies to; default 1. */
  times?: number;
  fault: Fault;
}

export interface RecordedCall {
  method: string;
  params: Record<string, unknown>;
  /** Date.now() when the request arrived. */
  at: number;
  /** Set when an injected fault handled (or delayed) this call. */
  injected?: Fault['kind'];
  /** Error description when the call failed. */
  error?: string;
}

/** A chat action the bot sent (`sendChatAction`): Telegram shows it for about 5 s, or until the bot's next message. */
export interface ChatAction {
  action: string;
  /** Date.now() when it arrived. */
  at: number;
}

/** A message as the chat shows it now, plus every earlier text/caption (oldest first). */
export type ChatMessage = Message & { editHistory: string[] };
