/**
 * `dog-breeds export-feedback --out dir/ [--since 30d] [--only-wrong]`: turns people's 👍/👎 into a labelled set in
 * Kaggle's dog-breed-identification layout — `dir/train/<id>.jpg` and `dir/labels.csv` (`id,breed`) — which the
 * training pipeline reads. Closes the loop from users to the next model.
 *
 * The label is the breed the person confirmed: the model's top-1 for 👍, their correction for 👎 (a 👎 without one is
 * skipped). The photos are downloaded again through the Bot API (feedback keeps file ids, never photos) and saved as
 * JPEG under their Telegram file_unique_id. Feedback on one dog of an answer about several labels that dog's crop
 * (its box cut out of the photo), saved as `<file_unique_id>-<dog number>.jpg`; a photo is downloaded once for all
 * its crops. Resumable: images already in train/ are not made again; labels.csv is rewritten on every run from the
 * current feedback.
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import cliProgress from 'cli-progress';
import type { Api } from 'grammy';
import sharp from 'sharp';
import { connectRedis } from '../../queue/index.ts';
import { type FeedbackRecord, FeedbackStore } from '../../store/index.ts';
import { createTelegramApi, downloadTelegramFile, FileDownloadError } from '../../telegram/index.ts';
import type { Box } from '../../vision/index.ts';
import { forEachConcurrently } from '../concurrency.ts';
import type { CliContext } from '../context.ts';
import { csvLine } from '../csv.ts';
import { parseDuration } from '../run-control.ts';

export interface ExportFeedbackFlags {
  out: string;
  since?: string;
  onlyWrong?: boolean;
}

export interface LabelledPhoto {
  /**
   * Names the image file: the Telegram file_unique_id (the same photo has it whoever sent it), followed by `-<dog
   * number>` for one dog's crop.
   */
  id: string;
  fileId: string;
  breed: string;
  /** For one dog of several: its box and the frame the box is in (the photo after EXIF orientation). */
  crop?: { box: Box; photo: { width: number; height: number } };
}

export interface LabelSelection {
  photos: LabelledPhoto[];
  /** 👎 with no breed given: nothing to learn from. */
  withoutCorrection: number;
  /** Feedback left out by --only-wrong. */
  confirmed: number;
}

/** Feedback → one label per photo or dog (the latest feedback on it wins when several people judged it). */
export function selectLabels(records: readonly FeedbackRecord[], onlyWrong = false): LabelSelection {
  const byPhoto = new Map<string, LabelledPhoto>();
  let withoutCorrection = 0;
  let confirmed = 0;
  for (const record of [...records].sort((a, b) => a.at - b.at)) {
    if (onlyWrong && record.verdict === 'right') {
      confirmed++;
      continue;
    }
    const breed = record.verdict === 'right' ? record.top[0]?.breed : record.correctBreed;
    if (breed === undefined) {
      withoutCorrection++;
      continue;
    }
    const crop =
      record.dog !== undefined && record.box && record.photo ? { box: record.box, photo: record.photo } : undefined;
    // A dog without a box (an answer about the whole photo) would be a crop of everything: not a label for that dog.
    if (record.dog !== undefined && crop === undefined) continue;
    const id = record.dog === undefined ? record.fileUniqueId : `${record.fileUniqueId}-${record.dog}`;
    byPhoto.set(id, { id, fileId: record.fileId, breed, ...(crop ? { crop } : {}) });
  }
  return { photos: [...byPhoto.values()], withoutCorrection, confirmed };
}

/** Telegram photos are JPEG; image files people sent may not be. The training pipeline reads .jpg. */
async function asJpeg(bytes: Buffer): Promise<Buffer> {
  const isJpeg = bytes[0] === 0xff && bytes[1] === 0xd8;
  return isJpeg ? bytes : sharp(bytes).rotate().jpeg({ quality: 95 }).toBuffer();
}

/**
 * One dog cut out of its photo, as a JPEG. The box is in the frame the classifier saw (after EXIF orientation); the
 * photo is oriented the same way first, and the box scaled should the downloaded size differ from that frame.
 */
export async function dogCrop(bytes: Buffer, crop: NonNullable<LabelledPhoto['crop']>): Promise<Buffer> {
  const { data, info } = await sharp(bytes, { pages: 1 }).rotate().raw().toBuffer({ resolveWithObject: true });
  const sx = info.width / crop.photo.width;
  const sy = info.height / crop.photo.height;
  const left = Math.min(Math.max(0, Math.floor(crop.box.left * sx)), info.width - 1);
  const top = Math.min(Math.max(0, Math.floor(crop.box.top * sy)), info.height - 1);
  const right = Math.min(info.width, Math.max(left + 1, Math.ceil((crop.box.left + crop.box.width) * sx)));
  const bottom = Math.min(info.height, Math.max(top + 1, Math.ceil((crop.box.top + crop.box.height) * sy)));
  return sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } })
    .extract({ left, top, width: right - left, height: bottom - top })
    .flatten({ background: '#ffffff' })
    .jpeg({ quality: 95 })
    .toBuffer();
}

