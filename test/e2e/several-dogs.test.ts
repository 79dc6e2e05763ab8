/**
 * Several dogs in one photo, end to end with the real vision core (detector + breed model + gate): photos of
 * different breeds composed side by side in the test are answered with the numbered photo, each dog named within its
 * number's top-3, its box where that photo lies; per-dog 👍 is stored with that box.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ChatMessage } from '../../src/playground/bot-api/types.ts';
import type { PersonalData } from '../../src/store/index.ts';
import { BEAGLE, BOXER, buttons, GOLDEN, person, personalDataOf } from '../bot/chat.ts';
import { type Harness, startHarness } from '../support/app-harness.ts';
import { sideBySide } from '../support/compose.ts';
import { poll } from '../support/poll.ts';

let h: Harness;
let stored: PersonalData;

before(async () => {
  h = await startHarness({ RATE_LIMIT_PHOTOS: '20' });
  stored = personalDataOf(h);
});
after(async () => {
  await h.close();
});

/** The caption's part about dog `number` (the answer is a block per dog, in number order). */
function partAbout(answer: ChatMessage, number: number): string {
  const blocks = (answer.caption ?? '').split('\n\n').slice(1);
  return blocks.find((block) => block.split('\n')[0]?.includes(` ${number} · `)) ?? '';
}

describe('a photo of several dogs, through the bot and the real model', () => {
  for (const breeds of [
    { files: [BEAGLE, BOXER], names: ['Beagle', 'Boxer'] },
    { files: [BEAGLE, BOXER, GOLDEN], names: ['Beagle', 'Boxer', 'Golden Retriever'] },
  ]) {
    test(`${breeds.names.join(', ')} side by side: each named within its number’s top-3, boxes where they are`, async () => {
      const p = person(h);
      const { bytes, spans } = await sideBySide(breeds.files);
      const { answer } = await p.photo(bytes, new RegExp(`^🐶 I see ${breeds.files.length} dogs`));
      assert.ok(answer.photo, 'the numbered photo');
      for (const [i, name] of breeds.names.entries()) {
        assert.match(partAbout(answer, i + 1), new RegExp(`\\b${name}\\b — `), `dog ${i + 1} is a ${name}`);
      }
      const withButtons = await p.keyboard(answer.message_id, (data) => data.includes('fb:y:1'));
      assert.deepEqual(
        buttons(withButtons).filter((d) => d.startsWith('fb:y:')),
        breeds.files.map((_, i) => `fb:y:${i + 1}`),
      );
      const context = await stored.answers.get(p.chat.id, answer.message_id);
      assert.equal(context?.dogs?.length, breeds.files.length);
      for (const [i, span] of spans.entries()) {
        const box = context?.dogs?.[i]?.box;
        assert.ok(box, `dog ${i + 1} has a box`);
        const centre = box.left + box.width / 2;
        assert.ok(
          centre > span.left && centre < span.right,
          `box ${i + 1} (${JSON.stringify(box)}) lies in photo ${i + 1} (${span.left}–${span.right})`,
        );
      }
      assert.equal(h.standIn.botMessagesIn(p.chat.id).length, 1, 'the numbered photo is the one reply');
      const photosSent = h.standIn.calls.filter(
        (c) => c.method === 'sendPhoto' && String(c.params.chat_id) === String(p.chat.id),
      );
      assert.equal(photosSent.length, 1);

      p.press(answer.message_id, 'fb:y:2');
      const record = await poll(async () => stored.feedback.get(p.from.id, p.chat.id, answer.message_id, 2));
      assert.equal(record.top[0]?.breed, context?.dogs?.[1]?.top[0]?.breed);
      assert.deepEqual(record.box, context?.dogs?.[1]?.box);
    });
  }

  test('one dog alone is still today’s text answer', async () => {
    const p = person(h);
    const { answer } = await p.photo(BOXER);
    assert.equal(answer.photo, undefined);
    assert.match(answer.text ?? '', /^🐶 Boxer — \d+%/);
    assert.deepEqual(buttons(answer), ['fb:y', 'fb:n', 'card:boxer']);
  });
});
