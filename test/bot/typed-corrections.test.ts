/**
 * Typed corrections after 👎 are what the person meant: chit-chat never becomes a label, typos of real names do.
 * The matcher (BreedSearch.resolve) on hundreds of ordinary chat words in English and Russian, then the bot end to end
 * (the stand-in over HTTP → bot → Redis) on a handful: stored, offered as buttons, or said not to be a breed; the
 * pending correction expiring and ending with a command.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { type BreedSearch, breedSearchFor } from '../../src/i18n/breed-search.ts';
import { loadTexts } from '../../src/i18n/texts.ts';
import { AWAITING_SECONDS } from '../../src/store/awaiting-breed.ts';
import { AwaitingBreedName, type PersonalData } from '../../src/store/index.ts';
import { loadManifest, loadModelBreeds } from '../../src/vision/index.ts';
import { type Harness, REDIS_URL, startHarness } from '../support/app-harness.ts';
import { MODELS_DIR } from '../support/paths.ts';
import { poll } from '../support/poll.ts';
import { BOXER, buttons, person, personalDataOf } from './chat.ts';

/** The words of issue 14, each once saved as a breed. */
const ISSUE_WORDS = ['hello', 'hi', 'ok', 'no', 'yes', 'cat', 'да', 'привет'];

const CHAT_EN = (
  'hello hi hey hiya yo howdy greetings morning evening night bye goodbye cya thanks thank thx ty please sorry ' +
  'welcome cheers yes yeah yep yup sure okay ok fine alright no nope nah never maybe perhaps right wrong true false ' +
  'correct incorrect good bad great nice cool awesome amazing wow lol lmao haha hahaha hehe omg wtf damn ugh hmm ' +
  'oops happy sad angry love hate like cute funny boring tired hungry scared sorry beautiful ugly pretty ' +
  'cat cats kitten kitty dog dogs puppy puppies doggo pup pet animal bird fish horse cow mouse rabbit hamster wolf fox ' +
  'bear lion tiger monkey snake duck chicken pig sheep goat ' +
  'house home car phone photo picture image video camera computer table chair door window water food bread milk ' +
  'coffee tea beer apple banana pizza money time day week year today tomorrow yesterday friend mother father mom dad ' +
  'brother sister baby child man woman boy girl people family work school city street park garden tree flower sun ' +
  'rain snow weather music game book movie news help start stop menu again more less what why how who where when ' +
  'which this that it is are was go come eat drink sleep run walk play look see watch send try wait know think ' +
  'want need give take make say tell ask answer call one two three four five six seven eight nine ten zero hundred ' +
  'first second last test testing asdf qwerty bot robot human idk dunno whatever nothing something anything ' +
  'really seriously what? ok! no. yes!! 123 42 2024 ? ! ... 👍 👎 😂 ❤️ 🐶 🐕 🐱 🙏 😊 🤔 🔥 🎉 +1 :) :( xD'
).split(' ');

const CHAT_RU = (
  'привет здравствуйте здравствуй хай приветик салют добрый день утро вечер ночь пока досвидания спасибо благодарю ' +
  'пожалуйста извини извините прости да нет ага угу неа конечно наверное может ладно хорошо плохо норм нормально ' +
  'отлично класс круто супер ок окей правильно неправильно верно неверно ошибка точно ' +
  'ха хаха ахах лол ого вау блин ужас жесть фу хм эх ой люблю ненавижу грустно весело смешно милый милая красивая ' +
  'кот кошка котик котенок котёнок собака собаки пёс пес щенок щенки собачка песик пёсик животное птица рыба лошадь ' +
  'корова мышь кролик хомяк волк лиса медведь лев тигр обезьяна змея утка курица свинья овца коза ' +
  'дом машина телефон фото фотка картинка видео камера компьютер стол стул дверь окно вода еда хлеб молоко кофе чай ' +
  'пиво яблоко банан пицца деньги время неделя год сегодня завтра вчера друг мама папа брат сестра ребенок ' +
  'мужчина женщина мальчик девочка люди семья работа школа город улица парк сад дерево цветок солнце дождь снег ' +
  'погода музыка игра книга фильм новости помощь помоги старт стоп меню опять ещё еще что почему как кто где ' +
  'когда какой это то он она они идти есть пить спать бегать гулять играть смотреть отправить ждать знаю думаю ' +
  'хочу надо дай возьми скажи ответ один два три четыре пять шесть семь восемь девять десять сто ' +
  'тест проверка бот робот человек незнаю ничего что-то серьезно реально понятно ясно неважно йцукен'
).split(' ');

