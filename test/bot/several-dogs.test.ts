/**
 * Answers about several dogs through the bot: the numbered photo as a reply with the answer as its caption, the status
 * message gone, a row of 👍/👎 per dog stored per dog, and a job that runs twice sending the photo once. The vision
 * core answers from a table here (what the model makes of a photo is test/e2e's business); everything else is real:
 * the bot, BullMQ on Redis, sharp drawing, the Bot API stand-in over HTTP, and the playground's view of the chat.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { formatted } from '../../src/playground/bot-api/formatting.ts';
import type { ChatMessage } from '../../src/playground/bot-api/types.ts';
import { PlaygroundWeb } from '../../src/playground/web-server.ts';
import type { PersonalData } from '../../src/store/index.ts';
import { type Breed, loadBreeds } from '../../src/vision/index.ts';
import { markColour } from '../../src/worker/dog-marks.ts';
import { sideBySide } from '../support/compose.ts';
import { MODELS_DIR } from '../support/paths.ts';
import { poll, waitFor } from '../support/poll.ts';
import { type CannedHarness, startCannedHarness } from './canned-vision.ts';
import { BEAGLE, BOXER, buttons, person, personalDataOf } from './chat.ts';
import { classification, dog, guess, oneDog } from './classifications.ts';

let h: CannedHarness;
let stored: PersonalData;
let breeds: readonly Breed[];

before(async () => {
  h = await startCannedHarness({ RATE_LIMIT_PHOTOS: '30' });
  stored = personalDataOf(h);
  breeds = await loadBreeds(`${MODELS_DIR}/breeds.json`);
});
after(async () => {
  await h.close();
});

const SEVERAL = /^🐶 (I see 2 dogs|Вижу 2 собаки)/;

/** A photo of a beagle (left) and a boxer (right), and what the (canned) vision core says about it. */
async function beagleAndBoxer() {
  const composed = await sideBySide([BEAGLE, BOXER]);
  const photo = { width: composed.width, height: composed.height };
  const boxes = composed.spans.map((span) => ({
    left: span.left + 12,
    top: 20,
    width: span.right - span.left - 24,
    height: composed.height - 40,
  }));
  const result = classification(
    [
      dog(
        [guess(breeds, 'beagle', 0.84), guess(breeds, 'walker_hound', 0.09), guess(breeds, 'english_foxhound', 0.04)],
        boxes[0] ?? null,
      ),
      dog(
        [guess(breeds, 'boxer', 0.9), guess(breeds, 'bull_mastiff', 0.05), guess(breeds, 'pug', 0.02)],
        boxes[1] ?? null,
      ),
    ],
    { photo },
  );
  h.answer(composed.bytes, result);
  return { ...composed, photo, boxes, result };
}

const sendPhotoCalls = (chatId: number) =>
  h.standIn.calls.filter((c) => c.method === 'sendPhoto' && String(c.params.chat_id) === String(chatId));

/** Telegram shows the caption without its HTML. */
const shown = (message: ChatMessage) => message.caption ?? message.text ?? '';