const DOWNLOADS_AT_ONCE = 4;

/** The feedback records of the last `since` ms (0: all), read with a store that keeps nothing new. */
async function readFeedback(config: CliContext['config'], since: number): Promise<FeedbackRecord[]> {
  const redis = await connectRedis(config.REDIS_URL);
  try {
    return await new FeedbackStore({ redis, prefix: config.QUEUE_PREFIX, retentionSeconds: 0 }).since(since);
  } finally {
    redis.disconnect();
  }
}

/**
 * Downloads each photo once (whatever number of its dogs have labels) and writes each labelled photo or dog crop;
 * returns the ids that could not be exported.
 */
async function downloadLabelled(
  downloads: readonly (readonly LabelledPhoto[])[],
  target: { api: Api; telegram: { token: string; apiRoot: string }; imagePath: (photo: LabelledPhoto) => string },
  logger: CliContext['logger'],
): Promise<Set<string>> {
  const failed = new Set<string>();
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: '{bar} {value}/{total} | failed {failed}', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(downloads.length, 0, { failed: 0 });
  let finished = 0;
  const save = async (photo: LabelledPhoto, jpeg: Buffer) => {
    // Written beside, then renamed: an interrupted run never leaves half a photo that a re-run would skip.
    const partial = `${target.imagePath(photo)}.partial`;
    await writeFile(partial, jpeg);
    await rename(partial, target.imagePath(photo));
  };
  await forEachConcurrently(downloads, DOWNLOADS_AT_ONCE, async (photos) => {
    const first = photos[0] as LabelledPhoto;
    try {
      const bytes = await downloadTelegramFile(target.api, target.telegram, first.fileId);
      for (const photo of photos) {
        try {
          await save(photo, photo.crop ? await dogCrop(bytes, photo.crop) : await asJpeg(bytes));
        } catch (error) {
          failed.add(photo.id);
          logger.warn({ id: photo.id, reason: (error as Error).message }, 'photo not exported');
        }
      }
    } catch (error) {
      for (const photo of photos) failed.add(photo.id);
      const why = error instanceof FileDownloadError ? error.message : (error as Error).message;
      logger.warn({ id: first.id, reason: why }, 'photo not exported');
    }
    finished++;
    bar.update(finished, { failed: failed.size });
  });
  bar.stop();
  return failed;
}

export async function exportFeedbackCommand(flags: ExportFeedbackFlags, context: CliContext): Promise<number> {
  const { config } = context;
  if (config.BOT_TOKEN === undefined) {
    process.stderr.write('dog-breeds: export-feedback downloads the photos through the Bot API: set BOT_TOKEN.\n');
    return 2;
  }
  const records = await readFeedback(config, flags.since === undefined ? 0 : Date.now() - parseDuration(flags.since));
  const selection = selectLabels(records, flags.onlyWrong);
  const trainDir = path.join(flags.out, 'train');
  await mkdir(trainDir, { recursive: true });

  const telegram = { token: config.BOT_TOKEN, apiRoot: config.TELEGRAM_API_ROOT };
  const imagePath = (photo: LabelledPhoto) => path.join(trainDir, `${photo.id}.jpg`);
  const todo = selection.photos.filter((p) => !existsSync(imagePath(p)));
  const present = selection.photos.length - todo.length;
  const byFile = new Map<string, LabelledPhoto[]>();
  for (const photo of todo) byFile.set(photo.fileId, [...(byFile.get(photo.fileId) ?? []), photo]);
  process.stderr.write(
    `${records.length} feedback records → ${selection.photos.length} labelled photos` +
      `${present > 0 ? `, ${present} already in ${trainDir}` : ''}, ${todo.length} to download\n`,
  );
  const failed = await downloadLabelled(
    [...byFile.values()],
    { api: createTelegramApi(telegram), telegram, imagePath },
    context.logger,
  );

  const exported = selection.photos.filter((p) => !failed.has(p.id)).sort((a, b) => a.id.localeCompare(b.id));
  await writeFile(
    path.join(flags.out, 'labels.csv'),
    [['id', 'breed'], ...exported.map((p) => [p.id, p.breed])].map((row) => csvLine(row)).join(''),
  );
  const breeds = new Set(exported.map((p) => p.breed)).size;
  context.out.write(
    `exported ${exported.length} photos of ${breeds} breeds to ${flags.out} ` +
      `(${todo.length - failed.size} downloaded, ${present} already there, ${failed.size} failed; ` +
      `${selection.withoutCorrection} 👎 without a correction skipped` +
      `${flags.onlyWrong ? `, ${selection.confirmed} 👍 left out` : ''})\n`,
  );
  return failed.size > 0 && exported.length === 0 ? 1 : 0;
}
