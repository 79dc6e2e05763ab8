/**
 * The playground's web side, served by the Bot API stand-in on its own port: a chat page (static files from
 * `src/playground/web/`) and a small JSON + Server-Sent Events API through which one person, in one private chat,
 * plays the human the tests play: sends photos, albums, videos, GIFs, texts and button presses, and watches the bot's
 * messages appear and change.
 *
 * The page never gets HTML from here: texts travel with Telegram's entity list and the page builds the DOM itself.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { type BotApiStandIn, parseParams, privateChat, type Upload, user } from './bot-api/stand-in.ts';
import type { ChatMessage, MessageEntity, User } from './bot-api/types.ts';
import { eventText, HttpProblem, readBody, readJson, sendJson, writeEvent } from './web-http.ts';
import { type ChatVideo, clipFacts, gifAsMp4, mediaWord, uploadKind, videoOf } from './web-media.ts';

/** The Bot API lets bots download files up to 20 MB; the page refuses bigger ones, and so does the server (413). */
export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;
/** Telegram albums hold at most 10 items. */
export const MAX_ALBUM = 10;
/** The playground's one person (a private chat has the person's id). */
export const PLAYGROUND_PERSON: User = user(100_000_001, { firstName: 'Guest', languageCode: 'en' });

const MAX_TEXT = 4096;
const HEARTBEAT_MS = 15_000;
const MAX_UNANSWERED = 100;
const STATIC_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};
const PAGE_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  // blob: the page reads a clip's size and length from the chosen file before sending it.
  "img-src 'self' blob:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Where the page's files are: beside this module in `src/`, or in `src/playground/web` when running from `dist/`. */
export function findWebDir(): string {
  const candidates = [
    path.join(import.meta.dirname, 'web'),
    path.resolve(import.meta.dirname, '..', '..', 'src', 'playground', 'web'),
  ];
  const found = candidates.find((dir) => existsSync(path.join(dir, 'index.html')));
  if (!found) throw new Error(`playground: the web page is missing (looked in ${candidates.join(', ')})`);
  return found;
}

/** One message as the page shows it. */
export interface ChatItem {
  id: number;
  from: 'person' | 'bot';
  /** Text or caption, plain, with Telegram's entities (UTF-16 offsets, like JavaScript strings). */
  text: string;
  entities: MessageEntity[];
  photo?: { url: string; width: number; height: number; name: string };
  video?: ChatVideo;
  document?: { name: string; mimeType: string; size: number; url?: string };
  replyTo?: { id: number; from: 'person' | 'bot'; text: string; photoUrl?: string };
  keyboard?: Array<Array<{ text: string; data?: string; url?: string }>>;
  albumId?: string;
  edited: boolean;
  /** Unix time, seconds. */
  date: number;
}

interface WebOptions {
  webDir?: string;
  person?: User;
  maxUploadBytes?: number;
  /** Converts GIFs into MP4 animations, as Telegram does (FFMPEG_PATH); default `ffmpeg` on PATH. */
  ffmpegPath?: string;
}

interface EventClient {
  res: ServerResponse;
  heartbeat: NodeJS.Timeout;
}

