/**
 * Request parameter parsing for the Bot API stand-in: reading a request body, merging the query
 * string with a JSON, urlencoded or multipart body into params and uploads, and narrowing single
 * params to the types a method expects, failing with Telegram's "Bad Request" errors.
 */
import type { IncomingMessage } from 'node:http';
import { badRequest } from './api-error.ts';
import type { InlineKeyboardButton, InlineKeyboardMarkup } from './types.ts';

export type Params = Record<string, unknown>;
export interface Upload {
  fileName: string;
  mimeType: string;
  bytes: Uint8Array;
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks);
}

/** Query string, then the body (JSON, urlencoded or multipart) on top, as the Bot API accepts all of them. */
export function parseParams(
  contentType: string,
  body: Buffer,
  query: URLSearchParams,
): { params: Params; uploads: Map<string, Upload> } {
  const params: Params = Object.fromEntries(query);
  const uploads = new Map<string, Upload>();
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (body.length === 0) return checkedStrings({ params, uploads });
  if (type === 'application/json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(utf8(body));
    } catch {
      throw badRequest("can't parse request JSON object");
    }
    if (!isRecord(parsed)) throw badRequest("can't parse request JSON object");
    Object.assign(params, parsed);
  } else if (type === 'application/x-www-form-urlencoded') {
    Object.assign(params, Object.fromEntries(new URLSearchParams(utf8(body))));
  } else if (type === 'multipart/form-data') {
    const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
    const name = boundary?.[1] ?? boundary?.[2];
    if (!name) throw badRequest('multipart boundary is missing');
    parseMultipart(body, name, params, uploads);
  }
  return checkedStrings({ params, uploads });
}

const NOT_UTF8 = 'strings must be encoded in UTF-8';
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Text as Telegram reads it: bytes that are not UTF-8 are refused, not replaced. */
function utf8(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw badRequest(NOT_UTF8);
  }
}

/**
 * Telegram refuses a string with half a surrogate pair (JSON may carry one as a `\ud83d` escape, a cut emoji), so a
 * bot that sends one fails here as it would there.
 */
function checkedStrings<T extends { params: Params }>(parsed: T): T {
  const loneSurrogate = /\p{Cs}/u;
  const check = (value: unknown): void => {
    if (typeof value === 'string') {
      if (loneSurrogate.test(value)) throw badRequest(NOT_UTF8);
    } else if (Array.isArray(value)) value.forEach(check);
    else if (isRecord(value)) Object.values(value).forEach(check);
  };
  check(parsed.params);
  return parsed;
}

/** Minimal multipart/form-data: text fields become params, file parts become uploads by field name. */
function parseMultipart(body: Buffer, boundary: string, params: Params, uploads: Map<string, Upload>): void {
  const delimiter = Buffer.from(`--${boundary}`);
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    const partStart = start + delimiter.length;
    if (body.subarray(partStart, partStart + 2).toString() === '--') break;
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`), partStart);
    if (next === -1) break;
    const part = body.subarray(partStart + 2, next); // skip the CRLF after the delimiter
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd !== -1) {
      const headers = part.subarray(0, headerEnd).toString('utf8');
      const content = part.subarray(headerEnd + 4);
      const field = /name="([^"]*)"/i.exec(headers)?.[1];
      const fileName = /filename=(?:"([^"]*)"|([^;\r\n]+))/i.exec(headers);
      if (field !== undefined && fileName) {
        const mimeType = /content-type:\s*([^\r\n;]+)/i.exec(headers)?.[1]?.trim() ?? 'application/octet-stream';
        uploads.set(field, { fileName: fileName[1] ?? fileName[2] ?? field, mimeType, bytes: new Uint8Array(content) });
      } else if (field !== undefined) {
        params[field] = utf8(content);
      }
    }
    start = next + 2;
  }
}

// -----------------------------------------------------------------------------
// Parameter narrowing. Form and multipart bodies carry everything as strings,
// objects as JSON strings; these accept both representations.

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fromJson(value: unknown, key: string): unknown {
  if (typeof value !== 'string' || !/^\s*[[{]/.test(value)) return value;
  try {
    return JSON.parse(value);
  } catch {
    throw badRequest(`can't parse ${key} JSON object`);
  }
}

export function optInt(p: Params, key: string): number | undefined {
  const value = p[key];
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw badRequest(`invalid ${key} specified`);
  return n;
}

export function reqInt(p: Params, key: string, missing: string): number {
  const n = optInt(p, key);
  if (n === undefined) throw badRequest(missing);
  return n;
}

export function optStr(p: Params, key: string): string | undefined {
  const value = p[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw badRequest(`invalid ${key} specified`);
}

export function optBool(p: Params, key: string): boolean {
  const value = p[key];
  return value === true || value === 'true' || value === 1 || value === '1';
}

export function optObj(p: Params, key: string): Record<string, unknown> | undefined {
  const value = fromJson(p[key], key);
  if (value === undefined || value === null || value === '') return undefined;
  if (!isRecord(value)) throw badRequest(`can't parse ${key} JSON object`);
  return value;
}

export function optArr(p: Params, key: string): unknown[] | undefined {
  const value = fromJson(p[key], key);
  if (value === undefined || value === null || value === '') return undefined;
  if (!Array.isArray(value)) throw badRequest(`can't parse ${key} JSON array`);
  return value;
}

export function clamp(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, n));
}

/** Only inline keyboards end up on the message; reply keyboards belong to the client. */
export function inlineMarkup(p: Params): InlineKeyboardMarkup | undefined {
  const markup = optObj(p, 'reply_markup');
  if (!markup || !('inline_keyboard' in markup)) return undefined;
  const rows = markup.inline_keyboard;
  if (!isKeyboard(rows))
    throw badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard");
  for (const button of rows.flat()) {
    const data = 'callback_data' in button ? button.callback_data : undefined;
    if (data !== undefined && (data.length === 0 || Buffer.byteLength(data) > 64))
      throw badRequest('BUTTON_DATA_INVALID');
  }
  return rows.length ? { inline_keyboard: rows } : undefined;
}

/** Rows of buttons, each with a text and one action (callback_data, url, ...). */
function isKeyboard(rows: unknown): rows is InlineKeyboardButton[][] {
  const isButton = (b: unknown) =>
    isRecord(b) &&
    typeof b.text === 'string' &&
    Object.keys(b).length >= 2 &&
    (b.callback_data === undefined || typeof b.callback_data === 'string');
  return Array.isArray(rows) && rows.every((row: unknown) => Array.isArray(row) && row.every(isButton));
}

export function commandsKey(p: Params): string {
  return `${JSON.stringify(optObj(p, 'scope') ?? { type: 'default' })}:${optStr(p, 'language_code') ?? ''}`;
}