describe('a photo of two dogs', () => {
  test('answered with the numbered photo, replying to the person’s, the answer as its caption; the status goes', async () => {
    const p = person(h);
    const { bytes, boxes } = await beagleAndBoxer();
    const { answer, sent } = await p.photo(bytes, SEVERAL);
    assert.ok(answer.photo, 'a photo message');
    assert.equal(answer.reply_to_message?.message_id, sent.message_id);
    assert.equal(
      shown(answer),
      [
        '🐶 I see 2 dogs, numbered from left to right:',
        '',
        '🔴 1 · Beagle — 84%',
        '      or Treeing Walker Coonhound — 9%, English Foxhound — 4%',
        '',
        '🔵 2 · Boxer — 90%',
        '      or Bullmastiff — 5%, Pug — 2%',
      ].join('\n'),
    );
    assert.deepEqual(
      answer.caption_entities?.filter((e) => e.type === 'text_link').map((e) => (e.type === 'text_link' ? e.url : '')),
      ['https://en.wikipedia.org/wiki/Beagle', 'https://en.wikipedia.org/wiki/Boxer_(dog)'],
    );
    const withButtons = await p.keyboard(answer.message_id, (data) => data.length > 0);
    assert.deepEqual(buttons(withButtons), ['fb:y:1', 'fb:n:1', 'card:beagle', 'fb:y:2', 'fb:n:2', 'card:boxer']);
    assert.deepEqual(
      withButtons.reply_markup?.inline_keyboard.map((row) => row.map((b) => b.text)),
      [
        ['🔴 1 👍', '🔴 1 👎', 'ℹ️ Beagle'],
        ['🔵 2 👍', '🔵 2 👎', 'ℹ️ Boxer'],
      ],
    );
    // The status message ("Looking at your photo…") is deleted: the chat holds the person's photo and the answer.
    await waitFor(h.standIn, () => h.standIn.botMessagesIn(p.chat.id).length === 1, { label: 'status deleted' });
    assert.equal(sendPhotoCalls(p.chat.id).length, 1);

    // The photo sent has the boxes where the dogs are.
    const file = h.standIn.fileContent(answer.photo.at(-1)?.file_id ?? '');
    assert.ok(file);
    const image = await sharp(file.bytes).raw().toBuffer({ resolveWithObject: true });
    const box = boxes[1];
    assert.ok(box);
    const x = box.left + box.width - 2;
    const y = box.top + Math.round(box.height / 2);
    const offset = (y * image.info.width + x) * image.info.channels;
    const [r, g, b] = [0, 1, 2].map((c) => image.data[offset + c] ?? -1) as [number, number, number];
    const blue = markColour(2).fill;
    const expected = [1, 3, 5].map((at) => Number.parseInt(blue.slice(at, at + 2), 16)) as [number, number, number];
    assert.ok(
      Math.abs(r - expected[0]) < 45 && Math.abs(g - expected[1]) < 45 && Math.abs(b - expected[2]) < 45,
      `the right edge of box 2 is blue (${r},${g},${b})`,
    );

    // What the buttons need: each dog's number, box and top-3.
    const context = await stored.answers.get(p.chat.id, answer.message_id);
    assert.deepEqual(
      context?.dogs?.map((d) => [d.number, d.box, d.top[0]?.breed]),
      [
        [1, boxes[0], 'beagle'],
        [2, boxes[1], 'boxer'],
      ],
    );
  });

  test('in Russian for a Russian speaker', async () => {
    const p = person(h, 'ru');
    const { bytes } = await beagleAndBoxer();
    const { answer } = await p.photo(bytes, SEVERAL);
    assert.match(shown(answer), /^🐶 Вижу 2 собаки, номера — слева направо:\n\n🔴 1 · Бигль — 84%\n/);
    const withButtons = await p.keyboard(answer.message_id, (data) => data.length > 0);
    assert.equal(withButtons.reply_markup?.inline_keyboard[0]?.[2]?.text, 'ℹ️ Бигль');
  });

  test('👍 and 👎 per dog: each stored with its number and box; the correction offers that dog’s guesses', async () => {
    const p = person(h);
    const { bytes, boxes, photo } = await beagleAndBoxer();
    const { answer, fileUniqueId } = await p.photo(bytes, SEVERAL);
    await p.keyboard(answer.message_id, (data) => data.includes('fb:y:1'));

    const right = p.press(answer.message_id, 'fb:y:1');
    assert.match(await p.toast(right.id), /Glad I got it right/);
    const first = await poll(async () => stored.feedback.get(p.from.id, p.chat.id, answer.message_id, 1));
    assert.equal(first.verdict, 'right');
    assert.equal(first.dog, 1);
    assert.deepEqual(first.box, boxes[0]);
    assert.deepEqual(first.photo, photo);
    assert.equal(first.top[0]?.breed, 'beagle');
    assert.equal(first.fileUniqueId, fileUniqueId);

    const wrong = p.press(answer.message_id, 'fb:n:2');
    assert.match(await p.toast(wrong.id), /Which breed is dog 2\?/);
    const offered = await p.keyboard(answer.message_id, (data) => data.includes('fbp:2:1'));
    assert.deepEqual(buttons(offered), ['fb:b:2:bull_mastiff', 'fb:b:2:pug', 'fbp:2:1', 'fb:back']);
    p.press(answer.message_id, 'fb:b:2:bull_mastiff');
    const second = await poll(async () => {
      const record = await stored.feedback.get(p.from.id, p.chat.id, answer.message_id, 2);
      return record?.correctBreed ? record : undefined;
    });
    assert.equal(second.verdict, 'wrong');
    assert.equal(second.correctBreed, 'bull_mastiff');
    assert.deepEqual(second.box, boxes[1]);
    assert.equal(second.top[0]?.breed, 'boxer');
    // Back to the rows of both dogs; dog 1's 👍 untouched.
    await p.keyboard(answer.message_id, (data) => data.includes('fb:y:1') && data.includes('fb:y:2'));
    assert.equal((await stored.feedback.get(p.from.id, p.chat.id, answer.message_id, 1))?.verdict, 'right');

    // 👎 on dog 2 again: the list of all breeds picks for dog 2; and its breed typed corrects dog 2.
    p.press(answer.message_id, 'fb:n:2');
    await p.keyboard(answer.message_id, (data) => data.includes('fbp:2:1'));
    p.press(answer.message_id, 'fbp:2:1');
    const page = await p.keyboard(answer.message_id, (data) => data.includes('fbp:2:2'));
    const picks = buttons(page).filter((d) => d.startsWith('fb:b:'));
    assert.equal(picks.length, 10);
    assert.ok(
      picks.every((d) => d.startsWith('fb:b:2:')),
      'picks for dog 2',
    );
    await poll(async () => stored.awaiting.get(p.from.id, p.chat.id));
    const typed = p.text('pug');
    await p.replyTo(typed.message_id, /Noted: it's a Pug/);
    await poll(async () =>
      (await stored.feedback.get(p.from.id, p.chat.id, answer.message_id, 2))?.correctBreed === 'pug'
        ? true
        : undefined,
    );
    const mine = (await stored.feedback.since(0)).filter((r) => r.userId === p.from.id);
    assert.deepEqual(mine.map((r) => r.dog).sort(), [1, 2], 'one record per dog');
  });

  test('a job that runs twice sends the numbered photo once', async () => {
    const p = person(h);
    const { bytes } = await beagleAndBoxer();
    // The first attempt fails after the photo is sent (adding its buttons is refused); BullMQ runs the job again.
    h.standIn.injectFault({
      method: 'editMessageReplyMarkup',
      times: 1,
      fault: { kind: 'status', status: 400, description: 'Bad Request: injected for the test' },
    });
    const { answer } = await p.photo(bytes, SEVERAL);
    await p.keyboard(answer.message_id, (data) => data.includes('fb:y:2'));
    await waitFor(h.standIn, () => h.standIn.botMessagesIn(p.chat.id).length === 1, { label: 'status deleted' });
    assert.ok(h.logLines.some((l) => l.includes('photo job failed') && l.includes(`"attempt":1`)));
    assert.equal(sendPhotoCalls(p.chat.id).length, 1, 'the retry did not send the photo again');
    assert.equal((await stored.answers.get(p.chat.id, answer.message_id))?.dogs?.length, 2);
  });

  test('a status message Telegram will not delete becomes a pointer to the photo', async () => {
    const p = person(h);
    const { bytes } = await beagleAndBoxer();
    h.standIn.injectFault({
      method: 'deleteMessage',
      times: 1,
      fault: { kind: 'status', status: 400, description: "Bad Request: message can't be deleted" },
    });
    const { sent } = await p.photo(bytes, SEVERAL);
    const pointer = await p.replyTo(sent.message_id, /numbered photo below/);
    assert.equal(pointer.text, '👇 I found 2 dogs: my answer is the numbered photo below.');
    assert.equal(h.standIn.botMessagesIn(p.chat.id).length, 2);
  });

  test('a photo Telegram refuses: the same answer in text, in the status message, with the buttons', async () => {
    const p = person(h);
    const { bytes } = await beagleAndBoxer();
    h.standIn.injectFault({
      method: 'sendPhoto',
      times: 1,
      fault: { kind: 'status', status: 400, description: 'Bad Request: PHOTO_INVALID_DIMENSIONS' },
    });
    const { answer } = await p.photo(bytes, SEVERAL);
    assert.equal(answer.photo, undefined);
    assert.match(answer.editHistory[0] ?? '', /Looking at your photo/, 'the status message became the answer');
    assert.deepEqual(buttons(answer), ['fb:y:1', 'fb:n:1', 'card:beagle', 'fb:y:2', 'fb:n:2', 'card:boxer']);
    p.press(answer.message_id, 'fb:y:2');
    await poll(async () => stored.feedback.get(p.from.id, p.chat.id, answer.message_id, 2));
  });

  test('more dogs than were named: the caption says so', async () => {
    const p = person(h);
    const { bytes, result } = await beagleAndBoxer();
    const crowd = { ...result, moreDogs: 3 };
    const variant = await sharp(bytes).jpeg({ quality: 80 }).toBuffer();
    h.answer(variant, crowd);
    const { answer } = await p.photo(variant, /I see 5 dogs/);
    assert.match(shown(answer), /\n\n…and 3 more I did not name\.$/);
  });

  test('the playground page gets the photo with its caption, entities and buttons', async () => {
    const p = person(h);
    const web = new PlaygroundWeb(h.standIn, { person: p.from });
    try {
      const { bytes } = await beagleAndBoxer();
      const { answer } = await p.photo(bytes, SEVERAL);
      await p.keyboard(answer.message_id, (data) => data.length > 0);
      const item = await waitFor(h.standIn, () =>
        web.items().find((i) => i.id === answer.message_id && i.keyboard !== undefined),
      );
      assert.equal(item.from, 'bot');
      assert.ok(item.photo?.url, 'served to the page');
      assert.match(item.text, /^🐶 I see 2 dogs/);
      assert.equal(item.entities.filter((e) => e.type === 'text_link').length, 2);
      assert.equal(item.keyboard?.length, 2);
      assert.equal(item.replyTo?.from, 'person');
    } finally {
      web.close();
    }
  });
});

describe('one dog whose breed is unsure but whose group is sure', () => {
  test('the answer leads with the group (GROUP_LEAD_SHARE from the settings, through the worker)', async () => {
    const p = person(h);
    const { bytes } = await sideBySide([BEAGLE]);
    h.answer(
      bytes,
      oneDog(
        [guess(breeds, 'beagle', 0.4), guess(breeds, 'english_foxhound', 0.2), guess(breeds, 'walker_hound', 0.15)],
        {
          group: 'fci-6',
          p: 0.95,
        },
      ),
    );
    const { answer } = await p.photo(bytes, /Probably/);
    assert.match(
      formatted({ text: answer.text ?? '' }, 'text', 'entities').text,
      /^🤔 Probably a scent hound \(FCI group 6\), though I can't tell the breed for sure:\n🐶 Beagle — 40%\n2\. English Foxhound — 20%\n3\. Treeing Walker Coonhound — 15%$/,
    );
    assert.deepEqual(buttons(answer), ['fb:y', 'fb:n', 'card:beagle'], 'one dog: today’s buttons');
  });
});
