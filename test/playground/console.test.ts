/**
 * The playground's console, as `npm start` without BOT_TOKEN shows it: the address stays on screen, each answer is
 * one short line, and the JSON log lines go to a file named once at start — or to stdout with LOG_FORMAT=json.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, test } from 'node:test';
import { humanLine } from '../../src/playground/console-log.ts';
import { deleteKeysWithPrefix, REDIS_URL } from '../support/app-harness.ts';
import { ROOT, readImage } from '../support/paths.ts';
import { type ServiceProcess, spawnService } from '../support/service-process.ts';
import { tempDirs } from '../support/temp-dirs.ts';

const temp = tempDirs();
const prefixes: string[] = [];
const running: ServiceProcess[] = [];

after(async () => {
  await Promise.all(running.map((p) => p.stop('SIGKILL')));
  for (const prefix of prefixes) await deleteKeysWithPrefix(REDIS_URL, prefix);
  await temp.removeAll();
});

/** The playground as `npm start` runs it, from an empty folder (no .env), its temp files in a folder of the test's. */
async function startPlaygroundProcess(env: Record<string, string> = {}): Promise<{ p: ServiceProcess; url: string }> {
  const dir = await temp.make('playground-console');
  const prefix = `test-playground-console-${randomUUID().slice(0, 8)}`;
  prefixes.push(prefix);
  const p = spawnService(
    'all',
    {
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      PLAYGROUND_PORT: '0',
      TMPDIR: dir,
      NODE_PATH: path.join(ROOT, 'node_modules'),
      ...env,
    },
    dir,
  );
  running.push(p);
  await p.waitForLog(/^Playground: http:\/\/localhost:\d+$/m, 60_000);
  const url = /^Playground: (http:\/\/localhost:\d+)$/m.exec(p.stdout())?.[1] ?? '';
  return { p, url };
}

async function sendPhoto(url: string): Promise<void> {
  const form = new FormData();
  const bytes = await readImage('dogs/papillon-cba2c69da143.jpg');
  form.append('file0', new Blob([new Uint8Array(bytes)], { type: 'image/jpeg' }), 'papillon.jpg');
  const res = await fetch(`${url}/playground/photos`, { method: 'POST', body: form });
  assert.equal(res.status, 200, await res.text());
}

test('the console: the address, where the logs are, one line per answer, no JSON; the JSON lines in the file', async () => {
  const { p, url } = await startPlaygroundProcess();
  await p.waitForLog(/^Logs: \S+ /m);
  const file = /^Logs: (\S+) /m.exec(p.stdout())?.[1] ?? '';
  assert.ok(path.isAbsolute(file), p.stdout());

  await sendPhoto(url);
  await p.waitForLog(/^\d\d:\d\d:\d\d answered: Papillon \d+% \(\d+\.\d s\)$/m, 60_000);
  assert.equal(await p.stop('SIGTERM'), 0);

  const lines = p.stdout().trim().split('\n');
  const expected = [/^Playground: http:/, /^Open it in a browser/, /^Logs: /, /^\d\d:\d\d:\d\d answered: Papillon/];
  assert.equal(lines.length, expected.length, `the console:\n${p.stdout()}`);
  expected.forEach((pattern, i) => {
    assert.match(lines[i] ?? '', pattern);
  });
  assert.equal(p.stderr(), '');

  const logged = (await readFile(file, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { msg: string; name: string });
  const messages = logged.map((l) => l.msg);
  for (const message of ['model loaded', 'bot polling', 'photo answered', 'shutting down', 'stopped']) {
    assert.ok(messages.includes(message), `"${message}" in the log file: ${messages.join(' | ')}`);
  }
});

test('LOG_FORMAT=json: the JSON lines on stdout, no log file', async () => {
  const { p, url } = await startPlaygroundProcess({ LOG_FORMAT: 'json' });
  await sendPhoto(url);
  await p.waitForLog(/"msg":"photo answered"/, 60_000);
  assert.equal(await p.stop('SIGTERM'), 0);
  assert.doesNotMatch(p.stdout(), /^Logs: /m);
  assert.doesNotMatch(p.stdout(), /answered: Papillon/);
  assert.match(p.stdout(), /^\{.*"msg":"model loaded"/m);
});

test('the console lines: an answer, a problem; nothing for the rest', () => {
  const line = (record: object) => humanLine(JSON.stringify(record))?.replace(/^\d\d:\d\d:\d\d /, '');
  assert.equal(
    line({
      level: 'info',
      msg: 'photo answered',
      outcome: 'answered',
      top1: 'golden_retriever',
      p: 0.874,
      dogs: 2,
      jobMs: 912,
    }),
    'answered: Golden retriever 87%, 2 dogs (0.9 s)',
  );
  assert.equal(
    line({ level: 'info', msg: 'photo answered', outcome: 'not-a-dog', jobMs: 400 }),
    'answered: not a dog (0.4 s)',
  );
  assert.equal(
    line({ level: 'warn', msg: 'Telegram unreachable', err: { message: 'ECONNREFUSED' } }),
    'warn: Telegram unreachable: ECONNREFUSED',
  );
  assert.equal(line({ level: 'info', msg: 'photo queued' }), undefined);
  assert.equal(humanLine('not JSON: said as it is'), 'not JSON: said as it is');
});
