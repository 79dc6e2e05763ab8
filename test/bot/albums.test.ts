/**
 * Albums past the per-person limit, through the bot, the queue and the worker (a limit of 3 photos in 2 s, so the
 * waits are short): every photo gets a reply. The photos past the limit are answered later, at the pace the limit
 * sets, the person told once (in their language) that some will take a while; only past twice the limit waiting is a
 * photo skipped, and then that photo is told so, with a reply to it. Before, an album of 10 got 3 answers, one
 * "I'll skip new ones" and silence for the other 6.
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import type { ChatMessage, Message } from '../../src/playground/bot-api/types.ts';
import { type Harness, startHarness } from '../support/app-harness.ts';
import { waitFor } from '../support/poll.ts';
import { BEAGLE, BOXER, GOLDEN, person, photoBytes } from './chat.ts';

const LIMIT = 3;
const WINDOW_SECONDS = 2;
const ANSWERED = /(^|\n)🐶|don't see a dog|не вижу собаки/;
let h: Harness;

before(async () => {
  h = await startHarness({ RATE_LIMIT_PHOTOS: String(LIMIT), RATE_LIMIT_WINDOW_SECONDS: String(WINDOW_SECONDS) });
});
after(() => h.close());

async function album(count: number, languageCode: string) {
  const someone = person(h, languageCode);
  const dogs = await Promise.all([BEAGLE, BOXER, GOLDEN].map(photoBytes));
  const files = Array.from({ length: count }, (_, i) => dogs[i % dogs.length] as Buffer);
  const sentAt = performance.now();
  const sent = await h.standIn.sendAlbum({ chat: someone.chat, from: someone.from, files });
  return { ...someone, sent, sentAt };
}

/** The bot's replies to each sent message, once every one has a reply that is an answer or matches `other`. */
function repliesToEach(chatId: number, sent: Message[], other: RegExp): Promise<ChatMessage[][]> {
  return waitFor(
    h.standIn,
    () => {
      const mine = h.standIn.botMessagesIn(chatId);
      const replies = sent.map((m) => mine.filter((r) => r.reply_to_message?.message_id === m.message_id));
      const done = replies.every((rs) =>
        rs.some((r) => ANSWERED.test(r.text ?? r.caption ?? '') || other.test(r.text ?? '')),
      );
      return done ? replies : undefined;
    },
    { timeoutMs: 30_000, label: 'a reply to every photo of the album' },
  );
}

const textOf = (m: ChatMessage) => m.text ?? m.caption ?? '';

describe('an album past the limit', () => {
  it('10 photos: 9 answered (3 at once, the rest as the window frees), told once; the 10th told it was skipped', async () => {
    const { chat, sent, sentAt } = await album(10, 'en');
    const replies = await repliesToEach(chat.id, sent, /skipped this one/);
    const answeredAt = performance.now() - sentAt;
    const answered = replies.map((rs) => rs.some((r) => ANSWERED.test(textOf(r))));
    assert.deepEqual(answered, [...Array(9).fill(true), false]);
    const skipped = replies[9]?.map(textOf) ?? [];
    assert.equal(skipped.length, 1);
    assert.match(skipped[0] ?? '', /^🐢 .*skipped this one\. Send it again in about \d+ seconds/);
    // Told once, as a reply to the first photo that waits.
    const told = h.standIn.botMessagesIn(chat.id).filter((m) => /lot of photos at once/.test(m.text ?? ''));
    assert.equal(told.length, 1);
    assert.equal(told[0]?.reply_to_message?.message_id, sent[LIMIT]?.message_id);
    assert.match(told[0]?.text ?? '', /answer every one, but only 3 every 2 seconds/);
    // At the limit's pace: the last three waited two windows.
    assert.ok(answeredAt >= 2 * WINDOW_SECONDS * 1000 - 500, `all answered after ${answeredAt} ms`);
    assert.equal(h.standIn.botMessagesIn(chat.id).length, 11, 'nine answers, one notice, one skipped');
  });

  it('in Russian: 5 photos, all answered, told once that some will take a while', async () => {
    const { chat, sent } = await album(5, 'ru');
    const replies = await repliesToEach(chat.id, sent, /пропустил/);
    assert.ok(replies.every((rs) => rs.some((r) => ANSWERED.test(textOf(r)))));
    const told = h.standIn.botMessagesIn(chat.id).filter((m) => /Как много фото сразу/.test(m.text ?? ''));
    assert.equal(told.length, 1);
  });
});
