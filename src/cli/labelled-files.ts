/**
 * Inputs of the CLI: files and folders of photos and clips, and labelled sets in the format of `labels.csv` (Kaggle's
 * dog-breed-identification `id,breed` or `file,breed[,…]`, paths relative to the csv).
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { OperatorError } from '../operator-error.ts';
import { CsvFileError, readCsvFile } from './csv.ts';
import { VIDEO_EXTENSIONS } from './media-kind.ts';

const IMAGE_EXTENSIONS = new Set([
  '.jpg',
  '.jpeg',
  '.png',
  '.webp',
  '.gif',
  '.avif',
  '.heic',
  '.heif',
  '.tif',
  '.tiff',
]);

/** What a folder lists: photos, and clips (which `classify` and `batch` read as videos). */
const LISTED_EXTENSIONS = new Set([...IMAGE_EXTENSIONS, ...VIDEO_EXTENSIONS]);

/**
 * Expands folders (recursively, image and video files only, sorted); files are kept as given, whatever their extension.
 * Symlinked folders are followed once each: a folder is entered only if its real path was not entered before (a
 * self-link would otherwise repeat every photo, two would never end), and a photo reached twice is listed once.
 */
export async function expandImagePaths(inputs: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const input of inputs) {
    const info = await stat(input).catch(() => undefined);
    if (info?.isDirectory()) out.push(...(await imagesInFolder(input)).map((e) => path.join(input, e)));
    else out.push(input); // missing files and special files are reported by whoever reads them
  }
  return out;
}

/** The image and video files below `root`, relative to it, sorted. */
async function imagesInFolder(root: string): Promise<string[]> {
  const enteredFolders = new Set<string>();
  const listedPhotos = new Set<string>();
  const found: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    const folder = path.join(root, relative);
    const real = await realpath(folder).catch(() => undefined);
    if (real === undefined || enteredFolders.has(real)) return;
    enteredFolders.add(real);
    for (const name of await readdir(folder, { encoding: 'utf8' })) {
      const entry = path.join(relative, name);
      const info = await stat(path.join(root, entry)).catch(() => undefined);
      if (info?.isDirectory()) await walk(entry);
      else if (LISTED_EXTENSIONS.has(path.extname(name).toLowerCase())) {
        const realPhoto = await realpath(path.join(root, entry)).catch(() => path.resolve(root, entry));
        if (listedPhotos.has(realPhoto)) continue;
        listedPhotos.add(realPhoto);
        found.push(entry);
      }
    }
  };
  await walk('');
  return found.sort();
}

export interface LabelledFile {
  file: string;
  label: string;
  /** The csv line it came from (1 is the header), for errors about it. */
  line: number;
}

/**
 * Reads `file,breed[,…]` (header required; fields quoted as CSV quotes them). Kaggle's `id,breed` rows name
 * `train/<id>.jpg`. A malformed file is refused with its line and what is wrong there.
 */
export async function readLabelsCsv(csvPath: string): Promise<LabelledFile[]> {
  const [header, ...rows] = await readCsvFile(csvPath);
  const columns = (header?.cells ?? []).map((c) => c.toLowerCase());
  const fileColumn = columns.indexOf('file') >= 0 ? columns.indexOf('file') : columns.indexOf('id');
  const labelColumn = columns.indexOf('breed');
  if (fileColumn < 0 || labelColumn < 0) {
    throw new CsvFileError(
      `${csvPath}:${header?.line ?? 1}: expected a header with "file" (or "id") and "breed" columns, got "${columns.join(',')}"`,
    );
  }
  const kaggle = columns[fileColumn] === 'id';
  const dir = path.dirname(csvPath);
  return rows.map(({ cells, line }) => {
    const file = cells[fileColumn] ?? '';
    return {
      file: path.resolve(dir, kaggle ? path.join('train', `${file}.jpg`) : file),
      label: cells[labelColumn] ?? '',
      line,
    };
  });
}

/** Refuses the first label that is neither a known breed id nor `notDogLabel`: a typo would silently score as wrong. */
export function refuseUnknownLabels(
  csvPath: string,
  items: readonly LabelledFile[],
  breedIds: readonly string[],
  notDogLabel: string,
): void {
  const known = new Set([...breedIds, notDogLabel]);
  const unknown = items.find((item) => !known.has(item.label));
  if (unknown === undefined) return;
  throw new OperatorError(
    `${csvPath}:${unknown.line}: "${unknown.label}" is not one of the ${breedIds.length} breed ids or ${notDogLabel}`,
  );
}
