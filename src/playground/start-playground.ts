/**
 * The local playground (`npm start` without BOT_TOKEN): the real bot and worker, with the real model and Redis, talk
 * to the Bot API stand-in instead of Telegram, and a web page on the stand-in's port lets a person chat with them.
 */
import { randomBytes } from 'node:crypto';
import { type RunningApp, startApp } from '../app/index.ts';
import type { Config } from '../config/index.ts';
import { createLogger, scrub } from '../ops/index.ts';
import { connectRedis, RedisUnavailableError, safeRedisUrl } from '../queue/index.ts';
import { BotApiStandIn } from './bot-api/stand-in.ts';
import type { PlaygroundLog } from './console-log.ts';
import { findOnPath, type PrivateRedis, startPrivateRedis } from './private-redis.ts';
import { PlaygroundWeb } from './web-server.ts';

export interface PlaygroundOptions {
  /** Where the app's JSON log lines go; default stdout. */
  logDestination?: NodeJS.WritableStream;
  /** The console's log file (`playgroundLog`): the JSON lines go there, and the console is told its name. */
  log?: PlaygroundLog;
  /** Where the playground's own lines (its address) go; default stdout. */
  print?: (line: string) => void;
}

export interface RunningPlayground {
  /** The page, e.g. http://localhost:8080. */
  url: string;
  standIn: BotApiStandIn;
  web: PlaygroundWeb;
  app: RunningApp;
  /** The Redis in use: REDIS_URL, or the private one started for the playground. */
  redisUrl: string;
  privateRedis?: PrivateRedis;
  /** Stops the bot and worker, the page and the stand-in, then the private Redis; safe to call twice. */
  stop(): Promise<void>;
}

const BOT_ID = 7_000_000_001;

export async function startPlayground(config: Config, options: PlaygroundOptions = {}): Promise<RunningPlayground> {
  const print = options.print ?? ((line: string) => void process.stdout.write(`${line}\n`));
  // A fresh token each run, known only to this process: nothing else can drive the bot's side of the stand-in.
  const token = `${BOT_ID}:${randomBytes(27).toString('base64url')}`;
  const destination = options.logDestination ?? options.log?.destination;
  const logger = createLogger({
    level: config.LOG_LEVEL,
    secrets: [token, config.WEBHOOK_SECRET],
    name: 'dog-breeds-playground',
    ...(destination ? { destination } : {}),
  });

  const cleanups: Array<() => Promise<void> | void> = [];
  const cleanUp = async () => {
    for (const step of cleanups.splice(0).reverse()) await step();
  };
  try {
    const standIn = await startStandIn(token, config.PLAYGROUND_HOST, config.PLAYGROUND_PORT, print);
    cleanups.push(() => standIn.close());
    const web = PlaygroundWeb.attach(standIn, { ffmpegPath: config.FFMPEG_PATH });
    cleanups.push(() => web.close());

    const redis = await findRedis(config.REDIS_URL, print);
    if (redis.privateRedis) cleanups.splice(0, 0, () => redis.privateRedis?.stop()); // stopped last

    const app = await startApp(
      // Polling: the page's chat is the only one, and the stand-in is local (webhook mode is for replicas in production).
      { ...config, BOT_TOKEN: token, TELEGRAM_API_ROOT: standIn.apiRoot, REDIS_URL: redis.url, BOT_MODE: 'polling' },
      ['bot', 'worker'],
      logger,
    );
    cleanups.push(() => app.stop());

    const url = pageUrl(config.PLAYGROUND_HOST, Number(new URL(standIn.apiRoot).port));
    print(`Playground: ${url}`);
    print('Open it in a browser and drop a dog photo into the chat. Ctrl-C stops it.');
    if (options.log) print(`Logs: ${options.log.file} (JSON lines; LOG_FORMAT=json puts them on this console instead)`);
    let stopping: Promise<void> | undefined;
    return {
      url,
      standIn,
      web,
      app,
      redisUrl: redis.url,
      ...(redis.privateRedis ? { privateRedis: redis.privateRedis } : {}),
      stop: () => {
        stopping ??= cleanUp();
        return stopping;
      },
    };
  } catch (error) {
    await cleanUp().catch(() => undefined);
    // Whatever failed may quote a request URL; the token must not reach a terminal.
    if (error instanceof Error) {
      error.message = scrub(error.message, [token]);
      if (error.stack) error.stack = scrub(error.stack, [token]);
    }
    throw error;
  }
}

/** The stand-in on host:port, or on a free port (said so) when that one is taken. */
async function startStandIn(
  token: string,
  host: string,
  port: number,
  print: (line: string) => void,
): Promise<BotApiStandIn> {
  const options = { token, host, username: 'dog_breeds_playground_bot', firstName: 'Dog Breeds', privacyMode: true };
  try {
    return await BotApiStandIn.start({ ...options, port });
  } catch (error) {
    if (port === 0 || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    const standIn = await BotApiStandIn.start({ ...options, port: 0 });
    print(`Port ${port} is taken: using ${new URL(standIn.apiRoot).port} instead (PLAYGROUND_PORT chooses).`);
    return standIn;
  }
}

/** REDIS_URL when it answers; otherwise a private redis-server when one is installed; otherwise one clear line. */
async function findRedis(
  redisUrl: string,
  print: (line: string) => void,
): Promise<{ url: string; privateRedis?: PrivateRedis }> {
  try {
    const probe = await connectRedis(redisUrl, { connectTimeoutMs: 2000 });
    probe.disconnect();
    return { url: redisUrl };
  } catch (error) {
    if (!(error instanceof RedisUnavailableError)) throw error;
  }
  const binary = findOnPath('redis-server');
  if (binary === undefined) {
    throw new RedisUnavailableError(
      `The playground needs Redis: nothing answers at ${safeRedisUrl(redisUrl)} and there is no redis-server on the ` +
        'PATH. Start one with `docker compose up -d redis`, or install your OS package (`apt-get install ' +
        'redis-server`, `brew install redis`), or set REDIS_URL.',
    );
  }
  const privateRedis = await startPrivateRedis(binary);
  print(`No Redis at ${safeRedisUrl(redisUrl)}: started a private one on ${privateRedis.url} (gone when this stops).`);
  return { url: privateRedis.url, privateRedis };
}

function pageUrl(host: string, port: number): string {
  const local = ['127.0.0.1', 'localhost', '0.0.0.0', '::', '::1'].includes(host);
  const shown = local ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${port}`;
}
