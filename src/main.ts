#!/usr/bin/env node
/**
 * Process entry: `node dist/main.js [bot|worker|all]` (npm run bot / npm run worker / npm start).
 * `all` without BOT_TOKEN starts the local playground (the real bot behind a chat page) instead of failing.
 * Known start-up problems (no token, no Redis, no model) end in one line saying what to do, not a stack trace.
 */
import { GrammyError } from 'grammy';
import { type Role, startApp } from './app/index.ts';
import { loadConfig } from './config/index.ts';
import { OperatorError } from './operator-error.ts';
import { createLogger } from './ops/index.ts';

const ROLES: Record<string, Role[]> = { bot: ['bot'], worker: ['worker'], all: ['bot', 'worker'] };

function fail(message: string): never {
  process.stderr.write(`dog-breeds: ${message}\n`);
  process.exit(1);
}

const roleName = process.argv[2] ?? 'all';
const roles = ROLES[roleName] ?? fail(`unknown role "${roleName}": use bot, worker or all`);

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  fail((error as Error).message);
}
const logger = createLogger({
  level: config.LOG_LEVEL,
  secrets: [config.BOT_TOKEN, config.WEBHOOK_SECRET],
  name: `dog-breeds-${roleName}`,
});

// No token and both roles: nothing to talk to Telegram with, so run the bot against the local playground.
const playground = roleName === 'all' && config.BOT_TOKEN === undefined;

// Signals are handled from the start: one that arrives while the process is still starting stops it as soon as it
// is up (the default would kill it mid-start, with connections and jobs half made).
let running: { stop(): Promise<void> } | undefined;
let stopSignal: string | undefined;
const stop = (app: { stop(): Promise<void> }) =>
  app.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      logger.error({ err: error }, 'unclean shutdown');
      process.exit(1);
    },
  );
const shutdown = (signal: string) => {
  if (stopSignal !== undefined) return;
  stopSignal = signal;
  logger.info({ signal }, 'shutting down');
  if (running) void stop(running);
};
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));

try {
  // The playground (and its Bot API stand-in) is loaded only when it runs, never by the bot or worker processes.
  running = playground
    ? await (await import('./playground/index.ts')).startPlayground(config)
    : await startApp(config, roles, logger);
  if (stopSignal !== undefined) void stop(running);
} catch (error) {
  if (error instanceof OperatorError) fail(error.message);
  if (error instanceof GrammyError && error.error_code === 401) {
    fail('Telegram refused BOT_TOKEN (401 Unauthorized): check the token @BotFather gave you.');
  }
  logger.fatal({ err: error }, 'could not start');
  process.exit(1);
}
