/**
 * Photos and image files over Telegram's 20 MB download limit, through the bot and the Bot API stand-in: a file is
 * asked to come again as a photo (Telegram then makes it smaller), a photo is asked for a smaller one — never told to
 * "send it as a photo".
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { privateChat, user } from '../../src/playground/bot-api/stand-in.ts';
import { type Harness, startHarness } from '../support/app-harness.ts';
import { waitForReplyTo } from '../support/poll.ts';

const OVER_LIMIT = 25 * 1024 * 1024;
let h: Harness;
let nextUserId = 91_000;

before(async () => {
  h = await startHarness();
});
after(() => h.close());

function person(languageCode: string) {
  const from = user(nextUserId++, { languageCode });
  return { from, chat: privateChat(from) };
}

async function replyText(chatId: number, messageId: number, pattern: RegExp): Promise<string> {
  const reply = await waitForReplyTo(h.standIn, chatId, messageId, (text) => pattern.test(text));
  return reply.text ?? '';
}

describe('over 20 MB', () => {
  it('a photo: asked for a smaller one, not to send it as a photo', async () => {
    const { from, chat } = person('en');
    const file = h.standIn.addFile(Buffer.from('x'), { mimeType: 'image/jpeg', reportedSize: OVER_LIMIT });
    const sent = await h.standIn.sendPhoto({ chat, from, file });
    const text = await replyText(chat.id, sent.message_id, /over 20 MB/);
    assert.match(text, /That photo is over 20 MB.*smaller one/);
    assert.doesNotMatch(text, /as a photo/);
  });

  it('an image file: asked to send it as a photo instead', async () => {
    const { from, chat } = person('en');
    const file = h.standIn.addFile(Buffer.from('x'), { mimeType: 'image/jpeg', reportedSize: OVER_LIMIT });
    const sent = h.standIn.sendDocument({ chat, from, file, mimeType: 'image/jpeg', fileName: 'big.jpg' });
    assert.match(
      await replyText(chat.id, sent.message_id, /over 20 MB/),
      /That file is over 20 MB.*as a photo instead/,
    );
  });

  it('in Russian too', async () => {
    const { from, chat } = person('ru');
    const file = h.standIn.addFile(Buffer.from('x'), { mimeType: 'image/jpeg', reportedSize: OVER_LIMIT });
    const sent = await h.standIn.sendPhoto({ chat, from, file });
    const text = await replyText(chat.id, sent.message_id, /20 МБ/);
    assert.match(text, /Фото больше 20 МБ.*поменьше/);
    assert.doesNotMatch(text, /как фото/);
  });
});
