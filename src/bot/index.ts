/**
 * The Telegram edge: the grammY bot, its per-person rate limit, the context its handlers share, and how updates come
 * in — polling that survives a kill, or the webhook server (webhook mode).
 */
export * from './context.ts';
export * from './create-bot.ts';
export * from './durable-polling.ts';
export * from './photo-ref.ts';
export * from './rate-limit.ts';
export * from './webhook-server.ts';
