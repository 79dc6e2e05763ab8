/**
 * Which file of a message is the photo to classify: of the sizes Telegram offers, the smallest that is large enough for
 * the models; or an image sent as a file, as it is.
 */
import type { Message, PhotoSize } from 'grammy/types';
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

/**
 * The smallest size whose shorter side covers `neededSide` (the largest input side of the models, so nothing is
 * scaled up on the way in), or the largest size when none does. Fewer bytes to download and far fewer pixels to
 * decode: Telegram's sizes run 90, 320, 800, 1280 px on the long side, and the models need 224–416.
 */
export function choosePhotoSize(sizes: readonly PhotoSize[], neededSide: number): PhotoSize | undefined {
  const byArea = [...sizes].sort((a, b) => a.width * a.height - b.width * b.height);
  return byArea.find((size) => Math.min(size.width, size.height) >= neededSide) ?? byArea.at(-1);
}

/** The file to classify in `message`; `neededSide` is the shorter side, in pixels, the models need of a photo. */
export function findPhoto(message: Message, neededSide: number): PhotoLookup {
  const chosen = choosePhotoSize(message.photo ?? [], neededSide);
  if (chosen) {
    return checkSize({ fileId: chosen.file_id, fileUniqueId: chosen.file_unique_id, fileSize: chosen.file_size });
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
