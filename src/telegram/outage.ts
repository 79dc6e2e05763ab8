/**
 * Telegram away, as opposed to Telegram refusing: a call that got no answer (a network error through the client's
 * retries), a 5xx, a 429 longer than a call waits, or a file download that failed on the way. Such a failure passes
 * with time, so the work waits for Telegram rather than spending an attempt; a 400 or 403 would answer the same
 * every time.
 */
import { GrammyError, HttpError } from 'grammy';
import { FileDownloadError } from './api.ts';

export function isTelegramAway(error: unknown): boolean {
  if (error instanceof HttpError) return true;
  if (error instanceof GrammyError) return error.error_code >= 500 || error.error_code === 429;
  return error instanceof FileDownloadError && error.reason === 'transient';
}
