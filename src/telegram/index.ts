/** The Bot API client (grammY's, with bounded retries) and token-safe file downloads. */
export * from './api.ts';