/** Real typos (and spellings) of real names, in both languages, and the breed each means. */
const TYPOS: [string, string][] = [
  ['golden retriver', 'golden_retriever'],
  ['немецкая овчарка', 'german_shepherd'],
  ['shitzu', 'shih-tzu'],
  ['labrador retreiver', 'labrador_retriever'],
  ['rotweiler', 'rottweiler'],
  ['pomeranain', 'pomeranian'],
  ['chihuahuah', 'chihuahua'],
  ['german shepard', 'german_shepherd'],
  ['siberian huskie', 'siberian_husky'],
  ['dobberman', 'doberman'],
  ['yorkshire terier', 'yorkshire_terrier'],
  ['bernese mountian dog', 'bernese_mountain_dog'],
  ['bloodhund', 'bloodhound'],
  ['samoyede', 'samoyed'],
  ['золотистый ретривир', 'golden_retriever'],
  ['лабрадор ретривер', 'labrador_retriever'],
  ['ротвеллер', 'rottweiler'],
  ['померанский шпиц', 'pomeranian'],
  ['сибирский хаски', 'siberian_husky'],
  ['доберманн', 'doberman'],
  ['чихуа-хуа', 'chihuahua'],
  ['ши тцу', 'shih-tzu'],
  ['dalmation', 'dalmatian'],
  ['далматин', 'dalmatian'],
];

let search: BreedSearch;

before(async () => {
  // The default model's breeds, as the bot has them: the 120 and the Dalmatian.
  const breeds = await loadModelBreeds(await loadManifest('mobilenetv2-imagenet', MODELS_DIR));
  search = breedSearchFor(await loadTexts(MODELS_DIR, breeds));
});

describe('the matcher: what a typed correction is', () => {
  test('chit-chat in English and Russian is never a breed', (t) => {
    const words = [...new Set([...ISSUE_WORDS, ...CHAT_EN, ...CHAT_RU])].filter((w) => w !== '');
    const labelled = words.flatMap((w) => {
      const r = search.resolve(w);
      return r.kind === 'breed' ? [`${w} → ${r.id}`] : [];
    });
    const offered = words.filter((w) => search.resolve(w).kind === 'closest');
    t.diagnostic(
      `chat words → labels: ${labelled.length} of ${words.length}${labelled.length ? `: ${labelled.join(', ')}` : ''}`,
    );
    t.diagnostic(
      `chat words → buttons offered (not stored): ${offered.length} of ${words.length}: ${offered.join(', ')}`,
    );
    assert.deepEqual(labelled, []);
  });

  test('typos of real names are the right breed', (t) => {
    const right = TYPOS.filter(([typed, id]) => {
      const r = search.resolve(typed);
      return r.kind === 'breed' && r.id === id;
    });
    const wrong = TYPOS.filter((x) => !right.includes(x)).map(
      ([typed]) => `${typed} → ${JSON.stringify(search.resolve(typed))}`,
    );
    t.diagnostic(
      `typos → right breed: ${right.length} of ${TYPOS.length}${wrong.length ? `; not: ${wrong.join('; ')}` : ''}`,
    );
    assert.deepEqual(wrong, []);
  });

  test('exact names, in either language, and ids are the breed; a part of a name offers the breeds it fits', () => {
    assert.deepEqual(search.resolve('Golden Retriever'), { kind: 'breed', id: 'golden_retriever' });
    assert.deepEqual(search.resolve('Бигль'), { kind: 'breed', id: 'beagle' });
    assert.deepEqual(search.resolve('shih-tzu'), { kind: 'breed', id: 'shih-tzu' });
    assert.deepEqual(search.resolve('pug'), { kind: 'breed', id: 'pug' });
    const terrier = search.resolve('terrier');
    assert.equal(terrier.kind, 'closest');
    assert.ok(terrier.kind === 'closest' && terrier.ids.length >= 2 && terrier.ids.length <= 3);
    assert.deepEqual(search.resolve('husky'), { kind: 'closest', ids: ['siberian_husky'] });
  });

  test('a name that is no breed is never one: australian shepherd offers names sharing its words, poodle the three', () => {
    const shepherd = search.resolve('australian shepherd');
    assert.equal(shepherd.kind, 'closest', 'never the Australian Terrier by itself');
    assert.ok(shepherd.kind === 'closest' && shepherd.ids.includes('australian_terrier'));
    assert.ok(shepherd.kind === 'closest' && shepherd.ids.includes('german_shepherd'));
    assert.deepEqual(search.resolve('labradoodle'), { kind: 'none' });
    const poodle = search.resolve('poodle');
    assert.ok(poodle.kind === 'closest');
    assert.deepEqual([...poodle.ids].sort(), ['miniature_poodle', 'standard_poodle', 'toy_poodle']);
  });
});

