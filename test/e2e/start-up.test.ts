/**
 * Start-up as an admin meets it, with real processes: Telegram or Redis not there yet (the ops endpoint up at once,
 * /readyz naming what is missing and why, one log line per try, ready once it answers), SIGTERM in each start-up
 * state (exit 0), a stop that outlives its time limit (named, exit 1), and a worker without BOT_TOKEN serving the
 * batch jobs that `dog-breeds batch` — which says so when no worker listens — queued.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, test } from 'node:test';
import { runBatch } from '../../src/cli/batch-run.ts';
import { type Config, configSchema } from '../../src/config/index.ts';
import { createLogger } from '../../src/ops/logger.ts';
import { BotApiStandIn, privateChat, user } from '../../src/playground/bot-api/stand-in.ts';
import { freePort } from '../../src/playground/private-redis.ts';
import { type BatchJobResult, connectRedis, createBatchQueue, enqueueBatch } from '../../src/queue/index.ts';
import { deleteKeysWithPrefix, REDIS_URL, TEST_TOKEN } from '../support/app-harness.ts';
import { image, MODELS_DIR, readImage } from '../support/paths.ts';
import { poll, waitForReplyTo } from '../support/poll.ts';
import { TestRedisServer } from '../support/redis-server.ts';
import { type ServiceProcess, spawnCli, spawnService } from '../support/service-process.ts';
import { tempDirs } from '../support/temp-dirs.ts';

const temp = tempDirs();
const prefixes: string[] = [];
const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  for (const prefix of prefixes) await deleteKeysWithPrefix(REDIS_URL, prefix);
  await temp.removeAll();
});

/** Settings of every process here: its own key prefix, short retries so that the tests see several. */
function baseEnv() {
  const prefix = `test-start-up-${randomUUID().slice(0, 8)}`;
  prefixes.push(prefix);
  return { REDIS_URL, QUEUE_PREFIX: prefix, STARTUP_RETRY_FIRST_MS: '200', STARTUP_RETRY_MAX_MS: '800' };
}

/** A process, killed after the test whatever happened. */
function started(proc: ServiceProcess): ServiceProcess {
  cleanups.push(() => proc.stop('SIGKILL'));
  return proc;
}

interface Readiness {
  code: number;
  body: { status: string; checks: Record<string, true | string>; notes?: Record<string, string> };
}

/** The ops endpoint's address, from its "listening" line. */
async function opsUrl(proc: ServiceProcess): Promise<string> {
  await proc.waitForLog(/"msg":"ops endpoint listening"/);
  const url = /"url":"([^"]+)","msg":"ops endpoint listening"/.exec(proc.stdout())?.[1];
  assert.ok(url, 'the listening line names the address');
  return url;
}

async function readiness(ops: string): Promise<Readiness> {
  const response = await fetch(`${ops}/readyz`);
  return { code: response.status, body: (await response.json()) as Readiness['body'] };
}

/** The log lines of failed tries of one dependency, in order. */
function retryLines(proc: ServiceProcess, dependency: string): { attempt: number; retryInMs: number; msg: string }[] {
  return proc
    .stdout()
    .split('\n')
    .filter((line) => line.includes(`"dependency":"${dependency}"`) && line.includes('"retryInMs"'))
    .map((line) => JSON.parse(line));
}

/** One line per try: attempts 1, 2, 3… each once, the waits doubling from 200 ms up to the 800 ms cap. */
function assertOneLinePerTry(lines: { attempt: number; retryInMs: number }[]): void {
  assert.ok(lines.length >= 2, `at least two failed tries, got ${lines.length}`);
  assert.deepEqual(
    lines.map((l) => l.attempt),
    lines.map((_, i) => i + 1),
  );
  assert.deepEqual(
    lines.map((l) => l.retryInMs),
    lines.map((_, i) => Math.min(200 * 2 ** i, 800)),
  );
}

const indexOfLog = (proc: ServiceProcess, msg: string) => proc.stdout().indexOf(`"msg":"${msg}"`);

