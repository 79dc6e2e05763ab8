/**
 * A Telegram Bot API stand-in: an HTTP server that answers like api.telegram.org
 * closely enough for grammY, while a test (or the playground's web page) plays the
 * human (sends photos, presses buttons) and watches what the bot does. It keeps
 * Telegram's awkward habits on purpose (unconfirmed updates come back, "message is
 * not modified", 20 MB download cap, entity parse errors, privacy mode in groups),
 * because those are what our code must survive.
 *
 * Shared by the tests and `src/playground/`: it must depend on nothing but Node
 * and grammY's types.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ApiError, badRequest, faultError, sendError, sendJson } from './api-error.ts';
import { detectEntities, formatted } from './formatting.ts';
import { extensionFor, type FileRecord, imageSize, photoSize, publicFile } from './media.ts';
import { captionOf, now, type ReplyMessage, sameJson, setOptional, withEntities, withoutReply } from './messages.ts';
import {
  clamp,
  commandsKey,
  inlineMarkup,
  isRecord,
  optArr,
  optBool,
  optInt,
  optObj,
  optStr,
  type Params,
  parseParams,
  readBody,
  reqInt,
  type Upload,
} from './params.ts';
import type {
  AddFileOptions,
  BotCommand,
  CallbackQuery,
  Chat,
  ChatMessage,
  Fault,
  FaultRule,
  FileInput,
  Message,
  PhotoSize,
  PressButtonInput,
  RecordedCall,
  SendAlbumInput,
  SendDocumentInput,
  SendPhotoInput,
  SendTextInput,
  StandInOptions,
  StoredFile,
  Update,
  User,
  UserChat,
  UserFromGetMe,
  WaitOptions,
} from './types.ts';

export { parseParams, type Upload };

/** Bots may download files up to 20 MB through the Bot API. */
const MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024;
const MAX_TEXT = 4096;
const MAX_CAPTION = 1024;
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

interface CallContext {
  uploads: Map<string, Upload>;
  /** Aborted when the client goes away (grammY aborts its long poll on stop). */
  signal: AbortSignal;
}
type Handler = (params: Params, ctx: CallContext) => unknown;
/** Serves requests that are neither Bot API calls nor file downloads (the playground's page). */
export type OtherRequestHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

interface MessageRecord {
  message: Message;
  editHistory: string[];
  deleted: boolean;
}
interface QueuedUpdate {
  update: Update;
  /** Telegram forgets an update only once it was delivered and then confirmed by a higher offset. */
  delivered: boolean;
}
interface PendingPoll {
  limit: number;
  finish: (result: Update[] | ApiError) => void;
}

export class BotApiStandIn {
  /** Every request to a Bot API method, in arrival order (failed and injected ones too). */
  readonly calls: RecordedCall[] = [];
  /** Every file download (`GET /file/bot<token>/<path>`), in order. */
  readonly downloads: Array<{ filePath: string; at: number; status: number }> = [];
  /** Every update ever queued for the bot (pushed ones too), in order. */
  readonly updates: Update[] = [];
  /** What getMe returns. */
  readonly me: UserFromGetMe;
  readonly token: string;
  /** Pass to grammY as `client.apiRoot`. */
  apiRoot = '';

  private readonly server: Server;
  private readonly botUser: User;
  private readonly privacyMode: boolean;
  private readonly maxPollSeconds: number;
  private closed = false;

  private readonly chats = new Map<number, Chat>();
  private readonly blocked = new Set<number>();
  private readonly messages = new Map<number, Map<number, MessageRecord>>();
  private readonly nextMessageIds = new Map<number, number>();
  private readonly files = new Map<string, FileRecord>();
  private readonly filesByPath = new Map<string, FileRecord>();
  private fileCounter = 0;
  private queue: QueuedUpdate[] = [];
  private nextUpdateId = 1;
  private readonly polls = new Set<PendingPoll>();
  private readonly faults: Array<{ method: string; remaining: number; fault: Fault }> = [];
  private readonly sleepers = new Set<() => void>();
  private readonly waiters = new Set<() => void>();
  private readonly listeners = new Set<() => void>();
  private otherRequests: OtherRequestHandler | undefined;
  private readonly callbackQueries = new Map<string, { answered: boolean }>();
  private nextCallbackQueryId = 1;
  private readonly commands = new Map<string, BotCommand[]>();
  private readonly descriptions = new Map<string, string>();