export class PlaygroundWeb {
  readonly person: User;
  readonly chat: ReturnType<typeof privateChat>;
  private readonly clients = new Set<EventClient>();
  /** What every connected page was last told, by message id (JSON of its ChatItem). */
  private shown = new Map<number, string>();
  private flushScheduled = false;
  /** The page's button presses the bot has not answered yet (callback query ids, oldest first). */
  private readonly unanswered = new Set<string>();
  /** How many of the bot's chat actions the pages were told of. */
  private actionsTold = 0;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly standIn: BotApiStandIn,
    private readonly options: WebOptions = {},
  ) {
    this.person = options.person ?? PLAYGROUND_PERSON;
    this.chat = privateChat(this.person);
    this.unsubscribe = standIn.onChange(() => this.scheduleFlush());
  }

  /** Serves the page and its API from the stand-in's own port. */
  static attach(standIn: BotApiStandIn, options: WebOptions = {}): PlaygroundWeb {
    const web = new PlaygroundWeb(standIn, { ...options, webDir: options.webDir ?? findWebDir() });
    standIn.serveOtherRequests((req, res) => web.handle(req, res));
    return web;
  }

  /** Ends the event streams (the stand-in closes the sockets when it closes). */
  close(): void {
    this.unsubscribe();
    this.standIn.serveOtherRequests(undefined);
    for (const client of this.clients) {
      clearInterval(client.heartbeat);
      client.res.end();
    }
    this.clients.clear();
  }

  /** The chat as the page shows it. */
  items(): ChatItem[] {
    return this.standIn.messagesIn(this.chat.id).map((m) => this.toItem(m));
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://playground');
      const route = `${req.method ?? 'GET'} ${url.pathname}`;
      if (req.method === 'POST') this.checkOrigin(req);
      if (route === 'GET /' || route === 'GET /index.html') return await this.serveStatic('index.html', res);
      const asset = /^GET \/playground\/static\/([A-Za-z0-9_-]+\.(?:css|js|svg))$/.exec(route);
      if (asset) return await this.serveStatic(asset[1] ?? '', res);
      if (route === 'GET /playground/info') return sendJson(res, 200, this.info());
      if (route === 'GET /playground/events') return this.openEvents(req, res);
      const file = /^GET \/playground\/files\/([A-Za-z0-9_-]+)$/.exec(route);
      if (file) return this.serveFile(file[1] ?? '', res);
      if (route === 'POST /playground/photos') return sendJson(res, 200, await this.postPhotos(req));
      if (route === 'POST /playground/text') return sendJson(res, 200, await this.postText(req));
      if (route === 'POST /playground/button') return sendJson(res, 200, await this.postButton(req));
      throw new HttpProblem(404, 'Not found');
    } catch (error) {
      if (error instanceof HttpProblem) return sendJson(res, error.status, { error: error.message });
      console.error('playground:', error);
      sendJson(res, 500, { error: 'Something went wrong in the playground (see its console).' });
    }
  }

  // ---------------------------------------------------------------------------
  // Reading: the page, its files, the chat.

  private async serveStatic(name: string, res: ServerResponse): Promise<void> {
    const type = STATIC_TYPES[path.extname(name)];
    if (!type) throw new HttpProblem(404, 'Not found');
    // Read on every request (they are small): edit the page, reload the browser.
    let body: Buffer;
    try {
      body = await readFile(path.join(this.options.webDir ?? findWebDir(), name));
    } catch {
      throw new HttpProblem(404, 'Not found');
    }
    res.writeHead(200, {
      'content-type': type,
      'content-length': body.byteLength,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      ...(name.endsWith('.html') ? { 'content-security-policy': PAGE_POLICY, 'referrer-policy': 'no-referrer' } : {}),
    });
    res.end(body);
  }

  private serveFile(fileId: string, res: ServerResponse): void {
    const file = this.standIn.fileContent(fileId);
    // Only images and videos are shown inline; nothing else the person sent is served back.
    const shown = file?.mimeType.startsWith('image/') || file?.mimeType.startsWith('video/');
    if (!file || !shown || file.mimeType.includes('svg')) {
      throw new HttpProblem(404, 'Not found');
    }
    res.writeHead(200, {
      'content-type': file.mimeType,
      'content-length': file.bytes.byteLength,
      'cache-control': 'private, max-age=3600, immutable',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'",
    });
    res.end(file.bytes);
  }

  private info() {
    const me = this.standIn.me;
    return {
      bot: { name: me.first_name, username: me.username },
      person: { name: this.person.first_name },
      commands: [{ command: 'start', description: 'Say hello' }, ...this.standIn.commandMenu()],
      maxUploadBytes: this.maxUploadBytes,
      maxAlbum: MAX_ALBUM,
    };
  }

  private get maxUploadBytes(): number {
    return this.options.maxUploadBytes ?? MAX_UPLOAD_BYTES;
  }

  private openEvents(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    // Bring the pages already open up to date, then give the new one the whole chat.
    this.flush();
    const client: EventClient = {
      res,
      heartbeat: setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS),
    };
    client.heartbeat.unref();
    this.clients.add(client);
    res.write('retry: 1000\n\n');
    writeEvent(
      res,
      'reset',
      [...this.shown.values()].map((json) => JSON.parse(json) as unknown),
    );
    req.on('close', () => {
      clearInterval(client.heartbeat);
      this.clients.delete(client);
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.clients.size === 0) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Sends every page the messages that appeared or changed since the last flush, and the ones deleted. */
  private flush(): void {
    const now = new Map(this.items().map((item) => [item.id, JSON.stringify(item)]));
    const events: string[] = [];
    for (const [id, json] of now) if (this.shown.get(id) !== json) events.push(eventText('message', json));
    for (const id of this.shown.keys()) if (!now.has(id)) events.push(eventText('remove', JSON.stringify({ id })));
    this.shown = now;
    events.push(...this.toastEvents(), ...this.typingEvents());
    if (events.length === 0) return;
    const payload = events.join('');
    for (const client of this.clients) client.res.write(payload);
  }

  /** `answerCallbackQuery`'s text, as Telegram shows it: a toast (or an alert) on the page that pressed. */
  private toastEvents(): string[] {
    const events: string[] = [];
    for (const id of this.unanswered) {
      const answer = this.standIn.callbackAnswer(id);
      if (!answer) continue;
      this.unanswered.delete(id);
      if (answer.text) events.push(eventText('toast', JSON.stringify({ text: answer.text, alert: answer.showAlert })));
    }
    return events;
  }

  /** The bot's newest chat action: the page shows "typing…" under its name, as Telegram does (≈5 s, or until it speaks). */
  private typingEvents(): string[] {
    const actions = this.standIn.chatActionsIn(this.chat.id);
    const newest = actions.at(-1);
    if (newest === undefined || actions.length === this.actionsTold) return [];
    this.actionsTold = actions.length;
    return [eventText('typing', JSON.stringify({ action: newest.action }))];
  }

  private toItem(m: ChatMessage): ChatItem {
    const fromBot = m.from?.id === this.standIn.me.id;
    const item: ChatItem = {
      id: m.message_id,
      from: fromBot ? 'bot' : 'person',
      text: m.text ?? m.caption ?? '',
      entities: m.entities ?? m.caption_entities ?? [],
      // As Telegram's apps: "edited" once the text or caption changed, not when only the buttons did (edit_hide).
      edited: m.editHistory.length > 0,
      date: m.date,
    };
    const largest = m.photo?.at(-1);
    if (largest) {
      item.photo = {
        url: fileUrl(largest.file_id),
        width: largest.width,
        height: largest.height,
        name: this.standIn.fileContent(largest.file_id)?.fileName ?? 'photo',
      };
    }
    const video = videoOf(m, fileUrl);
    if (video) item.video = video;
    // An animation carries its file as `document` too (as Telegram sends it): shown once, as the animation.
    if (m.document && !m.animation) {
      const mimeType = m.document.mime_type ?? 'application/octet-stream';
      item.document = {
        name: m.document.file_name ?? 'file',
        mimeType,
        size: m.document.file_size ?? 0,
        ...(mimeType.startsWith('image/') && !mimeType.includes('svg') ? { url: fileUrl(m.document.file_id) } : {}),
      };
    }
    const replied = m.reply_to_message;
    if (replied) {
      const photo = replied.photo?.[0];
      item.replyTo = {
        id: replied.message_id,
        from: replied.from?.id === this.standIn.me.id ? 'bot' : 'person',
        text: replied.text ?? replied.caption ?? mediaWord(replied),
        ...(photo ? { photoUrl: fileUrl(photo.file_id) } : {}),
      };
    }
    const rows = m.reply_markup?.inline_keyboard;
    if (rows?.length) {
      item.keyboard = rows.map((row) =>
        row.map((b) => ({
          text: b.text,
          ...('callback_data' in b && b.callback_data !== undefined ? { data: b.callback_data } : {}),
          ...('url' in b && b.url !== undefined ? { url: b.url } : {}),
        })),
      );
    }
    if (m.media_group_id !== undefined) item.albumId = m.media_group_id;
    return item;
  }

  // ---------------------------------------------------------------------------
  // Writing: what the person does.

  /**
   * Browsers send Origin on cross-site POSTs: a page elsewhere must not drive this chat. The Origin must name this
   * server itself (compared with Host it would let a request naming a foreign site in both through): the address it
   * listens on, the loopback names, or the address the connection came in on (a LAN address when it listens on all).
   */
  private checkOrigin(req: IncomingMessage): void {
    const origin = req.headers.origin;
    if (origin === undefined || origin === 'null') return;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new HttpProblem(403, 'Bad origin');
    }
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    const own = url.protocol === 'http:' && port === req.socket.localPort && this.ownHostNames(req).has(url.hostname);
    if (!own) throw new HttpProblem(403, 'Cross-origin requests are not allowed');
  }

  /** Host names as URL writes them (IPv6 in brackets). */
  private ownHostNames(req: IncomingMessage): Set<string> {
    const bracketed = (address: string) => (address.includes(':') ? `[${address}]` : address);
    const connectedTo = (req.socket.localAddress ?? '').replace(/^::ffff:/, '');
    const names = [new URL(this.standIn.apiRoot).hostname, 'localhost', '127.0.0.1', '[::1]'];
    if (connectedTo !== '') names.push(bracketed(connectedTo));
    return new Set(names);
  }

  /**
   * Multipart form with fields file0…file9: one photo is a message of its own, several an album; a video (with what
   * the page read of it in metaN) and a GIF are messages of their own. With the field `asFile` set, every file goes as
   * a document, as Telegram's "send without compression" does.
   */
  private async postPhotos(req: IncomingMessage): Promise<{ messageIds: number[] }> {
    const contentType = req.headers['content-type'] ?? '';
    if (!/^multipart\/form-data/i.test(contentType))
      throw new HttpProblem(415, 'Send the files as multipart/form-data');
    const limit = MAX_ALBUM * this.maxUploadBytes + 64 * 1024;
    const body = await readBody(req, limit, `At most ${MAX_ALBUM} files of ${megabytes(this.maxUploadBytes)} each`);
    let uploads: Map<string, Upload>;
    let fields: Record<string, string>;
    try {
      const parsed = parseParams(contentType, body, new URLSearchParams());
      uploads = parsed.uploads;
      fields = Object.fromEntries(Object.entries(parsed.params).map(([k, v]) => [k, String(v)]));
    } catch {
      throw new HttpProblem(400, 'Could not read the upload');
    }
    const files = [...uploads.entries()]
      .filter(([field, upload]) => /^file\d+$/.test(field) && upload.bytes.byteLength > 0)
      .sort(([a], [b]) => Number(a.slice(4)) - Number(b.slice(4)))
      .map(([field, upload]) => ({ ...upload, meta: fields[`meta${field.slice(4)}`] }));
    if (files.length === 0) throw new HttpProblem(400, 'No file in the upload (fields file0, file1, …)');
    if (files.length > MAX_ALBUM) throw new HttpProblem(400, `At most ${MAX_ALBUM} files at once, as in Telegram`);
    const tooBig = files.find((f) => f.bytes.byteLength > this.maxUploadBytes);
    if (tooBig) {
      throw new HttpProblem(413, `${tooBig.fileName} is over ${megabytes(this.maxUploadBytes)}, the Bot API's limit`);
    }
    const { chat, person: from } = this;
    const kind = (f: Upload) => uploadKind(f.mimeType, fields.asFile === '1');
    const photos = files.filter((f) => kind(f) === 'photo');
    const documents = files.filter((f) => kind(f) === 'document');
    const ids: number[] = [];
    if (photos.length === 1 && photos[0]) {
      ids.push((await this.standIn.sendPhoto({ chat, from, file: this.store(photos[0]) })).message_id);
    } else if (photos.length > 1) {
      const album = await this.standIn.sendAlbum({ chat, from, files: photos.map((f) => this.store(f)) });
      ids.push(...album.map((m) => m.message_id));
    }
    for (const doc of documents) {
      const mimeType = doc.mimeType || 'application/octet-stream';
      const fileName = cleanFileName(doc.fileName);
      ids.push(this.standIn.sendDocument({ chat, from, file: doc.bytes, mimeType, fileName }).message_id);
    }
    for (const clip of files.filter((f) => kind(f) === 'video' || kind(f) === 'animation')) {
      ids.push((await this.sendClip(clip, kind(clip) === 'animation')).message_id);
    }
    return { messageIds: ids };
  }

  /** A video message, or a GIF as the MP4 animation Telegram makes of it (the GIF itself where ffmpeg cannot). */
  private async sendClip(clip: Upload & { meta: string | undefined }, isGif: boolean) {
    const { chat, person: from } = this;
    const facts = clipFacts(clip.meta);
    const fileName = cleanFileName(clip.fileName);
    if (!isGif) {
      const file = clip.bytes;
      return this.standIn.sendVideo({ chat, from, file, mimeType: clip.mimeType.toLowerCase(), fileName, ...facts });
    }
    const mp4 = await gifAsMp4(clip.bytes, this.options.ffmpegPath ?? 'ffmpeg');
    const as = mp4 ? { mimeType: 'video/mp4', fileName: `${fileName}.mp4` } : { mimeType: 'image/gif', fileName };
    return this.standIn.sendAnimation({ chat, from, file: mp4 ?? clip.bytes, ...as, ...facts });
  }

  /** Stores the upload with its real name and type (so the page can name it and show it). */
  private store(upload: Upload) {
    return this.standIn.addFile(upload.bytes, {
      mimeType: upload.mimeType.toLowerCase(),
      fileName: cleanFileName(upload.fileName),
    });
  }

  private async postText(req: IncomingMessage): Promise<{ messageId: number }> {
    const body = await readJson(req);
    const text = typeof body.text === 'string' ? body.text.trim() : '';
    if (text === '') throw new HttpProblem(400, 'The message is empty');
    if (text.length > MAX_TEXT) throw new HttpProblem(400, `A message holds at most ${MAX_TEXT} characters`);
    return { messageId: this.standIn.sendText({ chat: this.chat, from: this.person, text }).message_id };
  }

  private async postButton(req: IncomingMessage): Promise<{ ok: true }> {
    const body = await readJson(req);
    const { messageId, data } = body;
    if (typeof messageId !== 'number' || typeof data !== 'string') {
      throw new HttpProblem(400, 'Expected {"messageId": number, "data": string}');
    }
    let queryId: string;
    try {
      queryId = this.standIn.pressButton({ chat: this.chat, from: this.person, messageId, data }).id;
    } catch {
      throw new HttpProblem(409, 'That button is gone (the message changed)');
    }
    // A bot that never answers must not make the set grow for ever (Telegram gives up after a while too).
    this.unanswered.add(queryId);
    const oldest = this.unanswered.values().next().value;
    if (this.unanswered.size > MAX_UNANSWERED && oldest !== undefined) this.unanswered.delete(oldest);
    return { ok: true };
  }
}

// -----------------------------------------------------------------------------

const fileUrl = (fileId: string) => `/playground/files/${encodeURIComponent(fileId)}`;
const megabytes = (bytes: number) => `${Math.round(bytes / (1024 * 1024))} MB`;

/** A file name fit to show and store: no folders, no control characters, not too long. */
function cleanFileName(name: string): string {
  const base =
    name
      .split(/[\\/]/)
      .pop()
      ?.replace(/[\p{Cc}\p{Cf}]/gu, '')
      .trim() ?? '';
  return (base || 'file').slice(0, 120);
}
