/**
 * Inputs of the CLI: files and folders of photos, and labelled sets in the format of `labels.csv` (Kaggle's
 * dog-breed-identification `id,breed` or `file,breed[,…]`, paths relative to the csv).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';

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

/** Expands folders (recursively, image files only, sorted); files are kept as given, whatever their extension. */
export async function expandImagePaths(inputs: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const input of inputs) {
    const info = await stat(input).catch(() => undefined);
    if (info?.isDirectory()) {
      const entries = await readdir(input, { recursive: true, encoding: 'utf8' });
      out.push(
        ...entries
          .filter((e) => IMAGE_EXTENSIONS.has(path.extname(e).toLowerCase()))
          .sort()
          .map((e) => path.join(input, e)),
      );
    } else out.push(input); // missing files are reported by whoever reads them
  }
  return out;
}

export interface LabelledFile {
  file: string;
  label: string;
}

/**
 * Reads `file,breed[,…]` (header required). Kaggle's `id,breed` rows name `train/<id>.jpg`.
 */
export async function readLabelsCsv(csvPath: string): Promise<LabelledFile[]> {
  const text = await readFile(csvPath, 'utf8');
  const [header = '', ...rows] = text.split(/\r?\n/).filter((line) => line.trim().length > 0);
  const columns = header.split(',').map((c) => c.trim().toLowerCase());
  const fileColumn = columns.indexOf('file') >= 0 ? columns.indexOf('file') : columns.indexOf('id');
  const labelColumn = columns.indexOf('breed');
  if (fileColumn < 0 || labelColumn < 0) {
    throw new Error(`${csvPath}: expected a header with "file" (or "id") and "breed" columns, got "${header}"`);
  }
  const kaggle = columns[fileColumn] === 'id';
  const dir = path.dirname(csvPath);
  return rows.map((row) => {
    const cells = row.split(',');
    const file = (cells[fileColumn] ?? '').trim();
    return {
      file: path.resolve(dir, kaggle ? path.join('train', `${file}.jpg`) : file),
      label: (cells[labelColumn] ?? '').trim(),
    };
  });
}
