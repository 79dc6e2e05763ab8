/**
 * The service as a process (`src/main.ts`), the way an admin starts it: clear one-line failures for what an admin
 * can fix, and a clean exit on SIGTERM.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFile, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { deleteKeysWithPrefix, REDIS_URL, TEST_TOKEN } from '../support/app-harness.ts';
import { BotApiStandIn } from '../../src/playground/bot-api/stand-in.ts';
import { MODELS_DIR, ROOT } from '../support/paths.ts';

const MAIN = path.join(ROOT, 'src/main.ts');
// Resolved here: the child runs in an empty folder where a bare `--import tsx` would not be found.
const TSX = import.meta.resolve('tsx');
let emptyDir: string;

before(async () => {
  // Run from an empty folder, so a developer's own .env does not leak into these tests.
  emptyDir = await mkdtemp(path.join(os.tmpdir(), 'dog-breeds-process-'));
});

interface Run {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exited: Promise<number | null>;
}

function run(env: Record<string, string>, role = 'all'): Run {
  const child = spawn(process.execPath, ['--import', TSX, MAIN, role], {
    cwd: emptyDir,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_PATH: path.join(ROOT, 'node_modules'),
      MODELS_DIR,
      DEVICE: 'cpu',
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

test('without BOT_TOKEN: one line saying how to get one', async () => {
  const r = run({ REDIS_URL });
  assert.equal(await r.exited, 1);
  assertOneClearLine(r, /BOT_TOKEN is not set.*@BotFather/);
});

test('Redis unreachable: one line saying what to do', async () => {
  const r = run({ BOT_TOKEN: TEST_TOKEN, REDIS_URL: 'redis://127.0.0.1:1' });
  assert.equal(await r.exited, 1);
  assertOneClearLine(r, /Cannot reach Redis at redis:\/\/127\.0\.0\.1:1.*REDIS_URL/);
});

test('model file missing: one line saying how to get it', async () => {
  // A models folder with the manifests and labels but no .onnx file.
  const models = await mkdtemp(path.join(os.tmpdir(), 'dog-breeds-models-'));
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
    const r = run(
      { BOT_TOKEN: wrongToken, TELEGRAM_API_ROOT: standIn.apiRoot, REDIS_URL, QUEUE_PREFIX: 'test-wrongtoken' },
      'bot',
    );
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
});

test('SIGTERM: stops polling, finishes, closes Redis, exits 0', async () => {
  standIn = await BotApiStandIn.start({ token: TEST_TOKEN });
  const prefix = `test-sigterm-${process.pid}`;
  const r = run({ BOT_TOKEN: TEST_TOKEN, TELEGRAM_API_ROOT: standIn.apiRoot, REDIS_URL, QUEUE_PREFIX: prefix });
  await standIn.waitFor(() => r.stdout.includes('"bot polling"'), { timeoutMs: 30_000 });
  r.child.kill('SIGTERM');
  assert.equal(await r.exited, 0);
  assert.match(r.stdout, /"msg":"stopped"/);
  await deleteKeysWithPrefix(REDIS_URL, prefix);
});
