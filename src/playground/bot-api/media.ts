/**
 * Stored files and photos in the Bot API stand-in: the record kept for each file, its public
 * `File` view, `PhotoSize` entries, a file extension for a MIME type, and the width and height
 * read from a PNG or JPEG header.
 */
import type { PhotoSize, StoredFile } from './types.ts';

export interface FileRecord extends StoredFile {
  bytes: Uint8Array;
  mimeType: string;
  fileName: string;
  deleted: boolean;
}

export function publicFile(file: FileRecord): StoredFile {
  return {
    file_id: file.file_id,
    file_unique_id: file.file_unique_id,
    file_size: file.file_size,
    file_path: file.file_path,
  };
}

export function photoSize(file: FileRecord, size: { width: number; height: number }): PhotoSize {
  return { file_id: file.file_id, file_unique_id: file.file_unique_id, file_size: file.file_size, ...size };
}

export function extensionFor(mimeType: string): string {
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
