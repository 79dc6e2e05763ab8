/**
 * Photo or video: what a file the command line was given holds, told by its container's signature rather than its
 * name (a clip saved as .bin is still a clip; a photo named .mp4 is still a photo), and by the name only when the
 * bytes say nothing known — so a damaged clip named .mp4 gets the video reader's reason, not the photo decoder's.
 *
 * A GIF of more than one frame is a video: an animation, as Telegram treats it (it turns GIFs into MP4 animations),
 * and its frames read together name a moving dog better than its first frame alone. A still GIF is a photo.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';

export type MediaKind = 'photo' | 'video';

/** Names of clips, for folders (which list photos and clips by name) and for bytes no signature claims. */
export const VIDEO_EXTENSIONS: ReadonlySet<string> = new Set([
  '.mp4',
  '.m4v',
  '.mov',
  '.webm',
  '.mkv',
  '.avi',
  '.3gp',
  '.mpg',
  '.mpeg',
]);

/** ISO base media brands of still images (AVIF, HEIF/HEIC): photos, though their container is the MP4 family's. */
const IMAGE_BRANDS = new Set(['avif', 'avis', 'heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'mif1', 'msf1']);
/** Top-level boxes an old QuickTime file may open with, before any `ftyp`. */
const QUICKTIME_BOXES = new Set(['moov', 'mdat', 'wide', 'free', 'skip']);

/** JPEG, PNG, TIFF (both byte orders): photos whatever their name. */
const PHOTO_MAGIC = [
  [0xff, 0xd8, 0xff],
  [0x89, 0x50, 0x4e, 0x47],
  [0x49, 0x49, 0x2a, 0x00],
  [0x4d, 0x4d, 0x00, 0x2a],
].map((bytes) => Buffer.from(bytes));

const ascii = (bytes: Buffer, start: number, end: number) => bytes.subarray(start, end).toString('latin1');

/** 'video', 'photo', or undefined when the first bytes match no signature known here. */
function kindBySignature(bytes: Buffer): MediaKind | undefined {
  if (bytes.length < 12) return undefined;
  const box = ascii(bytes, 4, 8);
  if (box === 'ftyp') return IMAGE_BRANDS.has(ascii(bytes, 8, 12)) ? 'photo' : 'video';
  if (QUICKTIME_BOXES.has(box)) return 'video';
  if (bytes.readUInt32BE(0) === 0x1a45dfa3) return 'video'; // EBML: Matroska, WebM
  if (ascii(bytes, 0, 4) === 'RIFF') return ascii(bytes, 8, 12) === 'AVI ' ? 'video' : 'photo'; // AVI, else WebP
  if (PHOTO_MAGIC.some((magic) => bytes.subarray(0, magic.length).equals(magic))) return 'photo';
  if (ascii(bytes, 0, 3) === 'FLV' || bytes.readUInt32BE(0) === 0x000001ba) return 'video'; // FLV, MPEG program stream
  if (ascii(bytes, 0, 4) === 'GIF8') return gifFrames(bytes, 2) > 1 ? 'video' : 'photo';
  return undefined;
}

/**
 * Frames of a GIF, counted up to `enough` by walking its blocks (an image descriptor per frame); a GIF cut short
 * counts the frames before the cut.
 */
export function gifFrames(bytes: Buffer, enough = Number.POSITIVE_INFINITY): number {
  const colourTable = (packed: number) => (packed & 0x80 ? 3 * 2 ** ((packed & 0x07) + 1) : 0);
  const skipSubBlocks = (at: number): number => {
    let pos = at;
    while (pos < bytes.length && bytes[pos] !== 0) pos += (bytes[pos] as number) + 1;
    return pos + 1;
  };
  let frames = 0;
  let pos = 13 + colourTable(bytes[10] ?? 0);
  while (pos < bytes.length && frames < enough) {
    const block = bytes[pos];
    if (block === 0x2c) {
      frames++;
      pos = skipSubBlocks(pos + 10 + colourTable(bytes[pos + 9] ?? 0) + 1); // descriptor, colours, LZW code size
    } else if (block === 0x21) pos = skipSubBlocks(pos + 2);
    else break; // the trailer (0x3b), or bytes that are no block
  }
  return frames;
}

/** What `bytes` (a whole file, or its head where it is not a GIF) named `name` hold. */
export function mediaKindOf(bytes: Buffer, name: string): MediaKind {
  return kindBySignature(bytes) ?? (VIDEO_EXTENSIONS.has(path.extname(name).toLowerCase()) ? 'video' : 'photo');
}

/** Bytes read of a file's head: every signature above fits; a GIF's frames are counted on the whole file. */
const HEAD_BYTES = 64 * 1024;

/**
 * What the file at `file` holds, reading no more than needed — for a batch, whose jobs say what they are before a
 * worker reads them. A file that cannot be read is called by its name: the worker reports why it cannot be read.
 */
export async function mediaKindOfFile(file: string, maxBytes: number): Promise<MediaKind> {
  // Non-blocking: a FIFO without a writer must not hang the listing.
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK).catch(() => undefined);
  if (handle === undefined) return mediaKindOf(Buffer.alloc(0), file);
  try {
    const info = await handle.stat();
    if (!info.isFile()) return mediaKindOf(Buffer.alloc(0), file);
    const head = Buffer.alloc(Math.min(info.size, HEAD_BYTES));
    await handle.read(head, 0, head.length, 0);
    if (ascii(head, 0, 4) !== 'GIF8' || info.size > maxBytes) return mediaKindOf(head, file);
    const whole = Buffer.alloc(info.size);
    await handle.read(whole, 0, whole.length, 0);
    return mediaKindOf(whole, file);
  } finally {
    await handle.close();
  }
}
