/**
 * Reading one photo the command line was given: regular files only (a FIFO or /dev/zero would hang it or grow without
 * end), and no larger than the bot accepts from a chat.
 */
import { constants, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { MAX_DOWNLOAD_BYTES, readBodyLimited } from '../telegram/index.ts';

/** A photo refused before classifying it; its message is the reason, said about the file. */
export class InputPhotoError extends Error {
  override readonly name = 'InputPhotoError';
}

function kindOf(info: Stats): string {
  if (info.isDirectory()) return 'a folder';
  if (info.isFIFO()) return 'a FIFO';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isSocket()) return 'a socket';
  return 'a special file';
}

/** Opened non-blocking so that a FIFO without a writer cannot hang the open; read bounded, as a file may grow. */
export async function readInputPhoto(file: string, maxBytes = MAX_DOWNLOAD_BYTES): Promise<Buffer> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK).catch((error: NodeJS.ErrnoException) => {
    throw new InputPhotoError(error.code === 'ENOENT' ? 'no such file' : `cannot open: ${error.code ?? error.message}`);
  });
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new InputPhotoError(`not a regular file (${kindOf(info)})`);
    if (info.size > maxBytes) throw new InputPhotoError(`${info.size} bytes, over the limit of ${maxBytes}`);
    return await readBodyLimited(handle.createReadStream({ autoClose: false }), maxBytes);
  } finally {
    await handle.close();
  }
}