  /** Bot API methods by name; looked up case-insensitively, as Telegram does. */
  private readonly methods: Record<string, Handler> = {
    getMe: () => this.me,
    getUpdates: (p, ctx) => this.apiGetUpdates(p, ctx),
    deleteWebhook: (p) => this.apiDeleteWebhook(p),
    getWebhookInfo: () => ({ url: '', has_custom_certificate: false, pending_update_count: this.queue.length }),
    setMyCommands: (p) => this.apiSetMyCommands(p),
    getMyCommands: (p) => this.commands.get(commandsKey(p)) ?? [],
    deleteMyCommands: (p) => {
      this.commands.delete(commandsKey(p));
      return true;
    },
    setMyDescription: (p) => this.setDescription('description', p),
    getMyDescription: (p) => ({
      description: this.descriptions.get(`description:${optStr(p, 'language_code') ?? ''}`) ?? '',
    }),
    setMyShortDescription: (p) => this.setDescription('short_description', p),
    getMyShortDescription: (p) => ({
      short_description: this.descriptions.get(`short_description:${optStr(p, 'language_code') ?? ''}`) ?? '',
    }),
    sendMessage: (p) => this.apiSendMessage(p),
    editMessageText: (p) => this.apiEditMessageText(p),
    editMessageCaption: (p) => this.apiEditMessageCaption(p),
    editMessageReplyMarkup: (p) => this.apiEditMessageReplyMarkup(p),
    deleteMessage: (p) => this.apiDeleteMessage(p),
    sendChatAction: (p) => this.apiSendChatAction(p),
    answerCallbackQuery: (p) => this.apiAnswerCallbackQuery(p),
    sendPhoto: (p, ctx) => this.apiSendPhoto(p, ctx),
    sendDocument: (p, ctx) => this.apiSendDocument(p, ctx),
    getFile: (p) => this.apiGetFile(p),
  };
  private readonly methodsByLowerName = new Map(
    Object.entries(this.methods).map(([name, handler]) => [name.toLowerCase(), { name, handler }]),
  );

  static async start(options: StandInOptions): Promise<BotApiStandIn> {
    const standIn = new BotApiStandIn(options);
    await standIn.listen(options.host ?? '127.0.0.1', options.port ?? 0);
    return standIn;
  }

  private constructor(options: StandInOptions) {
    this.token = options.token;
    this.privacyMode = options.privacyMode ?? true;
    this.maxPollSeconds = options.maxPollSeconds ?? 50;
    // Real tokens start with the bot's id ("123456:ABC..."); use it when present.
    const idFromToken = Number(options.token.split(':')[0]);
    const botUser: User = {
      id: Number.isSafeInteger(idFromToken) && idFromToken > 0 ? idFromToken : 7_000_000_001,
      is_bot: true,
      first_name: options.firstName ?? 'Dog Breeds (test)',
      username: options.username ?? 'dog_breeds_test_bot',
    };
    this.botUser = botUser;
    this.me = {
      ...botUser,
      is_bot: true,
      username: botUser.username ?? '',
      can_join_groups: true,
      can_read_all_group_messages: !this.privacyMode,
      supports_inline_queries: false,
      can_connect_to_business: false,
      has_main_web_app: false,
      has_topics_enabled: false,
      allows_users_to_create_topics: false,
      can_manage_bots: false,
      supports_join_request_queries: false,
    };
    this.server = createServer((req, res) => {
      void this.onRequest(req, res);
    });
  }

  // ---------------------------------------------------------------------------
  // The user's side: what a test does to play the human.

  /** Store a file on "Telegram's servers" and get its identifiers. */
  addFile(bytes: Uint8Array, opts: AddFileOptions = {}): StoredFile {
    return publicFile(this.createFile(bytes, opts));
  }

  /** Make a file id expire: getFile then fails with `invalid file_id` (other sizes of the same photo too). */
  deleteFile(fileId: string): void {
    const target = this.files.get(fileId);
    if (!target) throw new Error(`deleteFile: unknown file_id ${fileId}`);
    for (const file of this.files.values()) if (file.bytes === target.bytes) file.deleted = true;
  }

  /** From now on, sending to this chat fails with 403 "bot was blocked by the user". */
  blockBot(chatId: number): void {
    this.blocked.add(chatId);
  }

  sendText({ chat, from, text, replyTo }: SendTextInput): Message {
    return this.userMessage(chat, from, replyTo, { text, ...withEntities('entities', detectEntities(text)) });
  }

