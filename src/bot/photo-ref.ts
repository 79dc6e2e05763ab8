/**
 * Which file of a message is the photo to classify: of the sizes Telegram offers, the smallest that is large enough for
 * the models; or an image sent as a file, as it is. Or the video to classify: a video, a GIF (Telegram's MP4
 * "animation"), a round video note, or a video sent as a file (`findVideo`).
 */
import type { Message, PhotoSize } from 'grammy/types';
import type { VideoKind } from '../queue/index.ts';
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

/** A video found in a message, or why it cannot be taken (over the Bot API's 20 MB download limit). */
export type VideoLookup = { kind: 'video'; ref: PhotoRef; videoKind: VideoKind } | { kind: 'video-too-big' };

/** Containers people's video files come with; ffmpeg has the last word on what the bytes are. */
const VIDEO_MIME = /^video\/(mp4|quicktime|webm|x-matroska|x-m4v|3gpp)$/i;
const VIDEO_EXTENSION = /\.(mp4|m4v|mov|webm|mkv|3gp)$/i;

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

/**
 * The video in `message`, if it holds one: a video, an animation (checked before the document Telegram sends beside
 * it), a video note, or a document whose MIME type (or, without one, file name) says video. Undefined: no video, look
 * for a photo.
 */
export function findVideo(message: Message): VideoLookup | undefined {
  const found = videoOf(message);
  if (found === undefined) return undefined;
  const [file, videoKind] = found;
  if (file.file_size !== undefined && file.file_size > MAX_DOWNLOAD_BYTES) return { kind: 'video-too-big' };
  const ref: PhotoRef = { fileId: file.file_id, fileUniqueId: file.file_unique_id };
  if (file.file_size !== undefined) ref.fileSize = file.file_size;
  return { kind: 'video', ref, videoKind };
}

type VideoFile = { file_id: string; file_unique_id: string; file_size?: number };

function videoOf(message: Message): [VideoFile, VideoKind] | undefined {
  if (message.animation) return [message.animation, 'animation'];
  if (message.video) return [message.video, 'video'];
  if (message.video_note) return [message.video_note, 'video-note'];
  const document = message.document;
  const looksLikeVideo =
    document !== undefined &&
    ((document.mime_type !== undefined && VIDEO_MIME.test(document.mime_type)) ||
      (document.mime_type === undefined && VIDEO_EXTENSION.test(document.file_name ?? '')));
  return looksLikeVideo ? [document, 'video'] : undefined;
}