test('Telegram unreachable at start: ops up at once, /readyz names telegram, a line per try, ready once it answers', async () => {
  const port = await freePort();
  const proc = started(
    spawnService('all', { ...baseEnv(), BOT_TOKEN: TEST_TOKEN, TELEGRAM_API_ROOT: `http://127.0.0.1:${port}` }),
  );
  const ops = await opsUrl(proc);
  await proc.waitForLog(/"msg":"Telegram at http:\/\/127\.0\.0\.1:\d+ not reachable [^"]*: try 3 in/);
  const down = await readiness(ops);
  assert.equal(down.code, 503);
  assert.equal(down.body.status, 'not ready');
  assert.match(
    String(down.body.checks.telegram),
    /^unreachable: Network request for 'getMe' failed! \(ECONNREFUSED\) \(try \d+ in \d+ ms\)$/,
  );
  assert.deepEqual([down.body.checks.redis, down.body.checks.model, down.body.checks.bot], [true, true, 'not polling']);
  assert.ok(indexOfLog(proc, 'ops endpoint listening') < indexOfLog(proc, 'model loaded'), 'ops before the model');
  const tries = retryLines(proc, 'telegram');
  assertOneLinePerTry(tries);
  assert.match(tries[0]?.msg ?? '', /TELEGRAM_API_ROOT/, 'the first line says what to check');
  assert.doesNotMatch(proc.stdout(), new RegExp(TEST_TOKEN.split(':')[1] as string), 'the token is never logged');

  // Telegram comes: the bot polls, /readyz is ready, and a photo is answered.
  const standIn = await BotApiStandIn.start({ token: TEST_TOKEN, port });
  cleanups.push(() => standIn.close());
  await proc.waitForLog(/"msg":"bot polling"/);
  const up = await poll(async () => {
    const state = await readiness(ops);
    return state.code === 200 && state;
  });
  assert.deepEqual(up.body, { status: 'ready', checks: { redis: true, model: true, bot: true, telegram: true } });
  assert.match(proc.stdout(), /"msg":"Telegram at http:\/\/127\.0\.0\.1:\d+ reached"/);
  const from = user(9100);
  const chat = privateChat(from);
  const sent = await standIn.sendPhoto({ chat, from, file: await readImage('dogs/boxer-5e7846c317a2.jpg') });
  await waitForReplyTo(standIn, chat.id, sent.message_id, (t) => t.startsWith('🐶'), { timeoutMs: 30_000 });
  assert.equal(await proc.stop('SIGTERM'), 0);
});

test('Redis unreachable at start: ops up at once, /readyz names redis, a line per try, ready once it answers', async () => {
  const redis = await TestRedisServer.start();
  cleanups.push(() => redis.close());
  await redis.stop('kill'); // its port, with nothing listening: "connection refused", as for a Redis not up yet
  const standIn = await BotApiStandIn.start({ token: TEST_TOKEN });
  cleanups.push(() => standIn.close());
  const proc = started(
    spawnService('all', {
      ...baseEnv(),
      REDIS_URL: redis.url,
      BOT_TOKEN: TEST_TOKEN,
      TELEGRAM_API_ROOT: standIn.apiRoot,
    }),
  );
  const ops = await opsUrl(proc);
  await proc.waitForLog(/"msg":"Redis at redis:\/\/127\.0\.0\.1:\d+ not reachable [^"]*: try 3 in/);
  const down = await readiness(ops);
  assert.equal(down.code, 503);
  assert.match(
    String(down.body.checks.redis),
    /^unreachable: connect ECONNREFUSED 127\.0\.0\.1:\d+ \(try \d+ in \d+ ms\)$/,
  );
  assert.deepEqual(
    [down.body.checks.model, down.body.checks.telegram, down.body.checks.bot],
    ['not loaded yet', 'not reached yet', 'not polling'],
  );
  const tries = retryLines(proc, 'redis');
  assertOneLinePerTry(tries);
  assert.match(tries[0]?.msg ?? '', /docker compose up -d redis.*REDIS_URL/, 'the first line says what to do');

  await redis.restart(0);
  await proc.waitForLog(/"msg":"bot polling"/);
  const up = await poll(async () => {
    const state = await readiness(ops);
    return state.code === 200 && state;
  });
  assert.deepEqual(up.body.checks, { redis: true, model: true, bot: true, telegram: true });
  assert.equal(await proc.stop('SIGTERM'), 0);
});

/** SIGTERM once `state` is reached: the process ends its start-up there and exits 0, saying so. */
async function assertStopsCleanly(proc: ServiceProcess): Promise<void> {
  assert.equal(await proc.stop('SIGTERM'), 0);
  assert.match(proc.stdout(), /"msg":"shutting down"/);
  assert.match(proc.stdout(), /"msg":"stopped during start-up"/);
  assert.doesNotMatch(proc.stdout(), /did not stop within/);
}

test('SIGTERM while waiting for Redis: exits 0', async () => {
  const proc = started(
    spawnService('all', { ...baseEnv(), REDIS_URL: `redis://127.0.0.1:${await freePort()}`, BOT_TOKEN: TEST_TOKEN }),
  );
  await proc.waitForLog(/"msg":"Redis at [^"]* not reachable/);
  await assertStopsCleanly(proc);
});

test('SIGTERM while waiting for Telegram: exits 0', async () => {
  const proc = started(
    spawnService('bot', {
      ...baseEnv(),
      BOT_TOKEN: TEST_TOKEN,
      TELEGRAM_API_ROOT: `http://127.0.0.1:${await freePort()}`,
    }),
  );
  await proc.waitForLog(/"msg":"Telegram at [^"]* not reachable/);
  await assertStopsCleanly(proc);
});

