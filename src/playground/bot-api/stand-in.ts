/**
 * A Telegram Bot API stand-in: an HTTP server that answers like api.telegram.org
 * closely enough for grammY, while a test (or the playground's web page) plays the
 * human (sends photos, presses buttons) and watches what the bot does. It keeps
 * Telegram's awkward habits on purpose (unconfirmed updates come back, "message is
 * not modified", 20 MB download cap, entity parse errors, privacy mode in groups),
 * because those are what our code must survive.
 *
 * `BotApiStandIn` is the one public class, a facade over one file per concern:
 * `person.ts` (the person's side), `http-router.ts` (HTTP, call log), `methods/` (the
 * Bot API methods), `chat-store.ts`, `file-store.ts`, `update-queue.ts` (updates and
 * long polling), `webhook-delivery.ts` (updates POSTed to a webhook), `faults.ts` (fault
 * injection) and `bot-profile.ts` (getMe, commands).
 *
 * Shared by the tests and `src/playground/`: it must depend on nothing but Node,
 * grammY's types and sharp (which makes a photo's sizes, as Telegram does).
 */
import { BotProfile } from './bot-profile.ts';
import { type CallbackAnswer, ChatStore } from './chat-store.ts';
import { Faults } from './faults.ts';
import { FileStore } from './file-store.ts';
import { type Download, HttpRouter, type OtherRequestHandler } from './http-router.ts';
import { publicFile } from './media.ts';
import { botApiMethods } from './methods/index.ts';
import { parseParams, type Upload } from './params.ts';
import { PersonActions } from './person.ts';
import type { StandInState } from './state.ts';
import type {
  AddFileOptions,
  BotCommand,
  CallbackQuery,
  ChatAction,
  ChatMessage,
  FaultRule,
  Message,
  PressButtonInput,
  RecordedCall,
  SendAlbumInput,
  SendDocumentInput,
  SendPhotoInput,
  SendTextInput,
  SendVideoInput,
  StandInOptions,
  StoredFile,
  Update,
  User,
  UserChat,
  UserFromGetMe,
} from './types.ts';
import { UpdateQueue } from './update-queue.ts';
import { WebhookDelivery, type WebhookDeliveryRecord, type WebhookInfo } from './webhook-delivery.ts';

export { groupChat, privateChat, user } from './person.ts';
export { type CallbackAnswer, type OtherRequestHandler, parseParams, type Upload, type WebhookDeliveryRecord };

export class BotApiStandIn {
  /** Every request to a Bot API method, in arrival order (failed and injected ones too). */
  readonly calls: RecordedCall[];
  /** Every file download (`GET /file/bot<token>/<path>`), in order. */
  readonly downloads: Download[];
  /** Every update ever queued for the bot (pushed ones too), in order. */
  readonly updates: Update[];
  /** Every POST of an update to the bot's webhook (re-sent ones too), in order, with the status it got. */
  readonly webhookDeliveries: WebhookDeliveryRecord[];
  /** What getMe returns. */
  readonly me: UserFromGetMe;
  readonly token: string;
  /** Pass to grammY as `client.apiRoot`. */
  apiRoot = '';

  private readonly state: StandInState;
  private readonly faults = new Faults();
  private readonly person: PersonActions;
  private readonly router: HttpRouter;
  private readonly listeners = new Set<() => void>();
  private closed = false;

  static async start(options: StandInOptions): Promise<BotApiStandIn> {
    const standIn = new BotApiStandIn(options);
    standIn.apiRoot = await standIn.router.listen(options.host ?? '127.0.0.1', options.port ?? 0);
    return standIn;
  }

  private constructor(options: StandInOptions) {
    this.token = options.token;
    const profile = new BotProfile(options);
    this.me = profile.me;
    const updates = new UpdateQueue();
    this.updates = updates.log;
    const changed = () => {
      for (const listener of [...this.listeners]) listener();
    };
    const webhook = new WebhookDelivery(updates, changed);
    this.webhookDeliveries = webhook.log;
    this.state = {
      profile,
      chats: new ChatStore(),
      files: new FileStore(),
      updates,
      webhook,
      maxPollSeconds: options.maxPollSeconds ?? 50,
    };
    this.person = new PersonActions(this.state, changed);
    const { files } = this.state;
    this.router = new HttpRouter({
      token: this.token,
      methods: botApiMethods(this.state),
      files,
      faults: this.faults,
      changed,
    });
    this.calls = this.router.calls;
    this.downloads = this.router.downloads;
  }

  // ---------------------------------------------------------------------------
  // The person's side: what a test does to play the human.

  /** Store a file on "Telegram's servers" and get its identifiers. */
  addFile(bytes: Uint8Array, opts: AddFileOptions = {}): StoredFile {
    return publicFile(this.state.files.create(bytes, opts));
  }

  /** Make a file id expire: getFile then fails with `invalid file_id` (other sizes of the same photo too). */
  deleteFile(fileId: string): void {
    this.state.files.expire(fileId);
  }

  /** From now on, sending to this chat fails with 403 "bot was blocked by the user". */
  blockBot(chatId: number): void {
    this.state.chats.block(chatId);
  }

