/**
 * A burst of Bot API calls goes over a bounded pool of keep-alive connections (BOT_API_MAX_SOCKETS per client), not a
 * new connection per call: the worker's client, and the bot's as the app runs it. The stand-in answers each
 * sendChatAction late, so every call of the burst is in flight at once; the stand-in counts the TCP connections.
 * Each test has its own stand-in: connections kept alive by one test's client must not be what the next one reuses.
 * Answers sent chunked, with calls waiting for a connection, are each taken once (grammY's node-fetch saw a false
 * "Premature close" and sent 80 of 120 again).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { afterEach, beforeEach, test } from 'node:test';
import { BotApiStandIn, privateChat, user } from '../../src/playground/bot-api/stand-in.ts';
import { BOT_API_MAX_SOCKETS, createTelegramApi, sendTyping } from '../../src/telegram/index.ts';
import { startHarness, TEST_TOKEN } from '../support/app-harness.ts';
import { image } from '../support/paths.ts';
import { waitFor } from '../support/poll.ts';

const BURST = 3 * BOT_API_MAX_SOCKETS;
const LATE_MS = 300;

let standIn: BotApiStandIn;
beforeEach(async () => {
  standIn = await BotApiStandIn.start({ token: TEST_TOKEN });
});
afterEach(async () => {
  await standIn.close();
});

test(`the worker's client: ${BURST} calls at once use at most ${BOT_API_MAX_SOCKETS} connections`, async () => {
  const chats = Array.from({ length: BURST }, (_, i) => {
    const from = user(9200 + i);
    const chat = privateChat(from);
    standIn.sendText({ chat, from, text: 'hi' });
    return chat;
  });
  const api = createTelegramApi({ token: TEST_TOKEN, apiRoot: standIn.apiRoot });
  standIn.injectFault({ method: 'sendChatAction', times: BURST, fault: { kind: 'delay', ms: LATE_MS } });
  const before = standIn.connectionsOpened;
  await Promise.all(chats.map((chat) => sendTyping(api, chat.id)));
  for (const chat of chats) assert.equal(standIn.chatActionsIn(chat.id).length, 1, `one "typing…" in ${chat.id}`);
  const opened = standIn.connectionsOpened - before;
  assert.ok(opened <= BOT_API_MAX_SOCKETS, `${opened} connections for ${BURST} calls in flight at once`);
  assert.ok(opened > 1, 'the calls went out side by side, not one by one');
});

test(`the bot: a burst of ${BURST} people's photos uses at most ${BOT_API_MAX_SOCKETS} connections`, async () => {
  // The bot alone: no worker's client talks to the stand-in, so every connection is the bot's.
  const h = await startHarness({}, { roles: ['bot'] });
  try {
    const photo = await readFile(image('dogs/beagle-4aea27da2a0b.jpg'));
    h.standIn.injectFault({ method: 'sendChatAction', times: BURST, fault: { kind: 'delay', ms: LATE_MS } });
    const people = Array.from({ length: BURST }, (_, i) => {
      const from = user(9400 + i);
      return { from, chat: privateChat(from) };
    });
    await Promise.all(people.map((p) => h.standIn.sendPhoto({ ...p, file: photo })));
    await waitFor(h.standIn, () => people.every((p) => h.standIn.chatActionsIn(p.chat.id).length > 0), {
      timeoutMs: 30_000,
      label: `"typing…" in all ${BURST} chats`,
    });
    const opened = h.standIn.connectionsOpened;
    assert.ok(opened <= BOT_API_MAX_SOCKETS, `the bot opened ${opened} connections for ${BURST} photos`);
  } finally {
    await h.close();
  }
});

test(`answers sent chunked (a self-hosted Bot API server, a proxy): ${BURST} calls over the pool, each sent once`, async () => {
  const from = user(9600);
  const chat = privateChat(from);
  standIn.sendText({ chat, from, text: 'hi' });
  const api = createTelegramApi({ token: TEST_TOKEN, apiRoot: standIn.apiRoot });
  // Twice the burst: a call retried gets a chunked answer too.
  standIn.injectFault({ method: 'sendMessage', times: 2 * BURST, fault: { kind: 'chunked' } });
  const texts = Array.from({ length: BURST }, (_, i) => `reply ${i}`);
  // More calls than connections: calls wait for a kept-alive connection a previous answer frees.
  await Promise.all(texts.map((text) => api.sendMessage(chat.id, text)));
  const sent = standIn.calls.filter((c) => c.method === 'sendMessage');
  assert.ok(
    sent.every((c) => c.injected === 'chunked'),
    'every answer was chunked',
  );
  assert.equal(sent.length, BURST, 'no call sent again');
  assert.deepEqual(
    standIn
      .botMessagesIn(chat.id)
      .map((m) => m.text)
      .sort(),
    texts.sort(),
    'each reply sent exactly once',
  );
  assert.ok(standIn.connectionsOpened <= BOT_API_MAX_SOCKETS, `${standIn.connectionsOpened} connections`);
});
