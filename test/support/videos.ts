/**
 * Videos made in a test with ffmpeg from the shared photos, into a folder the test owns (see temp-dirs.ts): the
 * clips people send (a slideshow of one dog, two dogs side by side, a dog then a cat, a GIF, a round video note) and
 * inputs meant to break the reader (truncated, no frames, audio only, random bytes, 4K at 120 fps, ten hours, a
 * decompression bomb, black, blurred). Nothing here is committed: every file is made again on each run.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { sideBySide } from './compose.ts';
import { image, LABELS_CSV } from './paths.ts';

const run = promisify(execFile);

/** Runs ffmpeg quietly; a failure shows its own words. */
export async function ffmpeg(args: readonly string[]): Promise<void> {
  try {
    await run('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', ...args], {
      maxBuffer: 1 << 20,
    });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`ffmpeg ${args.join(' ')} failed: ${stderr.trim().slice(0, 800)}`, { cause: error });
  }
}

/** The shared photos (paths relative to the images folder) labelled `breed` in labels.csv, in the file's order. */
export async function photosOf(breed: string): Promise<string[]> {
  const rows = (await readFile(LABELS_CSV, 'utf8')).split('\n').slice(1);
  return rows
    .map((row) => row.split(','))
    .filter((cells) => cells[1] === breed)
    .map((cells) => cells[0] as string);
}

/** A photo as a path relative to the shared images folder, or JPEG bytes made in the test. */
export type ClipPhoto = string | Buffer;

export interface ClipOptions {
  /** Seconds each photo is shown. Default 2. */
  secondsEach?: number;
  /** Frame size: each photo is scaled to fit inside it and padded with black. Default 640×480 (even, for yuv420p). */
  width?: number;
  height?: number;
  fps?: number;
  /** An ffmpeg filter added after the scaling of every photo (e.g. `gblur=sigma=30`). */
  filter?: string;
  /** The file's name in `dir`. Default `slideshow.mp4`. */
  name?: string;
}

async function photoFile(dir: string, photo: ClipPhoto, index: number): Promise<string> {
  if (typeof photo === 'string') return image(photo);
  const file = path.join(dir, `photo-${index}-${randomBytes(4).toString('hex')}.jpg`);
  await writeFile(file, photo);
  return file;
}

/** The inputs and the filter graph of photos shown one after another, as one stream `[out]`. */
async function slideshowGraph(dir: string, photos: readonly ClipPhoto[], options: ClipOptions) {
  const { secondsEach = 2, width = 640, height = 480, fps = 25, filter } = options;
  const files = await Promise.all(photos.map((photo, i) => photoFile(dir, photo, i)));
  const inputs = files.flatMap((file) => ['-loop', '1', '-t', String(secondsEach), '-i', file]);
  const fit = `scale=${width}:${height}:force_original_aspect_ratio=decrease,pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2`;
  const each = files.map(
    (_, i) => `[${i}:v]${fit},setsar=1,fps=${fps}${filter ? `,${filter}` : ''},format=yuv420p[v${i}]`,
  );
  const joined = `${files.map((_, i) => `[v${i}]`).join('')}concat=n=${files.length}:v=1:a=0[out]`;
  return { inputs, graph: [...each, joined].join(';') };
}

/** An H.264 MP4 (yuv420p, 25 fps) showing the photos one after another: how a phone's clip of a dog reads. */
export async function slideshow(dir: string, photos: readonly ClipPhoto[], options: ClipOptions = {}): Promise<string> {
  const out = path.join(dir, options.name ?? 'slideshow.mp4');
  const { inputs, graph } = await slideshowGraph(dir, photos, options);
  await ffmpeg([
    ...inputs,
    '-filter_complex',
    graph,
    '-map',
    '[out]',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-crf',
    '20',
    '-pix_fmt',
    'yuv420p',
    out,
  ]);
  return out;
}

/** A GIF of the photos (320 px wide, 10 fps, its own palette), as people send before Telegram turns it into MP4. */
export async function gif(dir: string, photos: readonly ClipPhoto[], options: ClipOptions = {}): Promise<string> {
  const out = path.join(dir, options.name ?? 'clip.gif');
  const { inputs, graph } = await slideshowGraph(dir, photos, { width: 320, height: 240, fps: 10, ...options });
  const palette = `${graph.replace(/,format=yuv420p/g, '')};[out]split[a][b];[a]palettegen[p];[b][p]paletteuse[gif]`;
  await ffmpeg([...inputs, '-filter_complex', palette, '-map', '[gif]', out]);
  return out;
}

/** A round video note as Telegram records it: a 240×240 square MP4 (each photo cropped to its centre square). */
export async function videoNote(dir: string, photos: readonly ClipPhoto[], options: ClipOptions = {}): Promise<string> {
  const square = await Promise.all(
    photos.map(async (photo, i) => {
      const file = await photoFile(dir, photo, i);
      const out = path.join(dir, `square-${i}-${randomBytes(4).toString('hex')}.jpg`);
      await ffmpeg(['-i', file, '-vf', "crop='min(iw,ih)':'min(iw,ih)',scale=240:240", '-q:v', '2', out]);
      return readFile(out);
    }),
  );
  return slideshow(dir, square, { name: 'note.mp4', ...options, width: 240, height: 240 });
}

/** Two dogs side by side in every frame (like `eval --pairs` composes pairs): one pair of photos per shot. */
export async function twoDogs(
  dir: string,
  pairs: readonly (readonly [string, string])[],
  options: ClipOptions = {},
): Promise<string> {
  const frames = await Promise.all(pairs.map(async (pair) => (await sideBySide(pair)).bytes));
  return slideshow(dir, frames, { name: 'two-dogs.mp4', width: 960, height: 400, ...options });
}

