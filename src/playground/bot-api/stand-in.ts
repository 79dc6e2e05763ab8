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
import { createServer, type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from 'node:http';
import type {
  AddFileOptions,
  BotCommand,
  CallbackQuery,
  Chat,
  ChatMessage,
  Fault,
  FaultRule,
  FileInput,
  InlineKeyboardButton,
  InlineKeyboardMarkup,
  Message,
  MessageEntity,
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

type Params = Record<string, unknown>;
export interface Upload {
  fileName: string;
  mimeType: string;
  bytes: Uint8Array;
}
interface CallContext {
  uploads: Map<string, Upload>;
  /** Aborted when the client goes away (grammY aborts its long poll on stop). */
  signal: AbortSignal;
}
type Handler = (params: Params, ctx: CallContext) => unknown;
/** Serves requests that are neither Bot API calls nor file downloads (the playground's page). */
export type OtherRequestHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

interface FileRecord extends StoredFile {
  bytes: Uint8Array;
  mimeType: string;
  fileName: string;
  deleted: boolean;
}
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
/** grammY's type of a nested replied-to message (it cannot nest further). */
type ReplyMessage = NonNullable<Message['reply_to_message']>;
interface Formatted {
  text: string;
  entities: MessageEntity[];
}

/** An error answered the way Telegram shapes it. */
class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly description: string,
    readonly retryAfter?: number,
  ) {
    super(description);
  }
}
const badRequest = (what: string) => new ApiError(400, `Bad Request: ${what}`);

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

// -----------------------------------------------------------------------------
// Request parsing and responses.

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
  res.end(data);
}

function sendError(res: ServerResponse, error: ApiError): void {
  sendJson(res, error.code, {
    ok: false,
    error_code: error.code,
    description: error.description,
    ...(error.retryAfter === undefined ? {} : { parameters: { retry_after: error.retryAfter } }),
  });
}

function faultError(fault: Extract<Fault, { kind: 'status' }>): ApiError {
  const retryAfter = fault.retryAfter ?? (fault.status === 429 ? 1 : undefined);
  const description =
    fault.description ??
    (fault.status === 429 ? `Too Many Requests: retry after ${retryAfter}` : (STATUS_CODES[fault.status] ?? 'Error'));
  return new ApiError(fault.status, description, retryAfter);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks);
}

/** Query string, then the body (JSON, urlencoded or multipart) on top, as the Bot API accepts all of them. */
export function parseParams(
  contentType: string,
  body: Buffer,
  query: URLSearchParams,
): { params: Params; uploads: Map<string, Upload> } {
  const params: Params = Object.fromEntries(query);
  const uploads = new Map<string, Upload>();
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (body.length === 0) return { params, uploads };
  if (type === 'application/json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw badRequest("can't parse request JSON object");
    }
    if (!isRecord(parsed)) throw badRequest("can't parse request JSON object");
    Object.assign(params, parsed);
  } else if (type === 'application/x-www-form-urlencoded') {
    Object.assign(params, Object.fromEntries(new URLSearchParams(body.toString('utf8'))));
  } else if (type === 'multipart/form-data') {
    const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
    const name = boundary?.[1] ?? boundary?.[2];
    if (!name) throw badRequest('multipart boundary is missing');
    parseMultipart(body, name, params, uploads);
  }
  return { params, uploads };
}

