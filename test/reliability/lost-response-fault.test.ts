/**
 * The stand-in's "lose-response" fault: the call is carried out (the message is in the chat), then the connection is
 * dropped, so the client sees a network error — as when Telegram's response to a processed call is lost.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Api } from 'grammy';
import { BotApiStandIn, privateChat, user } from '../../src/playground/bot-api/stand-in.ts';
import { TEST_TOKEN } from '../support/app-harness.ts';

let standIn: BotApiStandIn | undefined;
after(async () => {
  await standIn?.close();
});

test('a lost response: the message is sent, the caller gets a network error', async () => {
  standIn = await BotApiStandIn.start({ token: TEST_TOKEN });
  const from = user(7700);
  const chat = privateChat(from);
  standIn.sendText({ chat, from, text: 'hello' });
  const api = new Api(TEST_TOKEN, { apiRoot: standIn.apiRoot });
  standIn.injectFault({ method: 'sendMessage', fault: { kind: 'lose-response' } });
  await assert.rejects(api.sendMessage(chat.id, 'first'));
  const again = await api.sendMessage(chat.id, 'second');
  assert.deepEqual(
    standIn.botMessagesIn(chat.id).map((m) => m.text),
    ['first', 'second'],
    'the call whose response was lost was carried out',
  );
  assert.ok(again.message_id > 0);
  assert.equal(standIn.calls.filter((c) => c.injected === 'lose-response').length, 1);
});
