/**
 * Languages and breed cards end to end: a Russian-speaking person gets Russian answers with Russian breed names,
 * /language switches (and the worker follows the stored choice), and cards come from the ℹ️ button and from
 * `/breed <name>` with typos or in Russian — a card only for a name that is clearly one breed, close names offered as
 * buttons otherwise — and the default model's 121 breeds (the Dalmatian too) in the cards and /breeds.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Harness, startHarness } from '../support/app-harness.ts';
import { waitFor } from '../support/poll.ts';
import { ANSWER, buttons, buttonText, GOLDEN, person } from './chat.ts';

let h: Harness;

before(async () => {
  h = await startHarness({ RATE_LIMIT_PHOTOS: '20' });
});
after(async () => {
  await h.close();
});

describe('languages', () => {
  test('Telegram language ru: a Russian answer with Russian breed names and buttons', async () => {
    const p = person(h, 'ru');
    const { answer } = await p.photo(GOLDEN);
    assert.match(answer.text ?? '', /^🐶 Золотистый ретривер — \d+%/);
    assert.doesNotMatch(answer.text ?? '', /Retriever|Golden/, 'the other guesses are named in Russian too');
    assert.equal(buttonText(answer, 'fb:y'), '👍 Верно');
    assert.equal(buttonText(answer, 'card:golden_retriever'), 'ℹ️ Золотистый ретривер');
    const link = answer.entities?.find((e) => e.type === 'text_link');
    assert.equal(link?.type === 'text_link' ? link.url : undefined, 'https://en.wikipedia.org/wiki/Golden_Retriever');
  });

  test('ru-RU and /help: Russian, with what is kept and for how long', async () => {
    const p = person(h, 'ru-RU');
    const help = p.text('/help');
    const reply = await waitFor(h.standIn, () => h.standIn.botMessagesIn(p.chat.id).at(-1));
    assert.ok(help.message_id < reply.message_id);
    assert.match(reply.text ?? '', /ваши фото не хранятся/);
    assert.match(reply.text ?? '', /каждый ответ .* — 7 дней/);
    assert.match(reply.text ?? '', /отзывы .* — 90 дней/);
    assert.match(reply.text ?? '', /\/forget/);
  });

  test('/language switches a Russian speaker to English: the next answer is English', async () => {
    const p = person(h, 'ru');
    p.text('/language');
    // The buttons carry their owner: only this person may choose for themselves (button-owners.test.ts).
    const [en, ru] = [`lang:en:${p.from.id}`, `lang:ru:${p.from.id}`];
    const menu = await waitFor(h.standIn, () =>
      h.standIn.botMessagesIn(p.chat.id).find((m) => buttons(m).includes(en)),
    );
    assert.match(menu.text ?? '', /Выберите язык/);
    assert.deepEqual(buttons(menu), [en, ru]);
    assert.equal(buttonText(menu, en), '🇬🇧 English', 'each language named in itself');
    p.press(menu.message_id, en);
    await waitFor(h.standIn, () => /speak English with you/.test(p.message(menu.message_id)?.text ?? ''));
    const { answer } = await p.photo(GOLDEN);
    assert.match(answer.text ?? '', /^🐶 Golden Retriever — \d+%/);
    assert.equal(buttonText(answer, 'fb:n'), '👎 Wrong');
    p.text('/help');
    await waitFor(h.standIn, () => h.standIn.botMessagesIn(p.chat.id).some((m) => /How to use me/.test(m.text ?? '')));
  });

  test('/language ru sets Russian directly for an English speaker', async () => {
    const p = person(h, 'en');
    const command = p.text('/language ru');
    await waitFor(h.standIn, () => h.standIn.botMessagesIn(p.chat.id).some((m) => /по-русски/.test(m.text ?? '')));
    assert.ok(command.message_id > 0);
    const { answer } = await p.photo(GOLDEN, /^🐶 Золотистый ретривер/);
    assert.match(answer.text ?? '', ANSWER);
  });

  test('the command menu exists in English and Russian', async () => {
    const en = h.standIn.commandMenu().map((c) => c.command);
    assert.deepEqual(en, ['help', 'breeds', 'breed', 'history', 'language', 'forget']);
    const ru = h.standIn.commandMenu('ru');
    assert.equal(ru.find((c) => c.command === 'forget')?.description, 'Удалить всё, что бот о вас хранит');
  });
});

describe('breed cards', () => {
  test('the ℹ️ button under an answer sends the card of the top breed', async () => {
    const p = person(h);
    const { answer } = await p.photo(GOLDEN);
    p.press(answer.message_id, 'card:golden_retriever');
    const card = await waitFor(h.standIn, () =>
      h.standIn.botMessagesIn(p.chat.id).find((m) => m.reply_to_message?.message_id === answer.message_id),
    );
    assert.equal(
      card.text,
      'ℹ️ Golden Retriever\nGroup: Retrievers, Flushing Dogs, Water Dogs (FCI group 8)\nSize: large\n' +
        'Friendly, intelligent and devoted; gentle and eager to please.',
    );
    const link = card.entities?.find((e) => e.type === 'text_link');
    assert.equal(link?.type === 'text_link' ? link.url : undefined, 'https://en.wikipedia.org/wiki/Golden_Retriever');
  });

  test('/breed gold retriever (fuzzy) shows the Golden Retriever card', async () => {
    const p = person(h);
    const asked = p.text('/breed gold retriever');
    const card = await p.replyTo(asked.message_id, /Group:/);
    assert.match(card.text ?? '', /^ℹ️ Golden Retriever\n/);
  });

  test('/breed in Russian, for a Russian speaker: a Russian card', async () => {
    const p = person(h, 'ru');
    const asked = p.text('/breed сибирский хаски');
    const card = await p.replyTo(asked.message_id, /Группа:/);
    assert.match(
      card.text ?? '',
      /^ℹ️ Сибирский хаски\nГруппа: Шпицы и породы примитивного типа \(группа FCI 5\)\nРазмер: средний\n/,
    );
  });

  test('/breed with a name it does not know says so; /breed alone still asks for a photo', async () => {
    const p = person(h);
    const unknown = p.text('/breed qwxz zzkv');
    await p.replyTo(unknown.message_id, /don't know a breed called “qwxz zzkv”/);
    const alone = p.text('/breed');
    await p.replyTo(alone.message_id, /Reply to a photo with \/breed/);
  });

  test('/breed dalmatian, dalmation (a typo) and далматин: the Dalmatian card, which the default model knows', async () => {
    const p = person(h);
    const asked = p.text('/breed dalmatian');
    const card = await p.replyTo(asked.message_id, /Group:/);
    assert.match(
      card.text ?? '',
      /^ℹ️ Dalmatian\nGroup: Scent Hounds and Related Breeds \(FCI group 6\)\nSize: large\n/,
    );
    const link = card.entities?.find((e) => e.type === 'text_link');
    assert.equal(link?.type === 'text_link' ? link.url : undefined, 'https://en.wikipedia.org/wiki/Dalmatian_dog');
    const typo = p.text('/breed dalmation');
    assert.match((await p.replyTo(typo.message_id, /Group:/)).text ?? '', /^ℹ️ Dalmatian\n/);
    const ru = person(h, 'ru');
    const asked2 = ru.text('/breed далматин');
    assert.match((await ru.replyTo(asked2.message_id, /Группа:/)).text ?? '', /^ℹ️ Далматин\n/);
  });

  test('/breed australian shepherd: unknown, with close names as buttons; tapping one shows its card', async () => {
    const p = person(h);
    const asked = p.text('/breed australian shepherd');
    const offer = await p.replyTo(asked.message_id, /don't know a breed called exactly “australian shepherd”/);
    const offered = buttons(offer);
    assert.ok(offered.includes('card:australian_terrier') && offered.includes('card:german_shepherd'), `${offered}`);
    assert.ok(offered.length <= 3);
    assert.equal(buttonText(offer, 'card:german_shepherd'), 'ℹ️ German Shepherd');
    assert.doesNotMatch(offer.text ?? '', /Group:/, 'no card is shown for a name that is no breed');
    p.press(offer.message_id, 'card:german_shepherd');
    const card = await p.replyTo(offer.message_id, /Group:/);
    assert.match(card.text ?? '', /^ℹ️ German Shepherd\n/);
  });

  test('/breed poodle offers the three poodles; /breed labradoodle is unknown (no Labrador card)', async () => {
    const p = person(h);
    const poodle = p.text('/breed poodle');
    const offer = await p.replyTo(poodle.message_id, /“poodle”/);
    assert.deepEqual(buttons(offer).sort(), ['card:miniature_poodle', 'card:standard_poodle', 'card:toy_poodle']);
    const labradoodle = p.text('/breed labradoodle');
    const unknown = await p.replyTo(labradoodle.message_id, /don't know a breed called “labradoodle”/);
    assert.match(unknown.text ?? '', /\/breeds lists the 121 I know/);
    assert.deepEqual(buttons(unknown), []);
  });

  test('/breeds lists the 121 breeds of the default model, the Dalmatian among them', async () => {
    const p = person(h);
    p.text('/breeds');
    const list = await waitFor(h.standIn, () =>
      h.standIn.botMessagesIn(p.chat.id).find((m) => /breeds I know/.test(m.text ?? '')),
    );
    assert.match(list.text ?? '', /^The 121 breeds I know \(page 1\/4\):/);
    const pages = [list.text ?? ''];
    for (let page = 2; page <= 4; page++) {
      p.press(list.message_id, `breeds:${page}`);
      const shown = await waitFor(h.standIn, () => {
        const text = p.message(list.message_id)?.text ?? '';
        return text.includes(`(page ${page}/4)`) ? text : undefined;
      });
      pages.push(shown);
    }
    const names = pages.flatMap((text) => text.split('\n').filter((line) => line.startsWith('• ')));
    assert.equal(names.length, 121);
    // Filled evenly: no page of one lone name.
    assert.deepEqual(
      pages.map((text) => text.split('\n').filter((line) => line.startsWith('• ')).length),
      [31, 31, 31, 28],
    );
    assert.ok(names.includes('• Dalmatian'));
  });

  test('/breed with a long name ending in an emoji: the name is cut between characters, never inside the emoji', async () => {
    const p = person(h);
    // 63 letters, then a dog: a cut at 64 UTF-16 units would leave half the emoji, which Telegram refuses.
    const asked = p.text(`/breed ${'q'.repeat(63)}🐕 and more`);
    const reply = await p.replyTo(asked.message_id, /don't know a breed called/);
    assert.ok(reply.text?.includes(`${'q'.repeat(63)}🐕”`), reply.text);
    assert.doesNotMatch(reply.text ?? '', /\p{Cs}/u, 'no half of a surrogate pair');
  });
});