/** Minimal multipart/form-data: text fields become params, file parts become uploads by field name. */
function parseMultipart(body: Buffer, boundary: string, params: Params, uploads: Map<string, Upload>): void {
  const delimiter = Buffer.from(`--${boundary}`);
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    const partStart = start + delimiter.length;
    if (body.subarray(partStart, partStart + 2).toString() === '--') break;
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`), partStart);
    if (next === -1) break;
    const part = body.subarray(partStart + 2, next); // skip the CRLF after the delimiter
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd !== -1) {
      const headers = part.subarray(0, headerEnd).toString('utf8');
      const content = part.subarray(headerEnd + 4);
      const field = /name="([^"]*)"/i.exec(headers)?.[1];
      const fileName = /filename=(?:"([^"]*)"|([^;\r\n]+))/i.exec(headers);
      if (field !== undefined && fileName) {
        const mimeType = /content-type:\s*([^\r\n;]+)/i.exec(headers)?.[1]?.trim() ?? 'application/octet-stream';
        uploads.set(field, { fileName: fileName[1] ?? fileName[2] ?? field, mimeType, bytes: new Uint8Array(content) });
      } else if (field !== undefined) {
        params[field] = content.toString('utf8');
      }
    }
    start = next + 2;
  }
}

// -----------------------------------------------------------------------------
// Parameter narrowing. Form and multipart bodies carry everything as strings,
// objects as JSON strings; these accept both representations.

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fromJson(value: unknown, key: string): unknown {
  if (typeof value !== 'string' || !/^\s*[[{]/.test(value)) return value;
  try {
    return JSON.parse(value);
  } catch {
    throw badRequest(`can't parse ${key} JSON object`);
  }
}

function optInt(p: Params, key: string): number | undefined {
  const value = p[key];
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw badRequest(`invalid ${key} specified`);
  return n;
}

function reqInt(p: Params, key: string, missing: string): number {
  const n = optInt(p, key);
  if (n === undefined) throw badRequest(missing);
  return n;
}

function optStr(p: Params, key: string): string | undefined {
  const value = p[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw badRequest(`invalid ${key} specified`);
}

function optBool(p: Params, key: string): boolean {
  const value = p[key];
  return value === true || value === 'true' || value === 1 || value === '1';
}

function optObj(p: Params, key: string): Record<string, unknown> | undefined {
  const value = fromJson(p[key], key);
  if (value === undefined || value === null || value === '') return undefined;
  if (!isRecord(value)) throw badRequest(`can't parse ${key} JSON object`);
  return value;
}

function optArr(p: Params, key: string): unknown[] | undefined {
  const value = fromJson(p[key], key);
  if (value === undefined || value === null || value === '') return undefined;
  if (!Array.isArray(value)) throw badRequest(`can't parse ${key} JSON array`);
  return value;
}

function clamp(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, n));
}

/** Only inline keyboards end up on the message; reply keyboards belong to the client. */
function inlineMarkup(p: Params): InlineKeyboardMarkup | undefined {
  const markup = optObj(p, 'reply_markup');
  if (!markup || !('inline_keyboard' in markup)) return undefined;
  const rows = markup.inline_keyboard;
  if (!isKeyboard(rows))
    throw badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard");
  for (const button of rows.flat()) {
    const data = 'callback_data' in button ? button.callback_data : undefined;
    if (data !== undefined && (data.length === 0 || Buffer.byteLength(data) > 64))
      throw badRequest('BUTTON_DATA_INVALID');
  }
  return rows.length ? { inline_keyboard: rows } : undefined;
}

/** Rows of buttons, each with a text and one action (callback_data, url, ...). */
function isKeyboard(rows: unknown): rows is InlineKeyboardButton[][] {
  const isButton = (b: unknown) =>
    isRecord(b) &&
    typeof b.text === 'string' &&
    Object.keys(b).length >= 2 &&
    (b.callback_data === undefined || typeof b.callback_data === 'string');
  return Array.isArray(rows) && rows.every((row: unknown) => Array.isArray(row) && row.every(isButton));
}

function isEntity(value: unknown): value is MessageEntity {
  return (
    isRecord(value) &&
    typeof value.type === 'string' &&
    typeof value.offset === 'number' &&
    typeof value.length === 'number'
  );
}

function commandsKey(p: Params): string {
  return `${JSON.stringify(optObj(p, 'scope') ?? { type: 'default' })}:${optStr(p, 'language_code') ?? ''}`;
}

/** Key-order-insensitive equality of JSON-like values (absent ≡ undefined). */
function sameJson(a: unknown, b: unknown): boolean {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : isRecord(v)
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canonical(v[k])]),
          )
        : v;
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function setOptional<K extends keyof Message>(message: Message, key: K, value: Message[K] | undefined): void {
  if (value === undefined) delete message[key];
  else message[key] = value;
}

function withEntities<K extends 'entities' | 'caption_entities'>(
  key: K,
  entities: MessageEntity[],
): Partial<Record<K, MessageEntity[]>> {
  return entities.length ? ({ [key]: entities } as Partial<Record<K, MessageEntity[]>>) : {};
}