test('SIGTERM while the model loads: exits 0', async () => {
  // The 84 MB Xception stand-in: long enough a load to be caught in the act.
  const proc = started(spawnService('worker', { ...baseEnv(), MODEL: 'xception-random', GATE_MODEL: 'none' }));
  const ops = await opsUrl(proc);
  await poll(async () => (await readiness(ops)).body.checks.model === 'loading', { intervalMs: 5 });
  await assertStopsCleanly(proc);
  assert.doesNotMatch(proc.stdout(), /"msg":"model loaded"/);
});

/** A web server that takes requests and never answers them: a batch job reading from it runs until it is aborted. */
async function silentServer(): Promise<{ url: string; requests: () => number }> {
  let requests = 0;
  const server: Server = createServer(() => {
    requests++;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/dog.jpg`, requests: () => requests };
}

test('a stop that outlives SHUTDOWN_TIMEOUT_MS: it names what did not stop and exits anyway (1)', async () => {
  const env = { ...baseEnv(), SHUTDOWN_TIMEOUT_MS: '1000', BATCH_WORKER_CONCURRENCY: '1' };
  const proc = started(spawnService('worker', env));
  await proc.waitForLog(/"msg":"model loaded"/);
  const never = await silentServer();
  const redis = await connectRedis(REDIS_URL);
  const queue = createBatchQueue({ connection: redis, prefix: env.QUEUE_PREFIX, modelId: 'mobilenetv2-imagenet' });
  try {
    await enqueueBatch(queue, 'mobilenetv2-imagenet', [{ source: { kind: 'url', url: never.url }, key: never.url }]);
    await poll(() => never.requests() > 0, { label: 'the worker fetching the photo', timeoutMs: 20_000 });
  } finally {
    await queue.close();
    redis.disconnect();
  }
  assert.equal(await proc.stop('SIGTERM'), 1);
  assert.match(
    proc.stdout(),
    /"msg":"did not stop within 1000 ms \(still stopping: batch worker \(jobs in flight\)\): exiting anyway; jobs still held go back to the queue when their locks expire"/,
  );
});

/** The configuration of a `dog-breeds` command run in this process, against the processes' Redis and prefix. */
function cliConfig(env: Record<string, string>): Config {
  return configSchema.parse({ ...env, MODELS_DIR, DEVICE: 'cpu' });
}

test('batch without a worker says so and how to start one; a worker without BOT_TOKEN then serves it', async () => {
  const env = baseEnv();
  const out = path.join(await temp.make('start-up-batch'), 'results.jsonl');
  const photos = [image('dogs/boxer-5e7846c317a2.jpg'), image('dogs/beagle-4aea27da2a0b.jpg')];
  const cli = started(spawnCli(['batch', ...photos, '--out', out], { ...env, MODELS_DIR, DEVICE: 'cpu' }));
  await cli.waitForLog(
    /No worker is listening on batch-mobilenetv2-imagenet: start one \(`npm run worker` with MODEL=mobilenetv2-imagenet; no BOT_TOKEN needed for batch jobs\), or run this again with --local\. Waiting/,
  );
  assert.equal(cli.child.exitCode, null, 'it keeps waiting: the photos stay queued');

  const worker = started(spawnService('worker', env));
  await worker.waitForLog(/"msg":"no BOT_TOKEN: chat photos are not served \(batch jobs only\)"/);
  assert.equal(await cli.exited, 0);
  assert.match(cli.stdout(), /done: 2\/2 photos/);
  const rows = (await readFile(out, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  assert.deepEqual(rows.map((r) => [r.ok, r.model]).sort(), [
    [true, 'mobilenetv2-imagenet'],
    [true, 'mobilenetv2-imagenet'],
  ]);

  // Ready, with what it does not serve as a note (a batch-only worker must be able to be healthy).
  const ready = await readiness(await opsUrl(worker));
  assert.deepEqual(ready, {
    code: 200,
    body: {
      status: 'ready',
      checks: { redis: true, model: true },
      notes: { photos: 'no BOT_TOKEN: chat photos are not served (batch jobs only)' },
    },
  });

  // A job that needs Telegram (reprocessing a chat photo by its file id) gets a clear error of its own.
  const results: BatchJobResult[] = [];
  const summary = await runBatch({
    config: cliConfig(env),
    modelId: 'mobilenetv2-imagenet',
    modelRef: 'mobilenetv2-imagenet',
    items: [{ data: { source: { kind: 'telegram', fileId: 'AgACAgIAAxkBAAIB' }, key: 'telegram:AgACAgIAAxkBAAIB' } }],
    local: false,
    logger: createLogger({ level: 'silent' }),
    onResult: async (_item, result) => {
      results.push(result);
    },
    say: () => undefined,
  });
  assert.equal(summary.finished, 1);
  assert.deepEqual(results, [{ ok: false, problem: 'file-unavailable', message: 'this worker has no BOT_TOKEN' }]);
  assert.equal(await worker.stop('SIGTERM'), 0, 'a running worker stops cleanly');
});
