/** Which file of a message is the photo to classify: the largest photo size, or an image sent as a file. */
import type { Message } from 'grammy/types';
import { MAX_DOWNLOAD_BYTES } from '../telegram/index.ts';

export interface PhotoRef {
  fileId: string;
  fileUniqueId: string;
  fileSize?: number;
}

export type PhotoLookup =
  | { kind: 'photo'; ref: PhotoRef }
  | { kind: 'too-big' }
  | { kind: 'not-an-image' } // a document that is not an image
  | { kind: 'none' }; // no file at all

/** MIME types people's image files come with; the decoder has the last word on what the bytes are. */
const IMAGE_MIME = /^image\/(jpeg|jpg|pjpeg|png|webp|gif|avif|heic|heif|tiff|bmp)$/i;
const IMAGE_EXTENSION = /\.(jpe?g|png|webp|gif|avif|heic|heif|tiff?)$/i;

export function findPhoto(message: Message): PhotoLookup {
  if (message.photo && message.photo.length > 0) {
    // Telegram lists sizes smallest first.
    const largest = message.photo.reduce((a, b) => (b.width * b.height > a.width * a.height ? b : a));
    return checkSize({ fileId: largest.file_id, fileUniqueId: largest.file_unique_id, fileSize: largest.file_size });
  }
  const document = message.document;
  if (document) {
    const looksLikeImage =
      (document.mime_type !== undefined && IMAGE_MIME.test(document.mime_type)) ||
      (document.mime_type === undefined && IMAGE_EXTENSION.test(document.file_name ?? ''));
    if (!looksLikeImage) return { kind: 'not-an-image' };
    return checkSize({ fileId: document.file_id, fileUniqueId: document.file_unique_id, fileSize: document.file_size });
  }
  return { kind: 'none' };
}

function checkSize(ref: PhotoRef): PhotoLookup {
  if (ref.fileSize !== undefined && ref.fileSize > MAX_DOWNLOAD_BYTES) return { kind: 'too-big' };
  return {
    kind: 'photo',
    ref: ref.fileSize === undefined ? { fileId: ref.fileId, fileUniqueId: ref.fileUniqueId } : ref,
  };
}
