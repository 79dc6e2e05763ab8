/** Fetching a batch photo's bytes from where its job says it is, with the same size limit as chat photos. */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Api } from 'grammy';
import type { BatchSource } from '../queue/index.ts';
import { downloadTelegramFile, FileDownloadError, MAX_DOWNLOAD_BYTES, readBodyLimited } from '../telegram/index.ts';

export interface SourceAccess {
  /** Needed for `telegram` sources (reprocessing chat photos). */
  telegram?: { api: Api; token: string; apiRoot: string };
  maxBytes?: number;
}

/**
 * Regular files only, at most `maxBytes`. Opened non-blocking so that a FIFO without a writer cannot hang the open;
 * read through the bounded body reader because a file may grow after its size was checked.
 */
async function readLimited(path: string, maxBytes: number): Promise<Buffer> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK).catch((error: NodeJS.ErrnoException) => {
    throw new FileDownloadError('unavailable', error.code === 'ENOENT' ? 'no such file' : `cannot open: ${error.code}`);
  });
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new FileDownloadError('unavailable', 'not a regular file');
    if (info.size > maxBytes) throw new FileDownloadError('too-big', `file has ${info.size} bytes, over ${maxBytes}`);
    return await readBodyLimited(handle.createReadStream({ autoClose: false }), maxBytes);
  } finally {
    await handle.close();
  }
}

async function fetchLimited(url: string, maxBytes: number): Promise<Buffer> {
  if (!/^https?:\/\//i.test(url)) throw new FileDownloadError('unavailable', 'only http(s) URLs are fetched');
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(30_000), redirect: 'follow' });
  } catch (error) {
    throw new FileDownloadError('transient', `fetch failed: ${(error as Error).name}`);
  }
  if (response.status >= 500) throw new FileDownloadError('transient', `HTTP ${response.status}`);
  if (!response.ok || response.body === null) throw new FileDownloadError('unavailable', `HTTP ${response.status}`);
  return readBodyLimited(response.body, maxBytes);
}

export async function readBatchSource(source: BatchSource, access: SourceAccess): Promise<Buffer> {
  const maxBytes = access.maxBytes ?? MAX_DOWNLOAD_BYTES;
  switch (source.kind) {
    case 'path':
      return readLimited(source.path, maxBytes);
    case 'url':
      return fetchLimited(source.url, maxBytes);
    case 'telegram': {
      if (access.telegram === undefined) throw new FileDownloadError('unavailable', 'this worker has no BOT_TOKEN');
      return downloadTelegramFile(access.telegram.api, access.telegram, source.fileId, maxBytes);
    }
  }
}
