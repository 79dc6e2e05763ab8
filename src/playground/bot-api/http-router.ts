/**
 * The stand-in's HTTP side: listens, routes `/bot<token>/<method>` to the Bot API methods and
 * `/file/bot<token>/<path>` to file downloads (both through fault injection), hands anything
 * else to the playground's page, and records every call and download.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ApiError, faultError, sendError, sendJson } from './api-error.ts';
import type { Faults } from './faults.ts';
import type { FileStore } from './file-store.ts';
import type { MethodTable } from './methods/index.ts';
import { parseParams, readBody } from './params.ts';
import type { RecordedCall } from './types.ts';

/** Serves requests that are neither Bot API calls nor file downloads (the playground's page). */
export type OtherRequestHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface Download {
  filePath: string;
  at: number;
  status: number;
}

export interface RouterParts {
  token: string;
  methods: MethodTable;
  files: FileStore;
  faults: Faults;
  /** Told after every call and download (they may have changed a chat). */
  changed: () => void;
}

export class HttpRouter {
  readonly calls: RecordedCall[] = [];
  readonly downloads: Download[] = [];
  otherRequests: OtherRequestHandler | undefined;
  /** TCP connections clients have opened (keep-alive ones carry many calls). */
  connectionsOpened = 0;
  private readonly server: Server;

  constructor(private readonly parts: RouterParts) {
    this.server = createServer((req, res) => {
      void this.onRequest(req, res);
    });
    this.server.on('connection', () => {
      this.connectionsOpened++;
    });
  }

  /** Starts listening; resolves with the API root to give grammY. */
  async listen(host: string, port: number): Promise<string> {
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
    return `http://${urlHost}:${address.port}`;
  }

  /** Stops listening and closes keep-alive sockets. */
  close(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://stand-in');
      const file = /^\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname);
      if (file) return await this.serveFile(decodeURIComponent(file[1] ?? ''), decodeURIComponent(file[2] ?? ''), res);
      const api = /^\/bot([^/]+)\/([A-Za-z0-9_]+)$/.exec(url.pathname);
      if (!api && this.otherRequests) return await this.otherRequests(req, res);
      if (!api) return sendJson(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
      await this.serveCall(api[1] ?? '', api[2] ?? '', url, req, res);
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

  /** A Bot API call; `encodedToken` is still URL-encoded (decoding may throw, after the call is recorded). */
  private async serveCall(
    encodedToken: string,
    methodName: string,
    url: URL,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const { params, uploads } = parseParams(req.headers['content-type'] ?? '', await readBody(req), url.searchParams);
    const route = this.parts.methods.get(methodName.toLowerCase());
    const call: RecordedCall = { method: route?.name ?? methodName, params, at: Date.now() };
    this.calls.push(call);
    try {
      if (decodeURIComponent(encodedToken) !== this.parts.token) throw new ApiError(401, 'Unauthorized');
      if (!route) throw new ApiError(404, 'Not Found');
      const fault = this.parts.faults.take(route.name.toLowerCase());
      if (fault) call.injected = fault.kind;
      if (fault?.kind === 'drop') return void req.socket.destroy();
      if (fault?.kind === 'delay') await this.parts.faults.sleep(fault.ms);
      if (fault?.kind === 'status') throw faultError(fault);
      const aborted = new AbortController();
      res.on('close', () => {
        if (!res.writableFinished) aborted.abort();
      });
      const result = await route.handler(params, { uploads, signal: aborted.signal });
      if (fault?.kind === 'lose-response') return void req.socket.destroy();
      if (fault?.kind === 'chunked') return await sendChunked(res, { ok: true, result });
      sendJson(res, 200, { ok: true, result });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      call.error = error.description;
      sendError(res, error);
    } finally {
      this.parts.changed();
    }
  }

  private async serveFile(token: string, filePath: string, res: ServerResponse): Promise<void> {
    const { faults } = this.parts;
    const file = token === this.parts.token ? this.parts.files.atPath(filePath) : undefined;
    const fault = faults.take('file');
    if (fault?.kind === 'drop') return void res.socket?.destroy();
    if (fault?.kind === 'delay') await faults.sleep(fault.ms);
    const failure = fault?.kind === 'status' ? faultError(fault) : undefined;
    const status = failure?.code ?? (file && !file.deleted ? 200 : 404);
    this.downloads.push({ filePath, at: Date.now(), status });
    if (failure) sendError(res, failure);
    else if (!file || file.deleted) sendError(res, new ApiError(404, 'Not Found'));
    else {
      res.writeHead(200, { 'content-type': file.mimeType, 'content-length': file.bytes.byteLength });
      res.end(file.bytes);
    }
    this.parts.changed();
  }
}

/** A 200 answer without a content-length, so sent chunked: its halves on separate turns, as separate chunks. */
async function sendChunked(res: ServerResponse, body: unknown): Promise<void> {
  const data = Buffer.from(JSON.stringify(body));
  const half = Math.floor(data.length / 2);
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write(data.subarray(0, half));
  await new Promise((resolve) => setImmediate(resolve));
  res.end(data.subarray(half));
}
