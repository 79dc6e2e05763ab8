/**
 * The page's videos and GIFs, as Telegram's apps send and show them: a clip goes as a video message, a GIF as an MP4
 * "animation" (Telegram converts GIFs itself; here ffmpeg does, bounded, and where it cannot the GIF goes as it is),
 * with the width, height and duration the browser read from the file; the chat shows each as a playable video.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ChatMessage } from './bot-api/types.ts';

const run = promisify(execFile);

/** How an upload goes: photos (an album when several), clips, GIF animations, and everything else as a file. */
export type UploadKind = 'photo' | 'video' | 'animation' | 'document';

/** Image types Telegram clients send as photos; anything else goes as a file (document), as "send as file" does. */
const PHOTO_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp']);

export function uploadKind(mimeType: string, asFile: boolean): UploadKind {
  const type = mimeType.toLowerCase();
  if (asFile) return 'document';
  if (PHOTO_TYPES.has(type)) return 'photo';
  if (type === 'image/gif') return 'animation';
  return type.startsWith('video/') ? 'video' : 'document';
}

/** What the page read of a clip in the browser (a <video>'s metadata); each one absent when it could not. */
export interface ClipFacts {
  width?: number;
  height?: number;
  duration?: number;
}

/** The page's `metaN` field for `fileN`: JSON of ClipFacts; anything unreadable or out of range is left out. */
export function clipFacts(field: string | undefined): ClipFacts {
  let parsed: unknown;
  try {
    parsed = JSON.parse(field ?? '{}');
  } catch {
    return {};
  }
  const facts: ClipFacts = {};
  const record = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  for (const key of ['width', 'height', 'duration'] as const) {
    const value = record[key];
    // Telegram's fields are whole numbers (pixels, seconds); a clip under a second is said to last one.
    if (typeof value === 'number' && Number.isFinite(value) && value > 0 && value < 100_000) {
      facts[key] = Math.max(1, Math.round(value));
    }
  }
  return facts;
}

/** A GIF converting longer than this is given up on (and sent as it is). */
const GIF_CONVERSION_MS = 30_000;

/**
 * The GIF as an MP4 (H.264, no sound, even sides), as Telegram stores animations; undefined where ffmpeg is missing or
 * fails on it. Files in a temporary folder (an MP4 written to a pipe could not have its index at the front).
 */
export async function gifAsMp4(gif: Uint8Array, ffmpegPath: string): Promise<Uint8Array | undefined> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dog-breeds-playground-gif-'));
  try {
    const input = path.join(dir, 'in.gif');
    const output = path.join(dir, 'out.mp4');
    await writeFile(input, gif);
    const args = ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', '-i', input, '-an', '-vf'];
    args.push('scale=trunc(iw/2)*2:trunc(ih/2)*2', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', output);
    await run(ffmpegPath, args, { timeout: GIF_CONVERSION_MS, killSignal: 'SIGKILL', maxBuffer: 1 << 20 });
    return await readFile(output);
  } catch {
    return undefined;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A video message as the page shows it. */
export interface ChatVideo {
  url: string;
  /** video: with controls; animation: muted, looping, playing (a GIF); note: round, as Telegram shows video notes. */
  kind: 'video' | 'animation' | 'note';
  mimeType: string;
  width: number;
  height: number;
  duration: number;
  name: string;
}

export function videoOf(m: ChatMessage, url: (fileId: string) => string): ChatVideo | undefined {
  if (m.video_note) {
    const { file_id, length, duration } = m.video_note;
    return {
      url: url(file_id),
      kind: 'note',
      mimeType: 'video/mp4',
      width: length,
      height: length,
      duration,
      name: '',
    };
  }
  const clip = m.animation ?? m.video;
  if (!clip) return undefined;
  return {
    url: url(clip.file_id),
    kind: m.animation ? 'animation' : 'video',
    mimeType: clip.mime_type ?? 'video/mp4',
    width: clip.width,
    height: clip.height,
    duration: clip.duration,
    name: clip.file_name ?? (m.animation ? 'GIF' : 'video'),
  };
}

/** How a reply's quote names a message without text, as Telegram's apps do. */
export function mediaWord(m: Pick<ChatMessage, 'photo' | 'video' | 'animation' | 'video_note' | 'document'>): string {
  if (m.photo) return 'Photo';
  if (m.video_note) return 'Video message';
  if (m.animation) return 'GIF';
  if (m.video) return 'Video';
  return m.document ? 'File' : 'Message';
}
