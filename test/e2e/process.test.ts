/**
 * The service as a process (`src/main.ts`), the way an admin starts it: clear one-line failures for what an admin
 * can fix, a clean exit on SIGTERM, and the local playground when there is no BOT_TOKEN.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFile, cp, symlink } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { BotApiStandIn } from '../../src/playground/bot-api/stand-in.ts';
import { deleteKeysWithPrefix, REDIS_URL, TEST_TOKEN } from '../support/app-harness.ts';
import { MODELS_DIR, ROOT } from '../support/paths.ts';
import { waitFor } from '../support/poll.ts';
import { tempDirs } from '../support/temp-dirs.ts';

const MAIN = path.join(ROOT, 'src/main.ts');
// Resolved here: the child runs in an empty folder where a bare `--import tsx` would not be found.
const TSX = import.meta.resolve('tsx');
const temp = tempDirs();
let emptyDir: string;
/** The children's TMPDIR: what they make there (the playground's private Redis folder) goes with the test's own. */
let childTempDir: string;
/** Every QUEUE_PREFIX a child was given: their keys are deleted after the tests, whatever the children left. */
const prefixes: string[] = [];

function uniquePrefix(name: string): string {
  const prefix = `test-process-${name}-${randomUUID().slice(0, 8)}`;
  prefixes.push(prefix);
  return prefix;
}

before(async () => {
  // Run from an empty folder, so a developer's own .env does not leak into these tests.
  emptyDir = await temp.make('process');
  childTempDir = await temp.make('process-children');
});

interface Run {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exited: Promise<number | null>;
}

function run(env: Record<string, string>, role = 'all', main = MAIN): Run {
  const child = spawn(process.execPath, ['--import', TSX, main, role], {
    cwd: emptyDir,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_PATH: path.join(ROOT, 'node_modules'),
      MODELS_DIR,
      DEVICE: 'cpu',
      OPS_PORT: '0',
      TMPDIR: childTempDir,
      // Never the default prefix: a child that reaches Redis writes only under keys this file deletes.
      QUEUE_PREFIX: uniquePrefix(role),
      ...env,
    },
  });
  const result: Run = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
  };
  child.stdout?.on('data', (chunk: Buffer) => {
    result.stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    result.stderr += chunk.toString();
  });
  return result;
}

function assertOneClearLine(r: Run, pattern: RegExp): void {
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0] ?? '', pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

test('the bot role without BOT_TOKEN: one line saying how to get one', async () => {
  const r = run({ REDIS_URL }, 'bot');
  assert.equal(await r.exited, 1);
  assertOneClearLine(r, /BOT_TOKEN is not set.*@BotFather/);
});

test('a worker without BOT_TOKEN and no batch jobs to take: one line saying it would serve nothing', async () => {
  const r = run({ REDIS_URL, BATCH_WORKER_CONCURRENCY: '0' }, 'worker');
  assert.equal(await r.exited, 1);
  assertOneClearLine(r, /would serve nothing.*Set BOT_TOKEN.*BATCH_WORKER_CONCURRENCY above 0/);
});

test('all roles without BOT_TOKEN where the playground page is not installed: one line saying what to set', async () => {
  // An installed build's layout: the code, without src/playground/web (the build does not ship it).
  const installed = await temp.make('installed');
  const page = path.join(ROOT, 'src/playground/web');
  await cp(path.join(ROOT, 'src'), path.join(installed, 'src'), {
    recursive: true,
    filter: (source) => source !== page && !source.startsWith(`${page}${path.sep}`),
  });
  await copyFile(path.join(ROOT, 'package.json'), path.join(installed, 'package.json'));
  await symlink(path.join(ROOT, 'node_modules'), path.join(installed, 'node_modules'));
  const r = run({ REDIS_URL, PLAYGROUND_PORT: '0' }, 'all', path.join(installed, 'src/main.ts'));
  assert.equal(await r.exited, 1);
  assertOneClearLine(
    r,
    /^dog-breeds: BOT_TOKEN is not set: set it to the token @BotFather gave you.*not part of this installation/,
  );
  assert.equal(r.stdout, '', 'nothing started');
});

