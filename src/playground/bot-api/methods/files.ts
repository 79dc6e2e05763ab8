/** Bot API methods on files: sending a photo or a document (upload, file_id or URL) and getFile. */
import { badRequest } from '../api-error.ts';
import { type FileRecord, publicFile } from '../media.ts';
import { optStr, type Params } from '../params.ts';
import type { StandInState } from '../state.ts';
import type { AddFileOptions } from '../types.ts';
import { botMessage, captionFields } from './bot-message.ts';
import { type CallContext, type MethodHandler, writableChat } from './context.ts';

/** Bots may download files up to 20 MB through the Bot API. */
const MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024;

export function fileMethods(state: StandInState): Record<string, MethodHandler> {
  const { chats, files } = state;
  return {
    sendPhoto: async (p, ctx) => {
      const chat = writableChat(chats, p);
      const file = inputFile(state, p, 'photo', ctx, { mimeType: 'image/jpeg', fileName: 'photo.jpg' });
      return botMessage(state, chat, p, { photo: await files.photoSizes(file), ...captionFields(p) });
    },
    sendDocument: (p, ctx) => {
      const chat = writableChat(chats, p);
      const defaults = { mimeType: 'application/octet-stream', fileName: 'document.dat' };
      const file = inputFile(state, p, 'document', ctx, defaults);
      const document = {
        file_id: file.file_id,
        file_unique_id: file.file_unique_id,
        file_name: file.fileName,
        mime_type: file.mimeType,
        file_size: file.file_size,
      };
      return botMessage(state, chat, p, { document, ...captionFields(p) });
    },
    getFile: (p) => {
      const file = files.get(optStr(p, 'file_id') ?? '');
      if (!file || file.deleted) throw badRequest('invalid file_id');
      if (file.file_size > MAX_DOWNLOAD_BYTES) throw badRequest('file is too big');
      return publicFile(file);
    },
  };
}

/** A file the bot sends: an upload (`attach://` or a raw part), an existing file_id, or a URL. */
function inputFile(
  { files }: StandInState,
  p: Params,
  key: string,
  ctx: CallContext,
  defaults: AddFileOptions,
): FileRecord {
  const value = p[key];
  const upload =
    typeof value === 'string' && value.startsWith('attach://') ? ctx.uploads.get(value.slice(9)) : ctx.uploads.get(key);
  if (upload) {
    // grammY labels every upload application/octet-stream; keep the method's own default then.
    const mimeType = upload.mimeType === 'application/octet-stream' ? defaults.mimeType : upload.mimeType;
    return files.create(upload.bytes, { mimeType, fileName: upload.fileName });
  }
  if (typeof value !== 'string' || value === '') throw badRequest(`there is no ${key} in the request`);
  if (/^https?:\/\//.test(value)) {
    const fileName = new URL(value).pathname.split('/').pop() || (defaults.fileName ?? 'file');
    return files.create(new Uint8Array(0), { ...defaults, fileName });
  }
  const existing = files.get(value);
  if (!existing || existing.deleted) throw badRequest('wrong file identifier/HTTP URL specified');
  return existing;
}
