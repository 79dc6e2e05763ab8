/** The Telegram edge: the grammY bot, its per-person rate limit, and the context its handlers share. */
export * from './context.ts';
export * from './create-bot.ts';
export * from './photo-ref.ts';
export * from './rate-limit.ts';