describe('typed corrections end to end', () => {
  let h: Harness;
  let stored: PersonalData;
  before(async () => {
    h = await startHarness({ RATE_LIMIT_PHOTOS: '20' });
    stored = personalDataOf(h);
  });
  after(async () => {
    await h.close();
  });

  /** A person with a Boxer answer they pressed 👎 on, now asked to type the breed. */
  async function correcting(languageCode = 'en') {
    const p = person(h, languageCode);
    const { answer } = await p.photo(BOXER);
    p.press(answer.message_id, 'fb:n');
    await p.keyboard(answer.message_id, (data) => data.includes('fbp:1'));
    await poll(async () => stored.awaiting.get(p.from.id, p.chat.id));
    return { p, answer };
  }

  test('chit-chat is said not to be a breed and stored as nothing; a typo after it still is', async (t) => {
    const { p, answer } = await correcting();
    const said = ['hello', 'ok', 'cat', 'да', 'привет', '👍'];
    for (const word of said) await p.replyTo(p.text(word).message_id, /don't know a breed called/);
    const record = await stored.feedback.get(p.from.id, p.chat.id, answer.message_id);
    t.diagnostic(`end to end: ${said.length} chat words, label stored: ${record?.correctBreed ?? 'none'}`);
    assert.equal(record?.correctBreed, undefined);
    await p.replyTo(p.text('shitzu').message_id, /Noted: it's a Shih Tzu/i);
    await poll(
      async () =>
        (await stored.feedback.get(p.from.id, p.chat.id, answer.message_id))?.correctBreed === 'shih-tzu' || undefined,
    );
  });

  test('a long text ending in an emoji is quoted back cut between characters, never inside the emoji', async () => {
    const { p } = await correcting();
    const reply = await p.replyTo(p.text(`${'q'.repeat(63)}🐕🐕`).message_id, /don't know a breed called/);
    assert.ok(reply.text?.includes(`${'q'.repeat(63)}🐕”`), reply.text);
    assert.doesNotMatch(reply.text ?? '', /\p{Cs}/u, 'no half of a surrogate pair');
  });

  test('a Russian typo is stored as the right breed', async () => {
    const { p, answer } = await correcting('ru');
    await p.replyTo(p.text('ротвеллер').message_id, /Записано/);
    await poll(
      async () =>
        (await stored.feedback.get(p.from.id, p.chat.id, answer.message_id))?.correctBreed === 'rottweiler' ||
        undefined,
    );
  });

  test('a part of a name offers the closest breeds as the pick buttons; tapping one stores it', async () => {
    const { p, answer } = await correcting();
    await p.replyTo(p.text('terrier').message_id, /Did you mean/);
    const offered = await p.keyboard(
      answer.message_id,
      (data) => data.filter((d) => d.startsWith('fb:b:')).length >= 2,
    );
    const picks = buttons(offered).filter((d) => d.startsWith('fb:b:'));
    assert.ok(picks.length >= 2 && picks.length <= 3, picks.join());
    assert.equal((await stored.feedback.get(p.from.id, p.chat.id, answer.message_id))?.correctBreed, undefined);
    const chosen = picks[0] as string;
    p.press(answer.message_id, chosen);
    await poll(
      async () =>
        (await stored.feedback.get(p.from.id, p.chat.id, answer.message_id))?.correctBreed === chosen.slice(5) ||
        undefined,
    );
  });

  test('a name that is no breed (australian shepherd, labradoodle) is not stored; close names are offered', async () => {
    const { p, answer } = await correcting();
    await p.replyTo(p.text('labradoodle').message_id, /don't know a breed called “labradoodle”/);
    await p.replyTo(p.text('australian shepherd').message_id, /Did you mean/);
    const offered = await p.keyboard(answer.message_id, (data) => data.includes('fb:b:german_shepherd'));
    assert.ok(buttons(offered).includes('fb:b:australian_terrier'));
    assert.equal((await stored.feedback.get(p.from.id, p.chat.id, answer.message_id))?.correctBreed, undefined);
    assert.ok(await stored.awaiting.get(p.from.id, p.chat.id), 'still waiting for a breed');
  });

  for (const command of ['/breed', '/help', '/breeds', '/start']) {
    test(`a command (${command}) ends the correction: a breed name typed after it is not stored`, async () => {
      const { p, answer } = await correcting();
      const sent = p.text(command);
      // Not every command's answer is a reply to it (/help is a plain message): wait for the bot's next message.
      await poll(async () =>
        h.standIn.botMessagesIn(p.chat.id).some((m) => m.message_id > sent.message_id) ? true : undefined,
      );
      await poll(async () => ((await stored.awaiting.get(p.from.id, p.chat.id)) === undefined ? true : undefined));
      const typed = p.text('golden retriever');
      await poll(async () =>
        h.standIn.botMessagesIn(p.chat.id).some((m) => m.message_id > typed.message_id) ? true : undefined,
      );
      assert.equal((await stored.feedback.get(p.from.id, p.chat.id, answer.message_id))?.correctBreed, undefined);
    });
  }
});

describe('the pending correction expires', () => {
  test('after AWAITING_SECONDS (10 minutes), not forever', async () => {
    const redis = new Redis(REDIS_URL);
    const prefix = `test-awaiting-${process.pid}-${Date.now()}`;
    try {
      const awaiting = new AwaitingBreedName(redis, prefix);
      const now = Date.now();
      await awaiting.start(7, 7, { messageId: 3 }, now);
      assert.deepEqual(await awaiting.get(7, 7, now + 60_000), { messageId: 3 });
      assert.equal(await awaiting.get(7, 7, now + AWAITING_SECONDS * 1000 + 1), undefined);
      assert.ok((await redis.ttl(`${prefix}:awaiting-breed:7`)) <= AWAITING_SECONDS);
      assert.equal(AWAITING_SECONDS, 600);
    } finally {
      await redis.del(`${prefix}:awaiting-breed:7`);
      redis.disconnect();
    }
  });
});
