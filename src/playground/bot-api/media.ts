/**
 * Stored files and photos in the Bot API stand-in: the record kept for each file, its public
 * `File` view, `PhotoSize` entries, the sizes Telegram makes of a photo (sharp), a file extension
 * for a MIME type, and the width and height read from a PNG or JPEG header.
 */
import sharp from 'sharp';
import type { PhotoSize, StoredFile } from './types.ts';

export interface FileRecord extends StoredFile {
  bytes: Uint8Array;
  mimeType: string;
  fileName: string;
  deleted: boolean;
  /** For one size of a photo: the file it was made from (expiring one size of a photo expires them all). */
  sizeOf?: FileRecord;
}

/** One size of a photo: its bytes and pixels. */
export interface PhotoRendition {
  bytes: Uint8Array;
  mimeType: string;
  width: number;
  height: number;
}

/** Telegram's photo sizes: the long side scaled to each of these (never up), as JPEG. */
export const TELEGRAM_PHOTO_SIDES = [90, 320, 800, 1280] as const;
const LARGEST_SIDE = TELEGRAM_PHOTO_SIDES[TELEGRAM_PHOTO_SIDES.length - 1] ?? 1280;
/** The quality Telegram's photo JPEGs have about (their quantisation tables match libjpeg's 87). */
const JPEG_QUALITY = 87;

/** Same bytes, same sizes: a photo sent again (a benchmark's, a test's) is not encoded again. */
const renditionCache = new WeakMap<Uint8Array, Promise<PhotoRendition[]>>();

/**
 * The sizes Telegram offers of a photo, smallest first: the long side scaled to 90, 320, 800 and 1280 px where the
 * photo is larger, each a JPEG made by sharp, and the photo itself as the largest when it is no larger than 1280 px
 * (Telegram would encode that one again too; keeping the bytes lets tests compare what they sent with what the bot
 * got). Bytes sharp cannot read (a test's broken "photo") give one size: the bytes as they are.
 */
export function photoRenditions(bytes: Uint8Array, mimeType: string): Promise<PhotoRendition[]> {
  let renditions = renditionCache.get(bytes);
  if (renditions === undefined) {
    renditions = makeRenditions(bytes, mimeType);
    renditionCache.set(bytes, renditions);
  }
  return renditions;
}

async function makeRenditions(bytes: Uint8Array, mimeType: string): Promise<PhotoRendition[]> {
  const asSent = (size = imageSize(bytes) ?? { width: LARGEST_SIDE, height: 960 }) => ({ bytes, mimeType, ...size });
  const info = await sharp(bytes, { failOn: 'none' })
    .metadata()
    .catch(() => undefined);
  if (!info?.width || !info.height) return [asSent()];
  // The pixels as shown (EXIF orientation applied), as Telegram's sizes are.
  const turned = (info.orientation ?? 1) >= 5;
  const width = turned ? info.height : info.width;
  const height = turned ? info.width : info.height;
  const longSide = Math.max(width, height);
  // Over 1280 px this includes 1280 itself, the largest; up to it the photo as sent is the largest.
  const sides = TELEGRAM_PHOTO_SIDES.filter((side) => side < longSide);
  try {
    const made = await Promise.all(sides.map((side) => jpegOfLongSide(bytes, side)));
    return longSide > LARGEST_SIDE ? made : [...made, asSent({ width, height })];
  } catch {
    return [asSent()];
  }
}

async function jpegOfLongSide(bytes: Uint8Array, side: number): Promise<PhotoRendition> {
  const { data, info } = await sharp(bytes)
    .rotate()
    .resize(side, side, { fit: 'inside', withoutEnlargement: true })
    .jpeg({ quality: JPEG_QUALITY })
    .toBuffer({ resolveWithObject: true });
  return { bytes: new Uint8Array(data), mimeType: 'image/jpeg', width: info.width, height: info.height };
}

export function publicFile(file: FileRecord): StoredFile {
  return {
    file_id: file.file_id,
    file_unique_id: file.file_unique_id,
    file_size: file.file_size,
    file_path: file.file_path,
  };
}

/** A PhotoSize of `file`: Telegram's five fields and nothing else (a spread could carry a rendition's bytes along). */
export function photoSize(file: FileRecord, size: { width: number; height: number }): PhotoSize {
  const { file_id, file_unique_id, file_size } = file;
  return { file_id, file_unique_id, file_size, width: size.width, height: size.height };
}

export function extensionFor(mimeType: string): string {
  const known: Record<string, string> = {
    'image/jpeg': 'jpg',
    'image/png': 'png',
    'image/webp': 'webp',
    'image/gif': 'gif',
    'video/mp4': 'mp4',
    'video/quicktime': 'mov',
    'video/webm': 'webm',
    'video/x-matroska': 'mkv',
    'application/pdf': 'pdf',
  };
  return known[mimeType] ?? 'dat';
}

/** Width and height from a PNG or JPEG header, so PhotoSize looks like the real image. */
export function imageSize(bytes: Uint8Array): { width: number; height: number } | undefined {
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
