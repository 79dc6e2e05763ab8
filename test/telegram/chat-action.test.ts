/**
 * "typing…" through the real API client (grammY with its retries) and the Bot API stand-in over HTTP: kept up every
 * CHAT_ACTION_RENEW_MS until stopped, and nothing sent after; a failed renewal reported and the next one still made;
 * one chat action never waited for past its own lifetime (a 429 asking for 10 s is given up).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { BotApiStandIn, privateChat, user } from '../../src/playground/bot-api/stand-in.ts';
import { CHAT_ACTION_RENEW_MS, createTelegramApi, keepTyping, sendTyping } from '../../src/telegram/index.ts';
import { TEST_TOKEN } from '../support/app-harness.ts';
import { waitFor } from '../support/poll.ts';

let standIn: BotApiStandIn;
before(async () => {
  standIn = await BotApiStandIn.start({ token: TEST_TOKEN });
});
after(async () => {
  await standIn.close();
});

function chatWithBot(id: number) {
  const from = user(id);
  const chat = privateChat(from);
  standIn.sendText({ chat, from, text: 'hi' });
  return chat;
}

test('kept up until stopped, a failed renewal reported, nothing after the stop', async () => {
  const chat = chatWithBot(8100);
  const api = createTelegramApi({ token: TEST_TOKEN, apiRoot: standIn.apiRoot });
  const errors: unknown[] = [];
  // The first call fails (a 400: not retried); the renewals after it go through.
  standIn.injectFault({
    method: 'sendChatAction',
    fault: { kind: 'status', status: 400, description: 'Bad Request: injected' },
  });
  const typing = keepTyping(api, chat.id, (error) => errors.push(error));
  try {
    await waitFor(standIn, () => standIn.chatActionsIn(chat.id).length >= 2, {
      timeoutMs: 3 * CHAT_ACTION_RENEW_MS,
      label: 'two chat actions after the failed one',
    });
  } finally {
    typing.stop();
  }
  assert.equal(errors.length, 1, 'the failed call reported once');
  assert.deepEqual(
    standIn.chatActionsIn(chat.id).map((a) => a.action),
    ['typing', 'typing'],
  );
  const calls = standIn.calls.filter((c) => c.method === 'sendChatAction' && c.params.chat_id === chat.id).length;
  await sleep(CHAT_ACTION_RENEW_MS + 500);
  assert.equal(
    standIn.calls.filter((c) => c.method === 'sendChatAction' && c.params.chat_id === chat.id).length,
    calls,
    'no call after stop()',
  );
});

test('after a "typing…" shown a moment ago, the first renewal waits until that one is about to end', async () => {
  const chat = chatWithBot(8150);
  const api = createTelegramApi({ token: TEST_TOKEN, apiRoot: standIn.apiRoot });
  const calls = () => standIn.calls.filter((c) => c.method === 'sendChatAction' && c.params.chat_id === chat.id);
  const shownAt = Date.now() - (CHAT_ACTION_RENEW_MS - 1500);
  const typing = keepTyping(api, chat.id, (error) => assert.fail(String(error)), shownAt);
  try {
    await sleep(500);
    assert.equal(calls().length, 0, 'nothing sent while the earlier one still shows');
    await waitFor(standIn, () => calls().length === 1, { timeoutMs: 3000, label: 'the first renewal' });
    assert.ok((calls()[0]?.at ?? 0) >= shownAt + CHAT_ACTION_RENEW_MS - 50, 'not before the earlier one ends');
  } finally {
    typing.stop();
  }
});

test('a 429 asking for longer than a chat action lasts is given up, not waited out', async () => {
  const chat = chatWithBot(8101);
  const api = createTelegramApi({ token: TEST_TOKEN, apiRoot: standIn.apiRoot });
  standIn.injectFault({ method: 'sendChatAction', fault: { kind: 'status', status: 429, retryAfter: 10 } });
  await assert.rejects(sendTyping(api, chat.id));
  assert.deepEqual(standIn.chatActionsIn(chat.id), [], 'the retry after 10 s was never made');
});
