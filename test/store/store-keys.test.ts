/**
 * The key builder names every key family of the app's own Redis data, and no other file in src/ builds a key name
 * (a `${prefix}:…` template or `prefix + ':'`): a new store adds its family to StoreKeys instead.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { StoreKeys } from '../../src/store/index.ts';
import { ROOT } from '../support/paths.ts';

test('every key family is <prefix>:<family>[:<id>…]', () => {
  const keys = new StoreKeys('dogs');
  assert.equal(keys.prefix, 'dogs');
  assert.deepEqual(
    {
      history: keys.history(),
      language: keys.language(),
      feedback: keys.feedback(),
      feedbackByTime: keys.feedbackByTime(),
      answer: keys.answer(-1001, 42),
      answersOf: keys.answersOf(7),
      awaitingBreed: keys.awaitingBreed(7),
      worker: keys.worker('host-123'),
      everyWorker: keys.everyWorker(),
      rateLimit: keys.rateLimit(7),
      rateLimitWarned: keys.rateLimitWarned(7),
      updateClaim: keys.updateClaim(901),
    },
    {
      history: 'dogs:history',
      language: 'dogs:language',
      feedback: 'dogs:feedback',
      feedbackByTime: 'dogs:feedback:at',
      answer: 'dogs:answer:-1001:42',
      answersOf: 'dogs:answers-of:7',
      awaitingBreed: 'dogs:awaiting-breed:7',
      worker: 'dogs:worker:host-123',
      everyWorker: 'dogs:worker:*',
      rateLimit: 'dogs:ratelimit:7',
      rateLimitWarned: 'dogs:ratelimit-warned:7',
      updateClaim: 'dogs:update:901',
    },
  );
});

/** A Redis key name built by hand: `${prefix}:`, `${this.prefix}:`, `${config.QUEUE_PREFIX}:`, or `prefix + ':'`. */
const HAND_BUILT_KEY = /`\$\{[\w.]*prefix\}:|prefix\s*\+\s*['"`]:/i;

test('the pattern catches hand-built key names', () => {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: lines of source code, as the scan below reads them
  const handBuilt = ['`${prefix}:x`', '`${this.prefix}:x:${id}`', '`${config.QUEUE_PREFIX}:x`', "prefix + ':x'"];
  for (const line of handBuilt) assert.match(line, HAND_BUILT_KEY);
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a line of source code (a hash field, not a key name)
  assert.doesNotMatch('`${userId}:${chatId}`', HAND_BUILT_KEY);
});

test('no file in src/ but store/store-keys.ts builds a Redis key name', () => {
  const src = path.join(ROOT, 'src');
  const builder = path.join('store', 'store-keys.ts');
  const offenders = readdirSync(src, { recursive: true, encoding: 'utf8' })
    .filter((file) => /\.[cm]?[jt]s$/.test(file) && file !== builder)
    .flatMap((file) =>
      readFileSync(path.join(src, file), 'utf8')
        .split('\n')
        .flatMap((line, i) => (HAND_BUILT_KEY.test(line) ? [`src/${file}:${i + 1}: ${line.trim()}`] : [])),
    );
  assert.deepEqual(offenders, []);
});