function captionOf(caption: string | undefined): Partial<Message> {
  return caption ? { caption, ...withEntities('caption_entities', detectEntities(caption)) } : {};
}

/** Replies carry the replied message without its own reply_to_message, as Telegram nests only one level. */
function withoutReply(message: Message): ReplyMessage {
  const { reply_to_message: _nested, ...rest } = structuredClone(message);
  return { ...rest, reply_to_message: undefined };
}

function now(): number {
  return Math.floor(Date.now() / 1000);
}

function publicFile(file: FileRecord): StoredFile {
  return {
    file_id: file.file_id,
    file_unique_id: file.file_unique_id,
    file_size: file.file_size,
    file_path: file.file_path,
  };
}

function photoSize(file: FileRecord, size: { width: number; height: number }): PhotoSize {
  return { file_id: file.file_id, file_unique_id: file.file_unique_id, file_size: file.file_size, ...size };
}

function extensionFor(mimeType: string): string {
  const known: Record<string, string> = {
    'image/jpeg': 'jpg',
    'image/png': 'png',
    'image/webp': 'webp',
    'image/gif': 'gif',
    'application/pdf': 'pdf',
  };
  return known[mimeType] ?? 'dat';
}

/** Width and height from a PNG or JPEG header, so PhotoSize looks like the real image. */
function imageSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length >= 24 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) {
    return { width: view.getUint32(16), height: view.getUint32(20) };
  }
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined;
  let i = 2;
  while (i + 9 < bytes.length) {
    if (bytes[i] !== 0xff) return undefined;
    const marker = bytes[i + 1] ?? 0;
    if (marker === 0xff || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      i += marker === 0xff ? 1 : 2; // fill byte or a marker without a length
      continue;
    }
    // SOFn frames (except DHT, JPG and DAC, which share the range) hold the dimensions.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: view.getUint16(i + 5), width: view.getUint16(i + 7) };
    }
    i += 2 + view.getUint16(i + 2);
  }
  return undefined;
}

/** Entities Telegram clients attach to what a user types: commands, mentions, links. */
function detectEntities(text: string): MessageEntity[] {
  const entities: MessageEntity[] = [];
  const patterns: Array<[RegExp, 'bot_command' | 'mention' | 'url']> = [
    [/(?<=^|\s)\/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w@])/g, 'bot_command'],
    [/(?<=^|[^\w@/])@[A-Za-z0-9_]{5,32}(?!\w)/g, 'mention'],
    [/https?:\/\/[^\s]+/g, 'url'],
  ];
  for (const [pattern, type] of patterns) {
    for (const match of text.matchAll(pattern)) {
      entities.push({ type, offset: match.index, length: match[0].length });
    }
  }
  return entities.sort((a, b) => a.offset - b.offset);
}

// -----------------------------------------------------------------------------
// Formatting: parse_mode turns markup into plain text plus entities, and bad
// markup fails with "can't parse entities" exactly where Telegram would refuse it.

/** Text and entities of a message-like request: `parse_mode` markup, or explicit entities. */
function formatted(p: Params, textKey: string, entitiesKey: string): Formatted {
  const raw = optStr(p, textKey) ?? '';
  const parseMode = optStr(p, 'parse_mode') ?? '';
  let result: Formatted;
  switch (parseMode.toLowerCase()) {
    case '': {
      const entities = optArr(p, entitiesKey) ?? [];
      if (!entities.every(isEntity)) throw badRequest(`can't parse ${entitiesKey} JSON object`);
      result = { text: raw, entities };
      break;
    }
    case 'html':
      result = parseHtml(raw);
      break;
    case 'markdownv2':
      result = parseMarkdownV2(raw);
      break;
    case 'markdown':
      result = parseMarkdown(raw);
      break;
    default:
      throw badRequest('unsupported parse_mode');
  }
  return trimFormatted(result);
}