  /** TCP connections the bot (and the worker) have opened to this server so far. */
  get connectionsOpened(): number {
    return this.router.connectionsOpened;
  }

  sendText(input: SendTextInput): Message {
    return this.person.sendText(input);
  }

  /** A photo message; resolves once its sizes are made (Telegram's 90–1280 px JPEGs) and the bot can hear of it. */
  sendPhoto(input: SendPhotoInput): Promise<Message> {
    return this.person.sendPhoto(input);
  }

  sendDocument(input: SendDocumentInput): Message {
    return this.person.sendDocument(input);
  }

  /** A video message (`message.video`); a video sent as a file is `sendDocument` with a video MIME type. */
  sendVideo(input: SendVideoInput): Message {
    return this.person.sendVideo(input);
  }

  /** A GIF as Telegram turns it into: an MP4 `message.animation` (and, as Telegram does, `message.document`). */
  sendAnimation(input: SendVideoInput): Message {
    return this.person.sendAnimation(input);
  }

  /** A round video note (`message.video_note`): square, `width` its side (default 240), no caption. */
  sendVideoNote(input: Omit<SendVideoInput, 'caption' | 'fileName' | 'height'>): Message {
    return this.person.sendVideoNote(input);
  }

  sendSticker(input: { chat: UserChat; from: User }): Message {
    return this.person.sendSticker(input);
  }

  /** Several photo messages sharing one media_group_id, delivered as separate updates like Telegram does. */
  sendAlbum(input: SendAlbumInput): Promise<Message[]> {
    return this.person.sendAlbum(input);
  }

  /** Press an inline button of a bot message; throws if the message has no button with that callback_data. */
  pressButton(input: PressButtonInput): CallbackQuery {
    return this.person.pressButton(input);
  }

  /** Enqueue a raw update as-is (even an update_id delivered before: Telegram re-delivers unconfirmed updates). */
  pushUpdate(update: Update): Update {
    return this.person.pushUpdate(update);
  }

  /**
   * Delivers an update already queued once more to the webhook, `copies` times at once (as Telegram re-sends an
   * update whose answer it did not get, maybe to another replica while the first still handles it). Resolves when
   * every copy was accepted (2xx); each is re-sent until then, like any delivery.
   */
  redeliver(updateId: number, copies = 1): Promise<void> {
    const update = this.updates.findLast((u) => u.update_id === updateId);
    if (!update) throw new Error(`redeliver: no update ${updateId} was queued`);
    if (!this.state.webhook.active) throw new Error('redeliver: no webhook is set');
    return this.state.webhook.redeliver(update, copies);
  }

  // ---------------------------------------------------------------------------
  // Observing what the bot did.

  /** What getWebhookInfo answers now. */
  webhookInfo(): WebhookInfo {
    return this.state.webhook.info();
  }

  /** The chat's live (not deleted) messages, user's and bot's, by message_id. */
  messagesIn(chatId: number): ChatMessage[] {
    return this.state.chats.messagesIn(chatId);
  }

  botMessagesIn(chatId: number): ChatMessage[] {
    return this.messagesIn(chatId).filter((m) => m.from?.id === this.me.id);
  }

  /** The bot's chat actions ("typing…") in the chat, oldest first. */
  chatActionsIn(chatId: number): ChatAction[] {
    return this.state.chats.actionsIn(chatId);
  }

  isDeleted(chatId: number, messageId: number): boolean {
    return this.state.chats.isDeleted(chatId, messageId);
  }

  /** The bytes and type of a stored file (any size of a photo), unless it is unknown or deleted. */
  fileContent(fileId: string): { bytes: Uint8Array; mimeType: string; fileName: string } | undefined {
    return this.state.files.content(fileId);
  }

  /** What the bot answered to a button press (the toast's text), once it answered; undefined before. */
  callbackAnswer(queryId: string): CallbackAnswer | undefined {
    return this.state.chats.callbackAnswer(queryId);
  }

  /** The command menu the bot set for everyone (default scope), optionally for one language. */
  commandMenu(languageCode = ''): BotCommand[] {
    return this.state.profile.commandMenu(languageCode);
  }

  /**
   * Calls `listener` after every API call, download and user action (they may have changed a chat).
   * Returns the function that unsubscribes it.
   */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---------------------------------------------------------------------------
  // Running the server.

  /** Hands every request that is not for the Bot API or a file download to `handler` (default: 404). */
  serveOtherRequests(handler: OtherRequestHandler | undefined): void {
    this.router.otherRequests = handler;
  }

  /** Queue a fault for the next `times` requests to `method` (`'*'` = any method, `'file'` = downloads). */
  injectFault(rule: FaultRule): void {
    this.faults.inject(rule);
  }

  /** Forgets the faults not used up yet: an outage injected with a large `times` ends here. */
  clearFaults(): void {
    this.faults.clear();
  }

  /** Stop listening: pending long polls get `[]`, delayed answers go out at once, keep-alive sockets close. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.state.updates.close();
    this.state.webhook.close();
    this.faults.wakeAll();
    // Let the answers above reach their sockets before the sockets are closed.
    await new Promise<void>((resolve) => setImmediate(resolve));
    await this.router.close();
  }
}