/** Resolves with the first match of `pattern` on stdout; rejects if the process ends first or time runs out. */
async function waitForOutput(r: Run, pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
  let exited = false;
  void r.exited.then(() => {
    exited = true;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const match = pattern.exec(r.stdout);
    if (match) return match;
    if (exited) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no ${pattern} on stdout.\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
}

/** The playground's generated token is `7000000001:` and 36 more characters: never printed. */
const PLAYGROUND_TOKEN = /7000000001:[A-Za-z0-9_-]{20,}/;

test('all roles without BOT_TOKEN: the playground starts, prints its address, serves the page, SIGTERM exits 0', async () => {
  const r = run({ REDIS_URL, PLAYGROUND_PORT: '0', OPS_PORT: '0' });
  try {
    const [, port] = await waitForOutput(r, /^Playground: http:\/\/localhost:(\d+)$/m);
    const page = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>Dog Breeds · playground<\/title>/);
    r.child.kill('SIGTERM');
    assert.equal(await r.exited, 0);
    assert.doesNotMatch(`${r.stdout}${r.stderr}`, PLAYGROUND_TOKEN);
  } finally {
    r.child.kill('SIGKILL');
  }
});

test('playground with REDIS_URL unreachable: a private redis-server, stopped on exit', async () => {
  const r = run({ REDIS_URL: 'redis://127.0.0.1:1', PLAYGROUND_PORT: '0', OPS_PORT: '0' });
  try {
    const [, redisPort] = await waitForOutput(r, /started a private one on redis:\/\/127\.0\.0\.1:(\d+)/);
    await waitForOutput(r, /^Playground: http:\/\/localhost:\d+$/m);
    const redis = new Redis(Number(redisPort), '127.0.0.1', { lazyConnect: true, retryStrategy: () => null });
    redis.on('error', () => undefined);
    await redis.connect();
    assert.equal(await redis.ping(), 'PONG');
    redis.disconnect();
    r.child.kill('SIGTERM');
    assert.equal(await r.exited, 0);
    const gone = new Redis(Number(redisPort), '127.0.0.1', { lazyConnect: true, retryStrategy: () => null });
    gone.on('error', () => undefined);
    await assert.rejects(gone.connect(), 'the private Redis is stopped with the playground');
    gone.disconnect();
  } finally {
    r.child.kill('SIGKILL');
  }
});

test('playground with no Redis at all: one line saying how to get one', async () => {
  // No redis-server on this PATH (node itself is started by its full path).
  const r = run({ REDIS_URL: 'redis://127.0.0.1:1', PLAYGROUND_PORT: '0', OPS_PORT: '0', PATH: '/nonexistent' });
  assert.equal(await r.exited, 1);
  assertOneClearLine(
    r,
    /needs Redis.*no redis-server on the PATH.*docker compose up -d redis.*apt-get install redis-server/,
  );
});

test('model file missing: one line saying how to get it', async () => {
  // A models folder with the manifests and labels but no .onnx file.
  const models = await temp.make('models');
  for (const file of ['mobilenetv2-imagenet.json', 'breeds.json'])
    await copyFile(path.join(MODELS_DIR, file), path.join(models, file));
  const r = run({ BOT_TOKEN: TEST_TOKEN, REDIS_URL, MODELS_DIR: models }, 'worker');
  assert.equal(await r.exited, 1);
  assertOneClearLine(r, /not found.*npm run model:pull -- mobilenetv2-imagenet/);
});

test('an invalid setting: one line naming it', async () => {
  const r = run({ BOT_TOKEN: TEST_TOKEN, DEVICE: 'tpu' });
  assert.equal(await r.exited, 1);
  assertOneClearLine(r, /DEVICE/);
});

test('Telegram refusing the token: one line, and the token is not in it', async () => {
  const standIn = await BotApiStandIn.start({ token: TEST_TOKEN });
  const wrongToken = '987654321:AAF-a_wrong_token_that_telegram_refuses_99';
  try {
    const r = run({ BOT_TOKEN: wrongToken, TELEGRAM_API_ROOT: standIn.apiRoot, REDIS_URL }, 'bot');
    assert.equal(await r.exited, 1);
    assertOneClearLine(r, /refused BOT_TOKEN/);
    assert.ok(!`${r.stdout}${r.stderr}`.includes(wrongToken.split(':')[1] as string), 'token in output');
  } finally {
    await standIn.close();
  }
});

let standIn: BotApiStandIn | undefined;
after(async () => {
  await standIn?.close();
  for (const prefix of prefixes) await deleteKeysWithPrefix(REDIS_URL, prefix);
  await temp.removeAll();
});

test('SIGTERM: stops polling, finishes, closes Redis, exits 0', async () => {
  standIn = await BotApiStandIn.start({ token: TEST_TOKEN });
  const r = run({ BOT_TOKEN: TEST_TOKEN, TELEGRAM_API_ROOT: standIn.apiRoot, REDIS_URL });
  await waitFor(standIn, () => r.stdout.includes('"bot polling"'), { timeoutMs: 30_000 });
  r.child.kill('SIGTERM');
  assert.equal(await r.exited, 0);
  assert.match(r.stdout, /"msg":"stopped"/);
});
