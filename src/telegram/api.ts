/**
 * Talking to the Telegram Bot API, for the bot and the worker alike: grammY's Api with its auto-retry plugin
 * (honours 429 `retry_after`, retries 5xx, a bounded number of times), network errors retried a few times with a
 * bounded delay and reported (reachability.ts), and file downloads that never expose the token.
 */
import { autoRetry } from '@grammyjs/auto-retry';
import { Api, GrammyError } from 'grammy';
import { botApiClientOptions, connectionPool, poolOf, rememberPool } from './connection-pool.ts';
import { DEFAULT_NETWORK_RETRY, networkRetry, type TelegramReachability } from './reachability.ts';

/** Telegram lets bots download files up to 20 MB. */
export const MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024;

export interface TelegramOptions {
  token: string;
  /** Bot API server, e.g. https://api.telegram.org (tests and the playground point elsewhere). */
  apiRoot: string;
  /** Retries of one call before giving up (the job is then retried by the queue). */
  maxRetryAttempts?: number;
  /** Longest `retry_after` we wait inside one call; longer waits fail the call and the queue retries later. */
  maxDelaySeconds?: number;
  /** Told of every network error and recovery (one per process: logs, metric, readiness). */
  reachability?: TelegramReachability;
}

export function createTelegramApi(options: TelegramOptions): Api {
  const fetch = connectionPool();
  const api = new Api(options.token, botApiClientOptions(options.apiRoot, fetch));
  rememberPool(api, fetch);
  installAutoRetry(api, options);
  return api;
}

export function installAutoRetry(
  api: Api,
  options: Pick<TelegramOptions, 'maxRetryAttempts' | 'maxDelaySeconds' | 'reachability'>,
): void {
  api.config.use(
    // Network errors are left to networkRetry: the plugin would retry them for up to an hour, silently.
    autoRetry({
      maxRetryAttempts: options.maxRetryAttempts ?? 5,
      maxDelaySeconds: options.maxDelaySeconds ?? 60,
      rethrowHttpErrors: true,
    }),
    networkRetry({
      ...DEFAULT_NETWORK_RETRY,
      ...(options.reachability ? { reachability: options.reachability } : {}),
    }),
  );
}

/** Why a file could not be fetched; the reply differs. */
export class FileDownloadError extends Error {
  override readonly name = 'FileDownloadError';
  constructor(
    readonly reason: 'too-big' | 'unavailable' | 'transient',
    message: string,
  ) {
    super(message);
  }
}

/**
 * getFile + download. The download URL holds the token, so errors here describe the file, never the URL.
 */
export async function downloadTelegramFile(
  api: Api,
  options: Pick<TelegramOptions, 'token' | 'apiRoot'>,
  fileId: string,
  maxBytes = MAX_DOWNLOAD_BYTES,
): Promise<Buffer> {
  let filePath: string | undefined;
  let fileSize: number | undefined;
  try {
    const file = await api.getFile(fileId);
    filePath = file.file_path;
    fileSize = file.file_size;
  } catch (error) {
    if (error instanceof GrammyError && error.error_code === 400) {
      const tooBig = /too big/i.test(error.description);
      throw new FileDownloadError(tooBig ? 'too-big' : 'unavailable', `getFile refused: ${error.description}`);
    }
    throw error; // network or 5xx that outlived the retries: the queue tries again
  }
  if (filePath === undefined) throw new FileDownloadError('unavailable', 'getFile returned no file_path');
  if (fileSize !== undefined && fileSize > maxBytes)
    throw new FileDownloadError('too-big', `file has ${fileSize} bytes`);
  const url = `${options.apiRoot}/file/bot${options.token}/${filePath}`;
  let response: Response;
  try {
    // Over the client's own pool: downloads count against its connections too.
    response = await poolOf(api)(url, { signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    throw new FileDownloadError('transient', `download failed: ${(error as Error).name}`);
  }
  if (response.status === 404) throw new FileDownloadError('unavailable', 'download answered 404');
  if (!response.ok || response.body === null) {
    throw new FileDownloadError('transient', `download answered HTTP ${response.status}`);
  }
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > maxBytes) throw new FileDownloadError('too-big', `download is ${declared} bytes`);
  return readBodyLimited(response.body, maxBytes);
}

/** Reads a response body, refusing (too-big) as soon as it passes `maxBytes` rather than after buffering it all. */
export async function readBodyLimited(body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (total > maxBytes) throw new FileDownloadError('too-big', `more than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * Telegram refuses an edit that changes nothing ("message is not modified"); for a job run twice, or a keyboard
 * pressed twice, the message already shows what was meant, so that refusal is success.
 */
export async function ignoreNotModified(edit: Promise<unknown>): Promise<void> {
  try {
    await edit;
  } catch (error) {
    if (error instanceof GrammyError && error.error_code === 400 && /not modified/i.test(error.description)) return;
    throw error;
  }
}