  sendPhoto({ chat, from, file, caption, mediaGroupId, replyTo }: SendPhotoInput): Message {
    const stored = this.fileFrom(file, { mimeType: 'image/jpeg', fileName: 'photo.jpg' });
    return this.userMessage(chat, from, replyTo, {
      photo: this.photoSizes(stored),
      ...captionOf(caption),
      ...(mediaGroupId === undefined ? {} : { media_group_id: mediaGroupId }),
    });
  }

  sendDocument({ chat, from, file, mimeType, fileName, caption, replyTo }: SendDocumentInput): Message {
    const stored = this.fileFrom(file, { mimeType, fileName });
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

  sendSticker({ chat, from }: { chat: UserChat; from: User }): Message {
    const stored = this.createFile(new Uint8Array(64), { mimeType: 'image/webp', fileName: 'sticker.webp' });
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

  /** Several photo messages sharing one media_group_id, delivered as separate updates like Telegram does. */
  sendAlbum({ chat, from, files, caption }: SendAlbumInput): Message[] {
    const mediaGroupId = String(13_000_000_000_000_000n + BigInt(this.nextUpdateId));
    return files.map((file, i) =>
      this.sendPhoto({ chat, from, file, mediaGroupId, ...(i === 0 && caption !== undefined ? { caption } : {}) }),
    );
  }

  /** Press an inline button of a bot message; throws if the message has no button with that callback_data. */
  pressButton({ chat, from, messageId, data }: PressButtonInput): CallbackQuery {
    const record = this.liveRecord(chat.id, messageId);
    if (!record) throw new Error(`pressButton: no message ${messageId} in chat ${chat.id}`);
    const buttons = record.message.reply_markup?.inline_keyboard.flat() ?? [];
    const offered = buttons.flatMap((b) => ('callback_data' in b ? [b.callback_data] : []));
    if (!offered.includes(data)) {
      throw new Error(`pressButton: message ${messageId} has no button "${data}" (it has ${JSON.stringify(offered)})`);
    }
    const query: CallbackQuery = {
      id: String(4_000_000_000_000_000n + BigInt(this.nextCallbackQueryId++)),
      from,
      message: structuredClone(record.message),
      chat_instance: `-${Math.abs(chat.id)}17`,
      data,
    };
    this.chats.set(chat.id, chat);
    this.callbackQueries.set(query.id, { answered: false });
    this.enqueue({ callback_query: query });
    return structuredClone(query);
  }

  /** Enqueue a raw update as-is (even an update_id delivered before: Telegram re-delivers unconfirmed updates). */
  pushUpdate(update: Update): Update {
    this.nextUpdateId = Math.max(this.nextUpdateId, update.update_id + 1);
    const message = update.message ?? update.callback_query?.message;
    if (message && 'chat' in message) {
      if (!this.chats.has(message.chat.id)) this.chats.set(message.chat.id, message.chat);
      if ('date' in message && message.date > 0 && !this.liveRecord(message.chat.id, message.message_id)) {
        this.storeMessage(structuredClone(message));
      }
    }
    this.updates.push(structuredClone(update));
    this.queue.push({ update: structuredClone(update), delivered: false });
    this.flushPolls();
    this.changed();
    return update;
  }

  // ---------------------------------------------------------------------------
  // Observing what the bot did.

  /** The chat's live (not deleted) messages, user's and bot's, by message_id. */
  messagesIn(chatId: number): ChatMessage[] {
    const records = [...(this.messages.get(chatId)?.values() ?? [])];
    return records
      .filter((r) => !r.deleted)
      .sort((a, b) => a.message.message_id - b.message.message_id)
      .map((r) => ({ ...structuredClone(r.message), editHistory: [...r.editHistory] }));
  }

  botMessagesIn(chatId: number): ChatMessage[] {
    return this.messagesIn(chatId).filter((m) => m.from?.id === this.botUser.id);
  }

  /** The bytes and type of a stored file (any size of a photo), unless it is unknown or deleted. */
  fileContent(fileId: string): { bytes: Uint8Array; mimeType: string; fileName: string } | undefined {
    const file = this.files.get(fileId);
    return file && !file.deleted ? { bytes: file.bytes, mimeType: file.mimeType, fileName: file.fileName } : undefined;
  }

  /** The command menu the bot set for everyone (default scope), optionally for one language. */
  commandMenu(languageCode = ''): BotCommand[] {
    return structuredClone(this.commands.get(`${JSON.stringify({ type: 'default' })}:${languageCode}`) ?? []);
  }

  /**
   * Calls `listener` after every API call, download and user action (they may have changed a chat).
   * Returns the function that unsubscribes it.
   */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Hands every request that is not for the Bot API or a file download to `handler` (default: 404). */
  serveOtherRequests(handler: OtherRequestHandler | undefined): void {
    this.otherRequests = handler;
  }

  isDeleted(chatId: number, messageId: number): boolean {
    return this.messages.get(chatId)?.get(messageId)?.deleted ?? false;
  }

  /**
   * Resolve with the predicate's value once it is truthy. Re-checked after every
   * API call and user action, with a 50 ms fallback poll for state outside the stand-in.
   */
  waitFor<T>(predicate: () => T | undefined | null | false, opts: WaitOptions = {}): Promise<T> {
    const timeoutMs = opts.timeoutMs ?? 10_000;
    return new Promise<T>((resolve, reject) => {
      const done = () => {
        this.waiters.delete(check);
        clearInterval(poll);
        clearTimeout(timer);
      };
      const check = () => {
        try {
          const value = predicate();
          if (value) {
            done();
            resolve(value);
          }
        } catch (error) {
          done();
          reject(error);
        }
      };
      const poll = setInterval(check, 50);
      const timer = setTimeout(() => {
        done();
        const what = opts.label ? ` for ${opts.label}` : '';
        reject(new Error(`waitFor${what} timed out after ${timeoutMs} ms.\n${this.describeRecentCalls()}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  /** The bot's message replying to `userMessageId`, once its (possibly edited) text or caption satisfies `predicate`. */
  waitForReplyTo(
    chatId: number,
    userMessageId: number,
    predicate: (text: string) => boolean = () => true,
    opts: WaitOptions = {},
  ): Promise<ChatMessage> {
    return this.waitFor(
      () =>
        this.botMessagesIn(chatId).find(
          (m) => m.reply_to_message?.message_id === userMessageId && predicate(m.text ?? m.caption ?? ''),
        ),
      { label: `a reply to message ${userMessageId} in chat ${chatId}`, ...opts },
    );
  }

  // ---------------------------------------------------------------------------
  // Fault injection.

  /** Queue a fault for the next `times` requests to `method` (`'*'` = any method, `'file'` = downloads). */
  injectFault({ method, times = 1, fault }: FaultRule): void {
    this.faults.push({ method: method.toLowerCase(), remaining: times, fault });
  }

  /** Stop listening: pending long polls get `[]`, delayed answers go out at once, keep-alive sockets close. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const poll of [...this.polls]) poll.finish([]);
    for (const wake of [...this.sleepers]) wake();
    // Let the answers above reach their sockets before the sockets are closed.
    await new Promise<void>((resolve) => setImmediate(resolve));
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  // ---------------------------------------------------------------------------
  // HTTP plumbing.

  private async listen(host: string, port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('stand-in: unexpected server address');
    const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
    this.apiRoot = `http://${urlHost}:${address.port}`;
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://stand-in');
      const file = /^\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname);
      if (file) return await this.serveFile(decodeURIComponent(file[1] ?? ''), decodeURIComponent(file[2] ?? ''), res);
      const api = /^\/bot([^/]+)\/([A-Za-z0-9_]+)$/.exec(url.pathname);
      if (!api && this.otherRequests) return await this.otherRequests(req, res);
      if (!api) return sendJson(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
      const { params, uploads } = parseParams(req.headers['content-type'] ?? '', await readBody(req), url.searchParams);
      const route = this.methodsByLowerName.get((api[2] ?? '').toLowerCase());
      const call: RecordedCall = { method: route?.name ?? api[2] ?? '', params, at: Date.now() };
      this.calls.push(call);
      try {
        if (decodeURIComponent(api[1] ?? '') !== this.token) throw new ApiError(401, 'Unauthorized');
        if (!route) throw new ApiError(404, 'Not Found');
        const fault = this.takeFault(route.name.toLowerCase());
        if (fault) call.injected = fault.kind;
        if (fault?.kind === 'drop') return void req.socket.destroy();
        if (fault?.kind === 'delay') await this.sleep(fault.ms);
        if (fault?.kind === 'status') throw faultError(fault);
        const aborted = new AbortController();
        res.on('close', () => {
          if (!res.writableFinished) aborted.abort();
        });
        const result = await route.handler(params, { uploads, signal: aborted.signal });
        sendJson(res, 200, { ok: true, result });
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        call.error = error.description;
        sendError(res, error);
      } finally {
        this.changed();
      }
    } catch (error) {
      if (error instanceof ApiError) return sendError(res, error);
      // A bug in the stand-in itself: make it loud rather than a silent hang.
      console.error('bot-api stand-in:', error);
      sendError(
        res,
        new ApiError(500, `Internal Server Error: ${error instanceof Error ? error.message : String(error)}`),
      );
    }
  }

  private async serveFile(token: string, filePath: string, res: ServerResponse): Promise<void> {
    const file = token === this.token ? this.filesByPath.get(filePath) : undefined;
    const fault = this.takeFault('file');
    if (fault?.kind === 'drop') return void res.socket?.destroy();
    if (fault?.kind === 'delay') await this.sleep(fault.ms);
    const failure = fault?.kind === 'status' ? faultError(fault) : undefined;
    const status = failure?.code ?? (file && !file.deleted ? 200 : 404);
    this.downloads.push({ filePath, at: Date.now(), status });
    if (failure) sendError(res, failure);
    else if (!file || file.deleted) sendError(res, new ApiError(404, 'Not Found'));
    else {
      res.writeHead(200, { 'content-type': file.mimeType, 'content-length': file.bytes.byteLength });
      res.end(file.bytes);
    }
    this.changed();
  }

  private takeFault(method: string): Fault | undefined {
    const index = this.faults.findIndex((f) => f.method === method || (f.method === '*' && method !== 'file'));
    const rule = this.faults[index];
    if (!rule) return undefined;
    if (--rule.remaining <= 0) this.faults.splice(index, 1);
    return rule.fault;
  }

  /** A timer that close() can cut short, so a delayed answer never outlives the server. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  private changed(): void {
    for (const check of [...this.waiters]) check();
    for (const listener of [...this.listeners]) listener();
  }

  private describeRecentCalls(): string {
    const interesting = this.calls.filter((c) => c.method !== 'getUpdates');
    const polls = this.calls.length - interesting.length;
    const lines = interesting.slice(-8).map((c) => {
      const params = JSON.stringify(c.params);
      const outcome = c.error ? ` -> ${c.error}` : c.injected ? ` (injected ${c.injected})` : '';
      return `  ${c.method} ${params.length > 200 ? `${params.slice(0, 200)}…` : params}${outcome}`;
    });
    const header = `Last ${lines.length} of ${interesting.length} calls (plus ${polls} getUpdates):`;
    return lines.length ? `${header}\n${lines.join('\n')}` : 'The bot made no calls besides getUpdates.';
  }

  // ---------------------------------------------------------------------------
  // Bot API methods.

  private apiGetUpdates(p: Params, ctx: CallContext): Update[] | Promise<Update[]> {
    const offset = optInt(p, 'offset');
    const limit = clamp(optInt(p, 'limit') ?? 100, 1, 100);
    const timeout = clamp(optInt(p, 'timeout') ?? 0, 0, this.maxPollSeconds);
    if (offset !== undefined) this.confirmUpdates(offset);
    // A newer getUpdates terminates an older one, which is how Telegram reports two running bot instances.
    for (const poll of [...this.polls]) {
      poll.finish(
        new ApiError(
          409,
          'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
        ),
      );
    }
    const ready = this.takeUpdates(limit);
    if (ready.length > 0 || timeout === 0 || this.closed) return ready;
    return new Promise<Update[]>((resolve, reject) => {
      const poll: PendingPoll = {
        limit,
        finish: (result) => {
          this.polls.delete(poll);
          clearTimeout(timer);
          ctx.signal.removeEventListener('abort', onAbort);
          if (result instanceof ApiError) reject(result);
          else resolve(result);
        },
      };
      const onAbort = () => poll.finish([]);
      const timer = setTimeout(() => poll.finish([]), timeout * 1000);
      ctx.signal.addEventListener('abort', onAbort);
      this.polls.add(poll);
    });
  }

  private apiDeleteWebhook(p: Params): true {
    if (optBool(p, 'drop_pending_updates')) this.queue = [];
    return true;
  }

  private apiSetMyCommands(p: Params): true {
    const commands = optArr(p, 'commands') ?? [];
    const valid = commands.filter(
      (c): c is BotCommand =>
        isRecord(c) &&
        typeof c.command === 'string' &&
        /^[a-z0-9_]{1,32}$/.test(c.command) &&
        typeof c.description === 'string' &&
        c.description.length >= 1 &&
        c.description.length <= 256,
    );
    if (valid.length !== commands.length || commands.length > 100) throw badRequest('BOT_COMMAND_INVALID');
    this.commands.set(commandsKey(p), valid);
    return true;
  }

  private setDescription(kind: 'description' | 'short_description', p: Params): true {
    const text = optStr(p, kind) ?? '';
    if (text.length > (kind === 'description' ? 512 : 120)) throw badRequest(`${kind} is too long`);
    this.descriptions.set(`${kind}:${optStr(p, 'language_code') ?? ''}`, text);
    return true;
  }

  private apiSendMessage(p: Params): Message {
    const chat = this.chatFor(p);
    const { text, entities } = formatted(p, 'text', 'entities');
    if (text.length === 0) throw badRequest('message text is empty');
    if (text.length > MAX_TEXT) throw badRequest('message is too long');
    const content: Partial<Message> = { text, ...withEntities('entities', entities) };
    const preview = optObj(p, 'link_preview_options');
    if (preview) content.link_preview_options = preview;
    return this.botMessage(chat, p, content);
  }

  private apiEditMessageText(p: Params): Message {
    const record = this.editableRecord(p);
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

  private apiEditMessageCaption(p: Params): Message {
    const record = this.editableRecord(p);
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

  private apiEditMessageReplyMarkup(p: Params): Message {
    const { message } = this.editableRecord(p);
    const markup = inlineMarkup(p);
    if (sameJson(markup, message.reply_markup)) throw badRequest(NOT_MODIFIED);
    setOptional(message, 'reply_markup', markup);
    message.edit_date = now();
    return structuredClone(message);
  }

  private apiDeleteMessage(p: Params): true {
    const chat = this.chatFor(p);
    const record = this.liveRecord(chat.id, reqInt(p, 'message_id', 'message identifier is not specified'));
    if (!record) throw badRequest('message to delete not found');
    record.deleted = true;
    return true;
  }

  private apiSendChatAction(p: Params): true {
    this.chatFor(p);
    if (!CHAT_ACTIONS.has(optStr(p, 'action') ?? '')) throw badRequest('wrong parameter action in request');
    return true;
  }

  private apiAnswerCallbackQuery(p: Params): true {
    const query = this.callbackQueries.get(optStr(p, 'callback_query_id') ?? '');
    if (!query || query.answered) {
      throw badRequest('query is too old and response timeout expired or query ID is invalid');
    }
    query.answered = true;
    return true;
  }

  private apiSendPhoto(p: Params, ctx: CallContext): Message {
    const chat = this.chatFor(p);
    const file = this.inputFile(p, 'photo', ctx, { mimeType: 'image/jpeg', fileName: 'photo.jpg' });
    return this.botMessage(chat, p, { photo: this.photoSizes(file), ...this.caption(p) });
  }

  private apiSendDocument(p: Params, ctx: CallContext): Message {
    const chat = this.chatFor(p);
    const file = this.inputFile(p, 'document', ctx, { mimeType: 'application/octet-stream', fileName: 'document.dat' });
    const document = {
      file_id: file.file_id,
      file_unique_id: file.file_unique_id,
      file_name: file.fileName,
      mime_type: file.mimeType,
      file_size: file.file_size,
    };
    return this.botMessage(chat, p, { document, ...this.caption(p) });
  }

  private apiGetFile(p: Params): StoredFile {
    const file = this.files.get(optStr(p, 'file_id') ?? '');
    if (!file || file.deleted) throw badRequest('invalid file_id');
    if (file.file_size > MAX_DOWNLOAD_BYTES) throw badRequest('file is too big');
    return publicFile(file);
  }

  // ---------------------------------------------------------------------------
  // State helpers.

  private caption(p: Params): Partial<Message> {
    const { text, entities } = formatted(p, 'caption', 'caption_entities');
    if (text.length > MAX_CAPTION) throw badRequest('message caption is too long');
    return text ? { caption: text, ...withEntities('caption_entities', entities) } : {};
  }

  /** Resolve `chat_id` (numeric, numeric string or @username) to a chat the bot may write to. */
  private chatFor(p: Params): Chat {
    const raw = p.chat_id;
    const chat =
      typeof raw === 'string' && raw.startsWith('@')
        ? [...this.chats.values()].find((c) => c.username === raw.slice(1))
        : this.chats.get(reqInt(p, 'chat_id', 'chat_id is empty'));
    if (!chat) throw badRequest('chat not found');
    if (this.blocked.has(chat.id)) throw new ApiError(403, 'Forbidden: bot was blocked by the user');
    return chat;
  }

  /** A message the bot sends: next id in the chat, bot as sender, optional reply and inline keyboard. */
  private botMessage(chat: Chat, p: Params, content: Partial<Message>): Message {
    const replyTo = this.replyTarget(chat.id, p);
    const markup = inlineMarkup(p);
    const message: Message = {
      ...content,
      message_id: this.nextMessageId(chat.id),
      from: this.botUser,
      chat,
      date: now(),
    };
    if (replyTo) message.reply_to_message = replyTo;
    if (markup) message.reply_markup = markup;
    this.storeMessage(message);
    return structuredClone(message);
  }

  private replyTarget(chatId: number, p: Params): ReplyMessage | undefined {
    const parameters = optObj(p, 'reply_parameters');
    const source = parameters ?? p;
    const messageId = optInt(source, parameters ? 'message_id' : 'reply_to_message_id');
    if (messageId === undefined) return undefined;
    const record = this.liveRecord(chatId, messageId);
    if (record) return withoutReply(record.message);
    if (optBool(source, 'allow_sending_without_reply')) return undefined;
    throw badRequest('message to be replied not found');
  }

  private editableRecord(p: Params): MessageRecord {
    if (p.inline_message_id !== undefined) throw badRequest('inline messages are not supported by the stand-in');
    const chat = this.chatFor(p);
    const record = this.liveRecord(chat.id, reqInt(p, 'message_id', 'message identifier is not specified'));
    if (!record) throw badRequest('message to edit not found');
    if (record.message.from?.id !== this.botUser.id) throw badRequest("message can't be edited");
    return record;
  }

  private userMessage(chat: UserChat, from: User, replyTo: number | undefined, content: Partial<Message>): Message {
    this.chats.set(chat.id, chat);
    let reply: ReplyMessage | undefined;
    if (replyTo !== undefined) {
      const record = this.liveRecord(chat.id, replyTo);
      if (!record) throw new Error(`replyTo: no message ${replyTo} in chat ${chat.id}`);
      reply = withoutReply(record.message);
    }
    const message: Message & Update.NonChannel = {
      ...content,
      message_id: this.nextMessageId(chat.id),
      from,
      chat,
      date: now(),
    };
    if (reply) message.reply_to_message = reply;
    this.storeMessage(message);
    // Privacy mode: the message stays in the chat, but the bot never hears of it.
    if (this.visibleToBot(message)) this.enqueue({ message: structuredClone(message) });
    else this.changed();
    return structuredClone(message);
  }

  private visibleToBot(message: Message): boolean {
    if (message.chat.type === 'private' || !this.privacyMode) return true;
    if (message.reply_to_message?.from?.id === this.botUser.id) return true;
    const text = message.text ?? message.caption ?? '';
    const name = (this.botUser.username ?? '').toLowerCase();
    return (message.entities ?? message.caption_entities ?? []).some((e) => {
      const part = text.slice(e.offset, e.offset + e.length).toLowerCase();
      if (e.type === 'mention') return part === `@${name}`;
      return e.type === 'bot_command' && (!part.includes('@') || part.endsWith(`@${name}`));
    });
  }

  private enqueue(fields: Omit<Update, 'update_id'>): void {
    const update: Update = { update_id: this.nextUpdateId++, ...fields };
    this.updates.push(structuredClone(update));
    this.queue.push({ update, delivered: false });
    this.flushPolls();
    this.changed();
  }

  /** Telegram forgets delivered updates below a positive offset; a negative offset keeps only the last -offset. */
  private confirmUpdates(offset: number): void {
    if (offset < 0) this.queue = this.queue.slice(offset);
    else this.queue = this.queue.filter((q) => !(q.delivered && q.update.update_id < offset));
  }

  private takeUpdates(limit: number): Update[] {
    const batch = this.queue.slice(0, limit);
    for (const queued of batch) queued.delivered = true;
    return batch.map((q) => structuredClone(q.update));
  }

  private flushPolls(): void {
    for (const poll of [...this.polls]) {
      const updates = this.takeUpdates(poll.limit);
      if (updates.length === 0) return;
      poll.finish(updates);
    }
  }

  private nextMessageId(chatId: number): number {
    return this.nextMessageIds.get(chatId) ?? 1;
  }

  private storeMessage(message: Message): void {
    const chatId = message.chat.id;
    const chat = this.messages.get(chatId) ?? new Map<number, MessageRecord>();
    this.messages.set(chatId, chat);
    chat.set(message.message_id, { message, editHistory: [], deleted: false });
    this.nextMessageIds.set(chatId, Math.max(this.nextMessageId(chatId), message.message_id + 1));
  }

  private liveRecord(chatId: number, messageId: number): MessageRecord | undefined {
    const record = this.messages.get(chatId)?.get(messageId);
    return record && !record.deleted ? record : undefined;
  }

  private createFile(bytes: Uint8Array, opts: AddFileOptions, prefix?: string): FileRecord {
    const n = this.fileCounter++;
    const mimeType = opts.mimeType ?? 'application/octet-stream';
    const fileName = opts.fileName ?? `file_${n}.${extensionFor(mimeType)}`;
    const folder = mimeType.startsWith('image/') ? 'photos' : 'documents';
    const extension = /\.([A-Za-z0-9]{1,8})$/.exec(fileName)?.[1] ?? extensionFor(mimeType);
    const record: FileRecord = {
      file_id: `${prefix ?? (folder === 'photos' ? 'AgACAgIAAxkBAA' : 'BQACAgIAAxkBAA')}${randomBytes(33).toString('base64url')}`,
      file_unique_id: `AQAD${randomBytes(9).toString('base64url')}`,
      file_size: opts.reportedSize ?? bytes.byteLength,
      file_path: `${folder}/file_${n}.${extension}`,
      bytes,
      mimeType,
      fileName,
      deleted: false,
    };
    this.files.set(record.file_id, record);
    this.filesByPath.set(record.file_path, record);
    return record;
  }

  private fileFrom(input: FileInput, defaults: AddFileOptions): FileRecord {
    if (input instanceof Uint8Array) return this.createFile(input, defaults);
    const record = this.files.get(input.file_id);
    if (!record) throw new Error(`unknown file_id ${input.file_id}: pass what addFile returned`);
    return record;
  }

  /** A file the bot sends: an upload (`attach://` or a raw part), an existing file_id, or a URL. */
  private inputFile(p: Params, key: string, ctx: CallContext, defaults: AddFileOptions): FileRecord {
    const value = p[key];
    const upload =
      typeof value === 'string' && value.startsWith('attach://')
        ? ctx.uploads.get(value.slice(9))
        : ctx.uploads.get(key);
    if (upload) {
      // grammY labels every upload application/octet-stream; keep the method's own default then.
      const mimeType = upload.mimeType === 'application/octet-stream' ? defaults.mimeType : upload.mimeType;
      return this.createFile(upload.bytes, { mimeType, fileName: upload.fileName });
    }
    if (typeof value !== 'string' || value === '') throw badRequest(`there is no ${key} in the request`);
    if (/^https?:\/\//.test(value)) {
      const fileName = new URL(value).pathname.split('/').pop() || (defaults.fileName ?? 'file');
      return this.createFile(new Uint8Array(0), { ...defaults, fileName });
    }
    const existing = this.files.get(value);
    if (!existing || existing.deleted) throw badRequest('wrong file identifier/HTTP URL specified');
    return existing;
  }

  /**
   * Like Telegram: several sizes, the largest being the original. Smaller sizes are
   * separate file ids sharing the original bytes (no resizing), with scaled sizes.
   */
  private photoSizes(original: FileRecord): PhotoSize[] {
    const { width, height } = imageSize(original.bytes) ?? { width: 1280, height: 960 };
    const longSide = Math.max(width, height);
    const sides = [90, 320].filter((side) => side < longSide);
    const smaller = (sides.length ? sides : [longSide]).map((side) => {
      const scale = side / longSide;
      const size = { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
      const alias = this.createFile(original.bytes, { mimeType: original.mimeType, fileName: original.fileName });
      alias.file_size = Math.max(1, Math.round(original.file_size * scale * scale));
      return photoSize(alias, size);
    });
    return [...smaller, photoSize(original, { width, height })];
  }
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
