/**
 * "Telegram's servers" for files: every stored file by file_id and by download path, expired
 * files, and the several sizes Telegram makes of a photo.
 */
import { randomBytes } from 'node:crypto';
import { extensionFor, type FileRecord, photoRenditions, photoSize } from './media.ts';
import type { AddFileOptions, FileInput, PhotoSize } from './types.ts';

export class FileStore {
  private readonly byId = new Map<string, FileRecord>();
  private readonly byPath = new Map<string, FileRecord>();
  private fileCounter = 0;

  create(bytes: Uint8Array, opts: AddFileOptions): FileRecord {
    const n = this.fileCounter++;
    const mimeType = opts.mimeType ?? 'application/octet-stream';
    const fileName = opts.fileName ?? `file_${n}.${extensionFor(mimeType)}`;
    const folder = mimeType.startsWith('image/') ? 'photos' : mimeType.startsWith('video/') ? 'videos' : 'documents';
    const extension = /\.([A-Za-z0-9]{1,8})$/.exec(fileName)?.[1] ?? extensionFor(mimeType);
    // Prefixes like Telegram's, so ids look familiar in logs.
    const idPrefix = { photos: 'AgACAgIAAxkBAA', videos: 'BAACAgIAAxkBAA', documents: 'BQACAgIAAxkBAA' }[folder];
    const record: FileRecord = {
      file_id: `${idPrefix}${randomBytes(33).toString('base64url')}`,
      file_unique_id: `AQAD${randomBytes(9).toString('base64url')}`,
      file_size: opts.reportedSize ?? bytes.byteLength,
      file_path: `${folder}/file_${n}.${extension}`,
      bytes,
      mimeType,
      fileName,
      deleted: false,
    };
    this.byId.set(record.file_id, record);
    this.byPath.set(record.file_path, record);
    return record;
  }

  /** The file with this id, deleted or not. */
  get(fileId: string): FileRecord | undefined {
    return this.byId.get(fileId);
  }

  /** The file a download path names, deleted or not. */
  atPath(filePath: string): FileRecord | undefined {
    return this.byPath.get(filePath);
  }

  /** A file a person sends: new bytes are stored, a stored file is reused. */
  fromInput(input: FileInput, defaults: AddFileOptions): FileRecord {
    if (input instanceof Uint8Array) return this.create(input, defaults);
    const record = this.byId.get(input.file_id);
    if (!record) throw new Error(`unknown file_id ${input.file_id}: pass what addFile returned`);
    return record;
  }

  /** Expires the file and every other size of the same photo. */
  expire(fileId: string): void {
    const target = this.byId.get(fileId);
    if (!target) throw new Error(`deleteFile: unknown file_id ${fileId}`);
    const photo = target.sizeOf ?? target;
    for (const file of this.byId.values()) {
      if ((file.sizeOf ?? file) === photo || file.bytes === target.bytes) file.deleted = true;
    }
  }

  content(fileId: string): { bytes: Uint8Array; mimeType: string; fileName: string } | undefined {
    const file = this.byId.get(fileId);
    return file && !file.deleted ? { bytes: file.bytes, mimeType: file.mimeType, fileName: file.fileName } : undefined;
  }

  /**
   * Like Telegram: the sizes of a photo (see `photoRenditions`), smallest first, each its own file with its own
   * file_id, file_unique_id and file_size. The largest is `original` itself when that is the photo as sent. The
   * sizes of an expired photo are expired too.
   */
  async photoSizes(original: FileRecord): Promise<PhotoSize[]> {
    const renditions = await photoRenditions(original.bytes, original.mimeType);
    return renditions.map((rendition) => {
      if (rendition.bytes === original.bytes) return photoSize(original, rendition);
      const fileName = `${original.fileName.replace(/\.[^.]*$/, '')}-${rendition.width}.jpg`;
      const size = this.create(rendition.bytes, { mimeType: rendition.mimeType, fileName });
      size.sizeOf = original;
      size.deleted = original.deleted;
      return photoSize(size, rendition);
    });
  }
}