/** Telegram strips leading and trailing whitespace from texts and captions. */
function trimFormatted({ text, entities }: Formatted): Formatted {
  const lead = text.length - text.trimStart().length;
  const trimmed = text.trim();
  const kept = entities.flatMap((e) => {
    const start = clamp(e.offset - lead, 0, trimmed.length);
    const end = clamp(e.offset + e.length - lead, 0, trimmed.length);
    return end > start ? [{ ...e, offset: start, length: end - start }] : [];
  });
  return { text: trimmed, entities: kept };
}

const entityError = (why: string) => badRequest(`can't parse entities: ${why}`);
const byteOffset = (src: string, index: number) => Buffer.byteLength(src.slice(0, index));
const byOffset = (a: MessageEntity, b: MessageEntity) => a.offset - b.offset || b.length - a.length;

type SimpleEntityType = MessageEntity.CommonMessageEntity['type'];
type HtmlEntityType = SimpleEntityType | 'text_link' | 'pre' | 'custom_emoji';
const HTML_TAGS: Record<string, HtmlEntityType> = {
  b: 'bold',
  strong: 'bold',
  i: 'italic',
  em: 'italic',
  u: 'underline',
  ins: 'underline',
  s: 'strikethrough',
  strike: 'strikethrough',
  del: 'strikethrough',
  span: 'spoiler',
  'tg-spoiler': 'spoiler',
  a: 'text_link',
  code: 'code',
  pre: 'pre',
  blockquote: 'blockquote',
  'tg-emoji': 'custom_emoji',
};

function parseHtml(src: string): Formatted {
  let text = '';
  const entities: MessageEntity[] = [];
  const open: Array<{ tag: string; offset: number; attrs: Record<string, string> }> = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] ?? '';
    if (c === '&') {
      const ref = /^&(#x[0-9a-f]+|#\d+|lt|gt|amp|quot);/i.exec(src.slice(i, i + 12));
      text += ref ? decodeHtmlEntity(ref[1] ?? '') : '&';
      i += ref ? ref[0].length : 1;
      continue;
    }
    if (c !== '<') {
      text += c;
      i++;
      continue;
    }
    const end = src.indexOf('>', i);
    if (end === -1) throw entityError(`Unclosed start tag at byte offset ${byteOffset(src, i)}`);
    const inner = src.slice(i + 1, end);
    if (inner.startsWith('/')) {
      const name = inner.slice(1).trim().toLowerCase();
      const top = open.pop();
      if (!top) throw entityError(`Unexpected end tag at byte offset ${byteOffset(src, i)}`);
      if (name !== top.tag) {
        throw entityError(
          `Unmatched end tag at byte offset ${byteOffset(src, i)}, expected "</${top.tag}>", found "</${name}>"`,
        );
      }
      const entity = htmlEntity(top, text.length, open.at(-1));
      if (entity) entities.push(entity);
    } else {
      const tag = /^([a-zA-Z][\w-]*)((?:\s+[\w-]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?)*)\s*\/?$/.exec(inner);
      const name = tag?.[1]?.toLowerCase() ?? '';
      if (!tag || HTML_TAGS[name] === undefined) {
        throw entityError(`Unsupported start tag "${name}" at byte offset ${byteOffset(src, i)}`);
      }
      const attrs: Record<string, string> = {};
      for (const m of (tag[2] ?? '').matchAll(/([\w-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g)) {
        attrs[(m[1] ?? '').toLowerCase()] = decodeHtmlText(m[2] ?? m[3] ?? m[4] ?? '');
      }
      if (name === 'span' && attrs.class !== 'tg-spoiler') {
        throw entityError(`Tag "span" must have class "tg-spoiler" at byte offset ${byteOffset(src, i)}`);
      }
      open.push({ tag: name, offset: text.length, attrs });
    }
    i = end + 1;
  }
  const unclosed = open.at(-1);
  if (unclosed) throw entityError(`Can't find end tag corresponding to start tag "${unclosed.tag}"`);
  return { text, entities: entities.sort(byOffset) };
}

function htmlEntity(
  tag: { tag: string; offset: number; attrs: Record<string, string> },
  end: number,
  parent: { tag: string; attrs: Record<string, string> } | undefined,
): MessageEntity | undefined {
  const type = HTML_TAGS[tag.tag];
  const { offset, attrs } = tag;
  const length = end - offset;
  // <pre><code class="language-x"> sets the language of the pre block instead of adding a code entity.
  if (tag.tag === 'code' && parent?.tag === 'pre' && attrs.class?.startsWith('language-')) {
    parent.attrs.language = attrs.class.slice('language-'.length);
    return undefined;
  }
  if (length === 0 || type === undefined) return undefined;
  switch (type) {
    case 'text_link':
      return attrs.href ? { type, offset, length, url: attrs.href } : undefined;
    case 'pre':
      return attrs.language ? { type, offset, length, language: attrs.language } : { type, offset, length };
    case 'custom_emoji':
      return { type, offset, length, custom_emoji_id: attrs['emoji-id'] ?? '' };
    case 'blockquote':
      return { type: 'expandable' in attrs ? 'expandable_blockquote' : 'blockquote', offset, length };
    default:
      return { type, offset, length };
  }
}

function decodeHtmlEntity(name: string): string {
  const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };
  if (name.startsWith('#')) {
    const code = name[1] === 'x' || name[1] === 'X' ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
    return String.fromCodePoint(code);
  }
  return named[name.toLowerCase()] ?? '';
}