/** A black clip of `seconds`: every frame is skipped as black. */
export async function blackClip(dir: string, seconds = 3): Promise<string> {
  const out = path.join(dir, 'black.mp4');
  await ffmpeg([
    '-f',
    'lavfi',
    '-i',
    `color=c=black:s=640x480:r=25:d=${seconds}`,
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-pix_fmt',
    'yuv420p',
    out,
  ]);
  return out;
}

/** The photos so blurred (Gaussian, sigma 40 at 640×480) that no frame is clear enough to read. */
export async function blurredClip(dir: string, photos: readonly ClipPhoto[]): Promise<string> {
  return slideshow(dir, photos, { name: 'blurred.mp4', filter: 'gblur=sigma=40' });
}

/** The first `fraction` of a clip's bytes (its index, at the end of an MP4 ffmpeg writes, is lost). */
export async function truncated(dir: string, clip: string, fraction = 0.4): Promise<string> {
  const bytes = await readFile(clip);
  const out = path.join(dir, `truncated-${path.basename(clip)}`);
  await writeFile(out, bytes.subarray(0, Math.floor(bytes.length * fraction)));
  return out;
}

/** The top-level MP4 boxes: [type, offset, size]. */
function mp4Boxes(bytes: Buffer): { type: string; offset: number; size: number }[] {
  const boxes: { type: string; offset: number; size: number }[] = [];
  for (let offset = 0; offset + 8 <= bytes.length; ) {
    const size = bytes.readUInt32BE(offset);
    boxes.push({ type: bytes.toString('latin1', offset + 4, offset + 8), offset, size });
    if (size < 8) break;
    offset += size;
  }
  return boxes;
}

/**
 * A video stream with no frame in it: an MP4 whose index (moved to the front) declares the track and its samples,
 * cut just after the index, so that the samples are missing.
 */
export async function zeroFrames(dir: string, photos: readonly ClipPhoto[]): Promise<string> {
  const whole = await slideshow(dir, photos, { name: 'whole-for-zero.mp4' });
  const fronted = path.join(dir, 'fronted.mp4');
  await ffmpeg(['-i', whole, '-c', 'copy', '-movflags', '+faststart', fronted]);
  const bytes = await readFile(fronted);
  const mdat = mp4Boxes(bytes).find((box) => box.type === 'mdat');
  if (!mdat) throw new Error('no mdat box in the faststart MP4');
  const out = path.join(dir, 'zero-frames.mp4');
  await writeFile(out, bytes.subarray(0, mdat.offset + 8));
  return out;
}

/** Sound without pictures: an AAC sine tone in an MP4 (.m4a). */
export async function audioOnly(dir: string, seconds = 3): Promise<string> {
  const out = path.join(dir, 'audio-only.m4a');
  await ffmpeg(['-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`, '-c:a', 'aac', out]);
  return out;
}

/** `size` random bytes named like a video. */
export async function randomFile(dir: string, size = 200_000): Promise<string> {
  const out = path.join(dir, 'random.mp4');
  await writeFile(out, randomBytes(size));
  return out;
}

/** A short 4K (3840×2160) clip at 120 fps: the heaviest frames the default bound still lets in. */
export async function fourK120(dir: string, seconds = 1): Promise<string> {
  const out = path.join(dir, '4k120.mp4');
  await ffmpeg([
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=3840x2160:rate=120:duration=${seconds}`,
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-crf',
    '35', // a few MB, under the Bot API's 20 MB
    '-pix_fmt',
    'yuv420p',
    out,
  ]);
  return out;
}

/** A clip of `hours` (ten by default) in a few KB: eleven grey frames, each shown for an hour. */
export async function longClip(dir: string, hours = 10): Promise<string> {
  const out = path.join(dir, 'long.mp4');
  await ffmpeg([
    '-f',
    'lavfi',
    '-t',
    String(hours + 1),
    '-i',
    'color=c=gray:s=64x64:r=1',
    '-vf',
    'setpts=3600*PTS',
    // -vsync, not 5.1's -fps_mode: the gpu image's Ubuntu 22.04 ffmpeg is 4.4 (0 is passthrough: no frame duplicated)
    '-vsync',
    '0',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    out,
  ]);
  return out;
}

/**
 * A decompression bomb: a GIF of about a KB whose header declares a `side` × `side` canvas (16000² = 256 million
 * pixels, 1 GB as RGBA; ffmpeg itself refuses sides past about 16300): a 16×16 GIF made by ffmpeg, its logical
 * screen size patched.
 */
export async function gifBomb(dir: string, side = 16_000): Promise<string> {
  const small = path.join(dir, 'small.gif');
  await ffmpeg(['-f', 'lavfi', '-i', 'color=c=white:s=16x16:r=10:d=1', small]);
  const bytes = await readFile(small);
  bytes.writeUInt16LE(side, 6); // GIF89a, then the logical screen width and height, little-endian
  bytes.writeUInt16LE(side, 8);
  const out = path.join(dir, 'bomb.gif');
  await writeFile(out, bytes);
  return out;
}

/**
 * An HLS playlist naming another file of this machine (`target`, e.g. one of the test's clips): what a stranger would
 * send to have ffmpeg read that file into the frames shown back.
 */
export async function playlistOf(dir: string, target: string): Promise<string> {
  const out = path.join(dir, 'playlist.m3u8');
  const lines = ['#EXTM3U', '#EXT-X-TARGETDURATION:10', '#EXTINF:10.0,', `file://${target}`, '#EXT-X-ENDLIST', ''];
  await writeFile(out, lines.join('\n'));
  return out;
}
