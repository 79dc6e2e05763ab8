/**
 * 👍 / 👎 under answers, end to end: the stand-in over HTTP → bot → Redis, with the worker answering through the real
 * model. Feedback is stored with the file ids and the model's answer (never the photo), one per person and answer,
 * editable; 👎 offers the other guesses, a paged list of all breeds and a typed name matched fuzzily.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FeedbackStore, type PersonalData } from '../../src/store/index.ts';
import { type Harness, startHarness } from '../support/app-harness.ts';
import { poll, waitFor } from '../support/poll.ts';
import { BOXER, buttons, buttonText, GOLDEN, person, personalDataOf } from './chat.ts';

let h: Harness;
let stored: PersonalData;

before(async () => {
  h = await startHarness({ RATE_LIMIT_PHOTOS: '20' });
  stored = personalDataOf(h);
});
after(async () => {
  await h.close();
});

/** This person's feedback on this answer, once it satisfies `check`. */
const feedbackOf = (
  userId: number,
  chatId: number,
  messageId: number,
  check: (r: { verdict: string; correctBreed?: string }) => boolean,
) =>
  poll(async () => {
    const record = await stored.feedback.get(userId, chatId, messageId);
    return record && check(record) ? record : undefined;
  });

describe('feedback on an answer', () => {
  test('the answer has 👍, 👎 and a card button for the top breed', async () => {
    const p = person(h);
    const { answer } = await p.photo(GOLDEN);
    assert.deepEqual(buttons(answer), ['fb:y', 'fb:n', 'card:golden_retriever']);
    assert.equal(buttonText(answer, 'fb:y'), '👍 Right');
    assert.equal(buttonText(answer, 'card:golden_retriever'), 'ℹ️ Golden Retriever');
  });

  test('👍 is stored with the file ids and the model answer, never the photo', async () => {
    const p = person(h);
    const { answer, fileId, fileUniqueId } = await p.photo(GOLDEN);
    const query = p.press(answer.message_id, 'fb:y');
    assert.match(await p.toast(query.id), /Glad I got it right/);
    const record = await feedbackOf(p.from.id, p.chat.id, answer.message_id, (r) => r.verdict === 'right');
    assert.equal(record.fileId, fileId);
    assert.equal(record.fileUniqueId, fileUniqueId);
    assert.equal(record.model, 'mobilenetv2-imagenet');
    assert.equal(record.ownerId, p.from.id);
    assert.equal(record.top.length, 3);
    assert.equal(record.top[0]?.breed, 'golden_retriever');
    assert.equal(record.correctBreed, undefined);
    const raw = await h.app.redis.hget(
      `${h.config.QUEUE_PREFIX}:feedback`,
      FeedbackStore.field(p.from.id, p.chat.id, answer.message_id),
    );
    assert.ok(raw && raw.length < 1000, 'a small JSON record: references, not image bytes');
  });

  test('👎 offers the two other guesses; picking one stores the correction and brings 👍/👎 back', async () => {
    const p = person(h);
    const { answer } = await p.photo(GOLDEN);
    const context = await stored.answers.get(p.chat.id, answer.message_id);
    const [, second, third] = context?.top.map((g) => g.breed) ?? [];
    assert.ok(second && third, 'the answer context has the top-3');
    const query = p.press(answer.message_id, 'fb:n');
    assert.match(await p.toast(query.id), /Which breed is it\?/);
    const offered = await p.keyboard(answer.message_id, (data) => data.includes('fbp:1'));
    assert.deepEqual(buttons(offered), [`fb:b:${second}`, `fb:b:${third}`, 'fbp:1', 'fb:back']);
    await feedbackOf(
      p.from.id,
      p.chat.id,
      answer.message_id,
      (r) => r.verdict === 'wrong' && r.correctBreed === undefined,
    );

    const pick = p.press(answer.message_id, `fb:b:${second}`);
    assert.match(await p.toast(pick.id), /Noted: it's a/);
    const record = await feedbackOf(p.from.id, p.chat.id, answer.message_id, (r) => r.correctBreed === second);
    assert.equal(record.verdict, 'wrong');
    await p.keyboard(answer.message_id, (data) => data.includes('fb:y'));
    assert.equal(await stored.awaiting.get(p.from.id, p.chat.id), undefined, 'no longer waiting for a typed name');
  });

  test('👎 then a typed name with a typo ("golden retriver") is matched and stored', async () => {
    const p = person(h);
    const { answer } = await p.photo(BOXER);
    assert.match(answer.text ?? '', /^🐶 Boxer/);
    p.press(answer.message_id, 'fb:n');
    await p.keyboard(answer.message_id, (data) => data.includes('fbp:1'));
    await poll(async () => stored.awaiting.get(p.from.id, p.chat.id));
    const typed = p.text('golden retriver');
    const reply = await p.replyTo(typed.message_id, /Noted/);
    assert.match(reply.text ?? '', /Noted: it's a Golden Retriever/);
    const record = await feedbackOf(
      p.from.id,
      p.chat.id,
      answer.message_id,
      (r) => r.correctBreed === 'golden_retriever',
    );
    assert.equal(record.verdict, 'wrong');
    assert.equal(record.top[0]?.breed, 'boxer');
    await p.keyboard(answer.message_id, (data) => data.includes('fb:y'));
  });

  test('a typed name that matches nothing is said so, and the next try still counts', async () => {
    const p = person(h);
    const { answer } = await p.photo(BOXER);
    p.press(answer.message_id, 'fb:n');
    await poll(async () => stored.awaiting.get(p.from.id, p.chat.id));
    const nonsense = p.text('qwxz zzkv');
    await p.replyTo(nonsense.message_id, /don't know a breed called “qwxz zzkv”/);
    const typed = p.text('немецкая овчарка');
    await p.replyTo(typed.message_id, /Noted: it's a German Shepherd/);
    await feedbackOf(p.from.id, p.chat.id, answer.message_id, (r) => r.correctBreed === 'german_shepherd');
  });

  test('"All breeds" pages through the breeds alphabetically; a breed from page 2 is stored', async () => {
    const p = person(h);
    const { answer } = await p.photo(BOXER);
    p.press(answer.message_id, 'fb:n');
    await p.keyboard(answer.message_id, (data) => data.includes('fbp:1'));
    p.press(answer.message_id, 'fbp:1');
    const page1 = await p.keyboard(answer.message_id, (data) => data.includes('fbp:2'));
    assert.equal(buttons(page1).filter((d) => d.startsWith('fb:b:'))[0], 'fb:b:affenpinscher');
    p.press(answer.message_id, 'fbp:2');
    const page2 = await p.keyboard(answer.message_id, (data) => data.includes('fbp:3') && data.includes('fbp:1'));
    const breedsOnPage = buttons(page2).filter((d) => d.startsWith('fb:b:'));
    assert.equal(breedsOnPage.length, 10);
    const chosen = breedsOnPage[0] as string;
    p.press(answer.message_id, chosen);
    await feedbackOf(p.from.id, p.chat.id, answer.message_id, (r) => r.correctBreed === chosen.slice('fb:b:'.length));
  });

  test("the picker lists the default model's 121 breeds (13 pages, the Dalmatian among them), and takes the Dalmatian", async () => {
    const p = person(h);
    const { answer } = await p.photo(BOXER);
    /** After 👎: "All breeds", then "next" page by page up to `last`; the breed buttons of each page. */
    const pages = async (last: number): Promise<string[][]> => {
      p.press(answer.message_id, 'fb:n');
      await p.keyboard(answer.message_id, (data) => data.includes('fbp:1') && !data.includes('fbp:2'));
      const seen: string[][] = [];
      for (let k = 1; k <= last; k++) {
        p.press(answer.message_id, `fbp:${k}`);
        // Page k alone has the neighbours k-1 (if any) and k+1 (but the last page, 13).
        const page = await p.keyboard(
          answer.message_id,
          (data) => data.includes(`fbp:${k - 1}`) === k > 1 && data.includes(`fbp:${k + 1}`) === k < 13,
        );
        seen.push(buttons(page).filter((d) => d.startsWith('fb:b:')));
      }
      return seen;
    };
    const all = await pages(13);
    assert.equal(new Set(all.flat()).size, 121);
    assert.equal(all.at(-1)?.length, 1);
    const dalmatianPage = all.findIndex((breeds) => breeds.includes('fb:b:dalmatian')) + 1;
    assert.ok(dalmatianPage > 0, 'the Dalmatian is listed');
    p.press(answer.message_id, 'fb:back');
    await p.keyboard(answer.message_id, (data) => data.includes('fb:n'));
    await pages(dalmatianPage);
    p.press(answer.message_id, 'fb:b:dalmatian');
    await feedbackOf(p.from.id, p.chat.id, answer.message_id, (r) => r.correctBreed === 'dalmatian');
  });

  test('pressing again edits the record: still one per person and answer', async () => {
    const p = person(h);
    const { answer } = await p.photo(GOLDEN);
    const field = FeedbackStore.field(p.from.id, p.chat.id, answer.message_id);
    const mine = async () => (await stored.feedback.since(0)).filter((r) => r.userId === p.from.id);
    p.press(answer.message_id, 'fb:n');
    const offered = await p.keyboard(answer.message_id, (data) => data.includes('fbp:1'));
    const other = buttons(offered)[0] as string;
    p.press(answer.message_id, other);
    await feedbackOf(p.from.id, p.chat.id, answer.message_id, (r) => r.correctBreed === other.slice('fb:b:'.length));
    await p.keyboard(answer.message_id, (data) => data.includes('fb:y'));
    p.press(answer.message_id, 'fb:y');
    const record = await feedbackOf(p.from.id, p.chat.id, answer.message_id, (r) => r.verdict === 'right');
    assert.equal(record.correctBreed, undefined, 'the correction is gone with the change of mind');
    assert.equal((await mine()).length, 1);
    assert.ok(await h.app.redis.hexists(`${h.config.QUEUE_PREFIX}:feedback`, field));
  });

  test('picking the model’s own top breed from the list counts as 👍', async () => {
    const p = person(h);
    const { answer } = await p.photo(GOLDEN);
    p.press(answer.message_id, 'fb:n');
    await p.keyboard(answer.message_id, (data) => data.includes('fbp:1'));
    // Golden Retriever is on page 5 of 12 in English alphabetical order; walk there as a person would.
    for (let page = 1; ; page++) {
      p.press(answer.message_id, `fbp:${page}`);
      const shown = await p.keyboard(
        answer.message_id,
        (data) => data.includes(`fbp:${page + 1}`) && !data.includes(`fbp:${page}`),
      );
      if (buttons(shown).includes('fb:b:golden_retriever')) break;
      assert.ok(page < 12, 'Golden Retriever is on one of the pages');
    }
    p.press(answer.message_id, 'fb:b:golden_retriever');
    const record = await feedbackOf(p.from.id, p.chat.id, answer.message_id, (r) => r.verdict === 'right');
    assert.equal(record.correctBreed, undefined);
  });

  test('"Back" returns to 👍/👎 and stops waiting for a typed name', async () => {
    const p = person(h);
    const { answer } = await p.photo(GOLDEN);
    p.press(answer.message_id, 'fb:n');
    await p.keyboard(answer.message_id, (data) => data.includes('fb:back'));
    p.press(answer.message_id, 'fb:back');
    await p.keyboard(answer.message_id, (data) => data.includes('fb:y'));
    await poll(async () => ((await stored.awaiting.get(p.from.id, p.chat.id)) === undefined ? true : undefined));
    p.text('hello');
    await waitFor(h.standIn, () =>
      h.standIn.botMessagesIn(p.chat.id).some((m) => /Send me a photo/.test(m.text ?? '')),
    );
    assert.ok(!h.standIn.botMessagesIn(p.chat.id).some((m) => /don't know a breed/.test(m.text ?? '')));
  });

  test('a button under an answer whose context has expired says so', async () => {
    const p = person(h);
    const { answer } = await p.photo(GOLDEN);
    await h.app.redis.del(`${h.config.QUEUE_PREFIX}:answer:${p.chat.id}:${answer.message_id}`);
    const query = p.press(answer.message_id, 'fb:y');
    assert.match(await p.toast(query.id), /too old for feedback/);
    assert.equal(await stored.feedback.get(p.from.id, p.chat.id, answer.message_id), undefined);
  });

  test('a photo without a dog gets no buttons', async () => {
    const p = person(h);
    const { answer } = await p.photo('not-dogs/not_dog-049114f16c64.jpg', /don't see a dog/);
    assert.deepEqual(buttons(answer), []);
  });
});
