#!/usr/bin/env node
/**
 * Process entry: `node dist/main.js [bot|worker|all]` (npm run bot / npm run worker / npm start).
 * `all` without BOT_TOKEN starts the local playground (the real bot behind a chat page) instead of failing, where
 * the playground's page is installed; `worker` without BOT_TOKEN serves batch jobs only.
 * Known start-up problems (no token, a refused token, no model) end in one line saying what to do, not a stack
 * trace; Redis and Telegram not answering yet are waited for (startApp), and SIGTERM/SIGINT end the process in any
 * state, within SHUTDOWN_TIMEOUT_MS.
 */
import { GrammyError } from 'grammy';
import { type Role, ShutdownSteps, StartUpAborted, startApp } from './app/index.ts';
import { loadConfig } from './config/index.ts';
import { OperatorError } from './operator-error.ts';
import { createLogger, logProcessWarnings } from './ops/index.ts';

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
// No token and both roles: nothing to talk to Telegram with, so run the bot against the local playground.
const playground = roleName === 'all' && config.BOT_TOKEN === undefined;
// The playground (and its Bot API stand-in) is loaded only when it runs, never by the bot or worker processes. Its
// console is the person's: this process's JSON lines go to its log file too (unless LOG_FORMAT=json).
const playgroundModule = playground ? await import('./playground/index.ts') : undefined;
const playgroundLog = playgroundModule?.playgroundLog(config);
const logger = createLogger({
  level: config.LOG_LEVEL,
  secrets: [config.BOT_TOKEN, config.WEBHOOK_SECRET],
  name: `dog-breeds-${roleName}`,
  ...(playgroundLog ? { destination: playgroundLog.destination } : {}),
});
logProcessWarnings(logger);

// Signals are handled from the start. One that comes while the process starts aborts the start-up where it is (the
// wait for Redis or Telegram, the model loading) and closes what was opened; a running process stops taking work,
// lets running jobs finish, and exits 0. Whatever does not stop within SHUTDOWN_TIMEOUT_MS is named, and the process
// exits anyway (1): jobs it still held go back to the queue when their locks expire.
const startUp = new AbortController();
const shutdownSteps = new ShutdownSteps();
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
  logger.info({ signal, timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutting down');
  setTimeout(() => {
    const unfinished = shutdownSteps.unfinished();
    logger.error(
      { unfinished, timeoutMs: config.SHUTDOWN_TIMEOUT_MS },
      `did not stop within ${config.SHUTDOWN_TIMEOUT_MS} ms (still stopping: ${unfinished.join(', ') || 'start-up'}): ` +
        'exiting anyway; jobs still held go back to the queue when their locks expire',
    );
    process.exit(1);
  }, config.SHUTDOWN_TIMEOUT_MS);
  startUp.abort();
  if (running) void stop(running);
};
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));

try {
  running = playgroundModule
    ? await startPlaygroundIfInstalled(playgroundModule)
    : await startApp(config, roles, logger, { signal: startUp.signal, shutdownSteps });
  if (stopSignal !== undefined) void stop(running);
} catch (error) {
  if (stopSignal !== undefined && (error instanceof StartUpAborted || startUp.signal.aborted)) {
    logger.info('stopped during start-up');
    process.exit(0);
  }
  if (error instanceof OperatorError) fail(error.message);
  if (error instanceof GrammyError && error.error_code === 401) {
    fail('Telegram refused BOT_TOKEN (401 Unauthorized): check the token @BotFather gave you.');
  }
  logger.fatal({ err: error }, 'could not start');
  process.exit(1);
}

/** The playground needs its web page, which an installed build (dist/, a container image) does not carry. */
async function startPlaygroundIfInstalled({ findWebDir, startPlayground }: typeof import('./playground/index.ts')) {
  try {
    findWebDir();
  } catch {
    fail(
      'BOT_TOKEN is not set: set it to the token @BotFather gave you (see .env.example). Without one, `all` runs the ' +
        'local playground, but its page is not part of this installation (`npm start` in a source checkout has it).',
    );
  }
  return startPlayground(config, playgroundLog ? { log: playgroundLog } : {});
}
