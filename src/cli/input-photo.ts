/**
 * Reading a file the command line was given (a photo, a CSV): regular files only (a FIFO or /dev/zero would hang it
 * or grow without end), and no larger than a limit — for a photo, what the bot accepts from a chat.
 */
import { constants, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { FileDownloadError, MAX_DOWNLOAD_BYTES, readBodyLimited } from '../telegram/index.ts';

/** A file refused before or while reading it; its message is the reason, said about the file. */
export class InputFileError extends Error {
  override readonly name = 'InputFileError';
}

const OPEN_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'not allowed to read it',
};

function kindOf(info: Stats): string {
  if (info.isDirectory()) return 'a folder';
  if (info.isFIFO()) return 'a FIFO';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isSocket()) return 'a socket';
  return 'a special file';
}

/** Opened non-blocking so that a FIFO without a writer cannot hang the open; read bounded, as a file may grow. */
export async function readRegularFile(file: string, maxBytes: number): Promise<Buffer> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK).catch((error: NodeJS.ErrnoException) => {
    throw new InputFileError(OPEN_ERRORS[error.code ?? ''] ?? `cannot open: ${error.code ?? error.message}`);
  });
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new InputFileError(`not a regular file (${kindOf(info)})`);
    if (info.size > maxBytes) throw new InputFileError(`${info.size} bytes, over the limit of ${maxBytes}`);
    return await readBodyLimited(handle.createReadStream({ autoClose: false }), maxBytes);
  } catch (error) {
    if (error instanceof FileDownloadError) throw new InputFileError(`grew over the limit of ${maxBytes} while read`);
    throw error;
  } finally {
    await handle.close();
  }
}

/** A photo to classify, refused as the bot would refuse it from a chat. */
export function readInputPhoto(file: string, maxBytes = MAX_DOWNLOAD_BYTES): Promise<Buffer> {
  return readRegularFile(file, maxBytes);
}
