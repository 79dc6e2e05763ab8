/**
 * The playground: the real bot and worker behind a local Bot API stand-in and a chat page.
 * `src/main.ts` imports this barrel dynamically, and only when the playground runs (no BOT_TOKEN),
 * so the bot and worker processes never load the stand-in.
 */
export { type PlaygroundLog, playgroundLog } from './console-log.ts';
export { startPlayground } from './start-playground.ts';
export { findWebDir } from './web-server.ts';