function decodeHtmlText(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|lt|gt|amp|quot);/gi, (_, name: string) => decodeHtmlEntity(name));
}

const MD2_RESERVED = '_*[]()~`>#+-=|{}.!';
type Md2Kind = 'bold' | 'italic' | 'underline' | 'strikethrough' | 'spoiler' | 'link' | 'emoji';
const MD2_NAMES: Record<Md2Kind, string> = {
  bold: 'Bold',
  italic: 'Italic',
  underline: 'Underline',
  strikethrough: 'Strikethrough',
  spoiler: 'Spoiler',
  link: 'TextUrl',
  emoji: 'CustomEmoji',
};

/** MarkdownV2, including its trap: every reserved character outside markup must be escaped. */
function parseMarkdownV2(src: string): Formatted {
  let text = '';
  const entities: MessageEntity[] = [];
  const open: Array<{ kind: Md2Kind; offset: number; at: number }> = [];
  let quoteStart: number | undefined;
  const toggle = (kind: Exclude<Md2Kind, 'link' | 'emoji'>, at: number) => {
    const top = open.at(-1);
    if (top?.kind === kind) {
      open.pop();
      if (text.length > top.offset) entities.push({ type: kind, offset: top.offset, length: text.length - top.offset });
    } else if (top && open.some((o) => o.kind === kind)) {
      throw entityError(`Can't find end of ${MD2_NAMES[top.kind]} entity at byte offset ${top.at}`);
    } else {
      open.push({ kind, offset: text.length, at: byteOffset(src, at) });
    }
  };
  let i = 0;
  while (i < src.length) {
    const c = src[i] ?? '';
    const next = src[i + 1] ?? '';
    if (c === '\\' && next && next.charCodeAt(0) <= 126) {
      text += next;
      i += 2;
    } else if (c === '`') {
      const fence = src.startsWith('```', i) ? '```' : '`';
      const close = findUnescaped(src, fence, i + fence.length);
      if (close === -1) {
        throw entityError(
          `Can't find end of ${fence === '`' ? 'Code' : 'Pre'} entity at byte offset ${byteOffset(src, i)}`,
        );
      }
      let body = src.slice(i + fence.length, close);
      let language: string | undefined;
      const firstLine = /^([^\s`\\]+)\n/.exec(body);
      if (fence === '```' && firstLine) {
        language = firstLine[1];
        body = body.slice(firstLine[0].length);
      }
      const content = body.replace(/\\([\\`])/g, '$1');
      if (content.length > 0) {
        const base = { offset: text.length, length: content.length };
        entities.push(
          fence === '`' ? { type: 'code', ...base } : { type: 'pre', ...base, ...(language ? { language } : {}) },
        );
      }
      text += content;
      i = close + fence.length;
    } else if (c === '*') {
      toggle('bold', i++);
    } else if (c === '_') {
      toggle(next === '_' ? 'underline' : 'italic', i);
      i += next === '_' ? 2 : 1;
    } else if (c === '~') {
      toggle('strikethrough', i++);
    } else if (c === '|' && next === '|') {
      toggle('spoiler', i);
      i += 2;
    } else if (c === '[' || (c === '!' && next === '[')) {
      open.push({ kind: c === '!' ? 'emoji' : 'link', offset: text.length, at: byteOffset(src, i) });
      i += c === '!' ? 2 : 1;
    } else if (c === ']' && (open.at(-1)?.kind === 'link' || open.at(-1)?.kind === 'emoji') && next === '(') {
      const close = findUnescaped(src, ')', i + 2);
      const top = open.pop();
      if (close === -1 || !top) throw entityError(`Can't find end of a URL at byte offset ${byteOffset(src, i + 1)}`);
      const url = src.slice(i + 2, close).replace(/\\([\\)])/g, '$1');
      const base = { offset: top.offset, length: text.length - top.offset };
      if (base.length > 0) {
        entities.push(
          top.kind === 'link'
            ? { type: 'text_link', ...base, url }
            : { type: 'custom_emoji', ...base, custom_emoji_id: /[?&]id=(\d+)/.exec(url)?.[1] ?? '' },
        );
      }
      i = close + 1;
    } else if (c === '>' && (i === 0 || src[i - 1] === '\n')) {
      quoteStart ??= text.length;
      i++;
    } else if (MD2_RESERVED.includes(c)) {
      throw entityError(`Character '${c}' is reserved and must be escaped with the preceding '\\'`);
    } else {
      // A quote ends with the last line that starts with '>'.
      if (c === '\n' && quoteStart !== undefined && next !== '>') {
        if (text.length > quoteStart)
          entities.push({ type: 'blockquote', offset: quoteStart, length: text.length - quoteStart });
        quoteStart = undefined;
      }
      text += c;
      i++;
    }
  }
  if (quoteStart !== undefined && text.length > quoteStart) {
    entities.push({ type: 'blockquote', offset: quoteStart, length: text.length - quoteStart });
  }
  const unclosed = open.at(-1);
  if (unclosed) throw entityError(`Can't find end of ${MD2_NAMES[unclosed.kind]} entity at byte offset ${unclosed.at}`);
  return { text, entities: entities.sort(byOffset) };
}

/** Index of `needle` at or after `from`, skipping backslash-escaped characters. */
function findUnescaped(src: string, needle: string, from: number): number {
  for (let i = from; i < src.length; i++) {
    if (src[i] === '\\') i++;
    else if (src.startsWith(needle, i)) return i;
  }
  return -1;
}

/** Legacy Markdown: *bold*, _italic_, `code`, ```pre```, [text](url); no nesting. */
function parseMarkdown(src: string): Formatted {
  let text = '';
  const entities: MessageEntity[] = [];
  let i = 0;
  const unclosed = (at: number) =>
    entityError(`Can't find end of the entity starting at byte offset ${byteOffset(src, at)}`);
  while (i < src.length) {
    const c = src[i] ?? '';
    const fence = src.startsWith('```', i) ? '```' : c;
    if (c === '\\' && '_*`['.includes(src[i + 1] ?? ' ')) {
      text += src[i + 1];
      i += 2;
    } else if (c === '*' || c === '_' || c === '`') {
      const close = src.indexOf(fence, i + fence.length);
      if (close === -1) throw unclosed(i);
      const body = src.slice(i + fence.length, close);
      const type = fence === '```' ? 'pre' : c === '*' ? 'bold' : c === '_' ? 'italic' : 'code';
      if (body.length > 0) entities.push({ type, offset: text.length, length: body.length });
      text += body;
      i = close + fence.length;
    } else if (c === '[') {
      const close = src.indexOf(']', i + 1);
      if (close === -1) throw unclosed(i);
      const label = src.slice(i + 1, close);
      const urlEnd = src[close + 1] === '(' ? src.indexOf(')', close + 2) : -1;
      if (urlEnd !== -1 && label.length > 0) {
        entities.push({
          type: 'text_link',
          offset: text.length,
          length: label.length,
          url: src.slice(close + 2, urlEnd),
        });
      }
      text += label;
      i = urlEnd === -1 ? close + 1 : urlEnd + 1;
    } else {
      text += c;
      i++;
    }
  }
  return { text, entities };
}
