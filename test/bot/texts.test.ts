/**
 * The words: both languages have every message, every breed has a Russian name and a card, the cards file is
 * validated, answers lead with a breed group when only the group is sure, name several dogs by number (valid Telegram
 * HTML, within a caption), and typed names are found. The words by confidence (tiers, the mix line, never 100 %):
 * test/reply/answer-words.test.ts.
 */
import assert from 'node:assert/strict';
import { copyFile, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BREED_CARDS_FILE, BreedCardError, loadBreedCards } from '../../src/breeds/breed-cards.ts';
import { type BreedSearch, breedSearchFor } from '../../src/i18n/breed-search.ts';
import { htmlTextLength } from '../../src/i18n/html.ts';
import { createI18n, findLocalesDir, localeFromLanguageCode } from '../../src/i18n/i18n.ts';
import { loadTexts, type Texts } from '../../src/i18n/texts.ts';
import { formatted } from '../../src/playground/bot-api/formatting.ts';
import { CALLBACK } from '../../src/reply/keyboards.ts';
import { type AnswerOptions, formatAnswer, MAX_CAPTION_LENGTH, renderReply } from '../../src/reply/render.ts';
import { type Breed, loadBreeds } from '../../src/vision/index.ts';
import { MODELS_DIR } from '../support/paths.ts';
import { tempDirs } from '../support/temp-dirs.ts';
import { classification, dog, guess as guessOf, oneDog } from './classifications.ts';

let breeds: readonly Breed[];
let texts: Texts;
let search: BreedSearch;

const temp = tempDirs();

before(async () => {
  breeds = await loadBreeds(path.join(MODELS_DIR, 'breeds.json'));
  texts = await loadTexts(MODELS_DIR, breeds);
  search = breedSearchFor(texts);
});
after(() => temp.removeAll());

/** Message ids of the .ftl files of one locale (lines `id = …` at the start). */
async function messageIds(locale: string): Promise<Set<string>> {
  const dir = path.join(findLocalesDir(), locale);
  const ids = new Set<string>();
  for (const file of await readdir(dir)) {
    for (const match of (await readFile(path.join(dir, file), 'utf8')).matchAll(/^([a-z][a-z0-9_-]*) =/gim)) {
      ids.add(match[1] as string);
    }
  }
  return ids;
}

describe('translations', () => {
  test('Russian has every English message and no others (besides breed names)', async () => {
    const en = await messageIds('en');
    const ru = await messageIds('ru');
    const ruWithoutBreeds = new Set([...ru].filter((id) => !id.startsWith('breed-')));
    assert.deepEqual(
      [...en].filter((id) => !ru.has(id)),
      [],
      'missing in Russian',
    );
    assert.deepEqual(
      [...ruWithoutBreeds].filter((id) => !en.has(id)),
      [],
      'only in Russian',
    );
  });

  test('every breed has a Russian name, each one different', async () => {
    const ru = await messageIds('ru');
    const missing = breeds.filter((b) => !ru.has(`breed-${b.id}`)).map((b) => b.id);
    assert.deepEqual(missing, []);
    const names = breeds.map((b) => texts.breedName('ru', b.id));
    assert.equal(new Set(names).size, breeds.length);
    assert.ok(
      names.every((n) => /[а-яё]/i.test(n)),
      'Russian names are in Cyrillic',
    );
    assert.equal(texts.breedName('ru', 'german_shepherd'), 'Немецкая овчарка');
    assert.equal(texts.breedName('ru', 'golden_retriever'), 'Золотистый ретривер');
    assert.equal(texts.breedName('ru', 'siberian_husky'), 'Сибирский хаски');
    assert.equal(texts.breedName('en', 'german_shepherd'), 'German Shepherd');
  });

  test('every message formats in both languages, with no missing message or variable', async () => {
    const missing: string[] = [];
    const i18n = createI18n({ onMissing: (m) => missing.push(m) });
    const vars = {
      ...{ name: 'N', url: 'U', percent: '5%', rank: 2, first: 'A', second: 'B', text: 'T', group: 'G', size: 'S' },
      ...{ seconds: 30, days: 7, hours: 24, limit: 10, window: 60, page: 1, pages: 4, p50: '1 s', p95: '2 s' },
      ...{ answers: 2, feedback: 1, jobs: 0, language: 'yes', waiting: 0, active: 0, delayed: 0, failed: 0 },
      ...{ mark: '🔴', number: 2, count: 3, guesses: 'A — 5%', when: 'W', initial: 'a' },
      ...{ frames: 6, kind: 'video', unit: 'minutes' },
    };
    for (const id of await messageIds('en')) {
      for (const locale of ['en', 'ru'] as const) {
        const text = i18n.t(locale, id, vars);
        assert.ok(text.length > 0 && !text.includes('{'), `${locale} ${id}: ${text}`);
      }
    }
    assert.deepEqual(missing, []);
  });

  test('Telegram language → locale: ru* is Russian, anything else (or nothing) English', () => {
    assert.equal(localeFromLanguageCode('ru'), 'ru');
    assert.equal(localeFromLanguageCode('ru-RU'), 'ru');
    assert.equal(localeFromLanguageCode('en-GB'), 'en');
    assert.equal(localeFromLanguageCode('uk'), 'en');
    assert.equal(localeFromLanguageCode(undefined), 'en');
  });

  test('callback data stays within Telegram’s 64 bytes for every breed, for dogs up to MAX_DOGS’s 16', () => {
    for (const b of breeds) {
      assert.ok(Buffer.byteLength(CALLBACK.pick(b.id)) <= 64);
      assert.ok(Buffer.byteLength(CALLBACK.pick(b.id, 16)) <= 64);
      assert.ok(Buffer.byteLength(CALLBACK.card(b.id)) <= 64);
    }
    assert.ok(Buffer.byteLength(CALLBACK.page(12, 16)) <= 64);
  });

  test('every breed group has a name to lead an answer with, in both languages', () => {
    for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) {
      assert.match(texts.groupLead('en', `fci-${n}`) ?? '', new RegExp(`^an? .+ \\(FCI group ${n}\\)$`));
      assert.match(texts.groupLead('ru', `fci-${n}`) ?? '', new RegExp(`^[а-яё].+ \\(группа FCI ${n}\\)$`));
    }
    for (const group of ['akc-hound', 'ckc-working', 'wild']) {
      assert.ok(texts.groupLead('en', group) && texts.groupLead('ru', group), group);
    }
    assert.equal(texts.groupLead('en', 'fci-99'), undefined);
  });
});

describe('breed cards', () => {
  test('every breed has a card: group, size, a temperament line in both languages', () => {
    for (const b of breeds) {
      const en = texts.card('en', b.id);
      const ru = texts.card('ru', b.id);
      assert.match(en ?? '', /\nGroup: .+\nSize: (toy|small|medium|large|giant)\n.{10,}/, b.id);
      assert.match(ru ?? '', /\nГруппа: .+\nРазмер: .+\n.{10,}/, b.id);
      assert.ok(en?.includes(`href="${b.wikipedia}"`), `${b.id} links to Wikipedia`);
    }
  });

  test('a cards file that misses a breed or repeats one is refused with the ids named; cards of breeds the model does not name are left out', async () => {
    const dir = await temp.make('cards');
    const original = JSON.parse(await readFile(path.join(MODELS_DIR, BREED_CARDS_FILE), 'utf8')) as {
      cards: { id: string }[];
    };
    const cards = original.cards.filter((c) => c.id !== 'pug');
    cards.push({ ...(cards[0] as { id: string }), id: 'wolpertinger' });
    await writeFile(path.join(dir, BREED_CARDS_FILE), JSON.stringify({ cards }));
    await assert.rejects(loadBreedCards(dir, breeds), (error: unknown) => {
      assert.ok(error instanceof BreedCardError);
      assert.match(error.message, /missing: pug$/);
      return true;
    });
    const bad = original.cards.map((c, i) => (i === 0 ? { ...c, size: 'huge' } : c));
    await writeFile(path.join(dir, BREED_CARDS_FILE), JSON.stringify({ cards: bad }));
    await assert.rejects(loadBreedCards(dir, breeds), /cards\.0\.size/);
    const twice = [...original.cards, original.cards.find((c) => c.id === 'pug')];
    await writeFile(path.join(dir, BREED_CARDS_FILE), JSON.stringify({ cards: twice }));
    await assert.rejects(loadBreedCards(dir, breeds), /more than one card for: pug/);
    await copyFile(path.join(MODELS_DIR, BREED_CARDS_FILE), path.join(dir, BREED_CARDS_FILE));
    // The file has the Dalmatian's card too; the 120 breeds of a breed model get theirs only.
    const cardsOf120 = await loadBreedCards(dir, breeds);
    assert.equal(cardsOf120.size, 120);
    assert.equal(cardsOf120.has('dalmatian'), false);
  });
});

/** Telegram HTML as the stand-in parses it (strictly, as Telegram does): the visible text, or a thrown error. */
const parsedHtml = (html: string) => formatted({ text: html, parse_mode: 'HTML' }, 'text', 'entities');

describe('a sure group when no breed is sure', () => {
  const guess = (breed: string, p: number) => guessOf(breeds, breed, p);
  const options: AnswerOptions = { sureThreshold: 0.7, unsureThreshold: 0.5, groupLeadShare: 0.6 };
  const terriers = () => [guess('cairn', 0.3), guess('norfolk_terrier', 0.15), guess('australian_terrier', 0.1)];

  test('leads with the group, in English and Russian, and still lists the top-3', () => {
    const result = oneDog(terriers(), { group: 'fci-3', p: 0.8 });
    const en = formatAnswer(result, options, texts, 'en');
    assert.match(
      en,
      /^🤔 Probably a terrier \(FCI group 3\), though I can't tell the breed for sure:\n🐶 <b><a href="[^"]+">Cairn Terrier<\/a><\/b> — 30%\n2\. Norfolk Terrier — 15%\n3\. Australian Terrier — 10%$/,
    );
    assert.doesNotMatch(en, /I can't tell the breed —/, 'the group leads instead');
    const ru = formatAnswer(result, options, texts, 'ru');
    assert.match(ru, /^🤔 Скорее всего, это терьер \(группа FCI 3\), но какая именно порода — сказать трудно:\n🐶 /);
    assert.match(ru, /\n3\. .+ — 10%$/);
    parsedHtml(en);
    parsedHtml(ru);
  });

  test('scent hounds and sighthounds read naturally', () => {
    const hounds = [guess('beagle', 0.4), guess('english_foxhound', 0.3), guess('walker_hound', 0.1)];
    assert.match(
      formatAnswer(oneDog(hounds, { group: 'fci-6', p: 0.9 }), options, texts, 'en'),
      /^🤔 Probably a scent hound \(FCI group 6\)/,
    );
    const sight = [guess('whippet', 0.4), guess('italian_greyhound', 0.3), guess('saluki', 0.1)];
    assert.match(
      formatAnswer(oneDog(sight, { group: 'fci-10', p: 0.9 }), options, texts, 'en'),
      /^🤔 Probably a sighthound \(FCI group 10\)/,
    );
    assert.match(
      formatAnswer(oneDog(sight, { group: 'fci-10', p: 0.9 }), options, texts, 'ru'),
      /^🤔 Скорее всего, это борзая \(группа FCI 10\)/,
    );
  });

  test('no lead when a breed is sure, when the group holds less than GROUP_LEAD_SHARE, or when it is not set', () => {
    const sure = oneDog([guess('cairn', 0.7), guess('norfolk_terrier', 0.1), guess('norwich_terrier', 0.05)], {
      group: 'fci-3',
      p: 0.9,
    });
    assert.doesNotMatch(formatAnswer(sure, options, texts, 'en'), /Probably/);
    const spread = formatAnswer(oneDog(terriers(), { group: 'fci-3', p: 0.55 }), options, texts, 'en');
    assert.doesNotMatch(spread, /Probably/);
    assert.match(spread, /^🤔 I can't tell the breed .+\n🐶 .+\n.+\n.+$/);
    const unset = formatAnswer(
      oneDog(terriers(), { group: 'fci-3', p: 0.8 }),
      { sureThreshold: 0.7, unsureThreshold: 0.5 },
      texts,
      'en',
    );
    assert.doesNotMatch(unset, /Probably/);
  });
});

describe('several dogs', () => {
  const guess = (breed: string, p: number) => guessOf(breeds, breed, p);
  const options: AnswerOptions = {
    sureThreshold: 0.7,
    unsureThreshold: 0.5,
    mix: { pairShare: 0.6, minShare: 0.25 },
    groupLeadShare: 0.6,
  };
  const somewhere = { left: 0, top: 0, width: 10, height: 10 };
  const beagle = () =>
    dog([guess('beagle', 0.84), guess('walker_hound', 0.09), guess('english_foxhound', 0.04)], {
      left: 10,
      top: 20,
      width: 300,
      height: 350,
    });
  const boxer = () =>
    dog([guess('boxer', 0.9), guess('bull_mastiff', 0.05), guess('pug', 0.002)], {
      left: 420,
      top: 10,
      width: 350,
      height: 380,
    });
  const twoDogs = () => classification([beagle(), boxer()]);

  test('English: each number with its top-3 and percentages, the first linked', () => {
    const text = formatAnswer(twoDogs(), options, texts, 'en');
    assert.equal(
      text,
      [
        '🐶 I see 2 dogs, numbered from left to right:',
        '',
        '🔴 <b>1</b> · <b><a href="https://en.wikipedia.org/wiki/Beagle">Beagle</a></b> — 84%',
        '      or Treeing Walker Coonhound — 9%, English Foxhound — 4%',
        '',
        '🔵 <b>2</b> · <b><a href="https://en.wikipedia.org/wiki/Boxer_(dog)">Boxer</a></b> — 90%',
        '      or Bullmastiff — 5%, Pug — &lt;1%',
      ].join('\n'),
    );
    assert.equal(parsedHtml(text).text.split('\n')[2], '🔴 1 · Beagle — 84%');
  });

  test('Russian: the same, with Russian names and plural forms', () => {
    const text = formatAnswer(twoDogs(), options, texts, 'ru');
    assert.match(
      text,
      /^🐶 Вижу 2 собаки, номера — слева направо:\n\n🔴 <b>1<\/b> · <b><a href="[^"]+">Бигль<\/a><\/b> — 84%\n {6}или .+ — 9%, .+ — 4%\n\n🔵 <b>2<\/b> · <b><a href="[^"]+">Боксёр<\/a><\/b> — 90%/,
    );
    const five = classification([beagle(), boxer(), beagle(), boxer(), beagle()]);
    assert.match(formatAnswer(five, options, texts, 'ru'), /^🐶 Вижу 5 собак,/);
  });

  test('more dogs than were named: said so, in both languages', () => {
    const crowd = classification([beagle(), boxer(), beagle(), boxer()], { moreDogs: 3 });
    const en = formatAnswer(crowd, options, texts, 'en');
    assert.match(en, /^🐶 I see 7 dogs,/);
    assert.match(en, /\n\n…and 3 more I did not name\.$/);
    const oneMore = classification([beagle(), boxer()], { moreDogs: 1 });
    assert.match(formatAnswer(oneMore, options, texts, 'en'), /\n\n…and one more I did not name\.$/);
    assert.match(
      formatAnswer(crowd, options, texts, 'ru'),
      /^🐶 Вижу 7 собак,[\s\S]*\n\n…и ещё 3 — столько сразу я не называю\.$/,
    );
  });

  test('per dog: a sure group leads, a likely pair is a possible mix, a doubtful view says it cannot tell', () => {
    const terrier = dog(
      [guess('cairn', 0.3), guess('norfolk_terrier', 0.15), guess('australian_terrier', 0.1)],
      somewhere,
      { group: { group: 'fci-3', p: 0.8 } },
    );
    const mix = dog(
      [guess('golden_retriever', 0.5), guess('labrador_retriever', 0.4), guess('kuvasz', 0.05)],
      somewhere,
    );
    const unsure = dog([guess('kelpie', 0.3), guess('malinois', 0.1), guess('dingo', 0.05)], somewhere);
    const notDog = dog([guess('pug', 0.1)], somewhere, { isDog: false });
    const result = classification([terrier, mix, unsure, notDog]);
    const text = formatAnswer(result, options, texts, 'en');
    assert.match(
      text,
      /\n🔴 <b>1<\/b> · 🤔 probably a terrier \(FCI group 3\):\n {6}<b><a href="[^"]+">Cairn Terrier<\/a><\/b> — 30%\n {6}or Norfolk Terrier — 15%, Australian Terrier — 10%\n/,
    );
    assert.match(
      text,
      /\n🔵 <b>2<\/b> · .+Golden Retriever.+\n.+\n {6}🤔 could be a mix of Golden Retriever and Labrador Retriever\n/,
    );
    assert.match(
      text,
      /\n🟡 <b>3<\/b> · 🤔 I can't tell the breed — maybe a mix:\n {6}<b><a href="[^"]+">Australian Kelpie<\/a><\/b> — 30%\n {6}or .+\n/,
    );
    assert.match(text, /\n🟢 <b>4<\/b> · 🙂 this one may not be a dog$/);
    assert.match(
      formatAnswer(result, options, texts, 'ru'),
      /\n🔴 <b>1<\/b> · 🤔 скорее всего, терьер \(группа FCI 3\):\n/,
    );
    parsedHtml(text);
    parsedHtml(formatAnswer(result, options, texts, 'ru'));
  });

  test('the caption parses as Telegram HTML, its length counted as Telegram counts it', () => {
    const text = formatAnswer(twoDogs(), options, texts, 'en');
    const parsed = parsedHtml(text);
    assert.equal(parsed.entities.filter((e) => e.type === 'text_link').length, 2);
    assert.equal(htmlTextLength(text), parsed.text.length);
    assert.throws(() => parsedHtml('<b>1 < 2</b>'), /can't parse entities/, 'the stand-in is strict');
  });

  test('sixteen dogs with long names still fit a caption (only each top guess when all would not fit)', () => {
    const long = () =>
      dog(
        [
          guess('american_staffordshire_terrier', 0.3),
          guess('staffordshire_bullterrier', 0.25),
          guess('black-and-tan_coonhound', 0.2),
        ],
        somewhere,
        { group: { group: 'fci-3', p: 0.9 } },
      );
    for (const locale of ['en', 'ru'] as const) {
      const crowd = classification(Array.from({ length: 16 }, long), { moreDogs: 14 });
      const text = formatAnswer(crowd, options, texts, locale);
      assert.ok(htmlTextLength(text) <= MAX_CAPTION_LENGTH, `${locale}: ${htmlTextLength(text)}`);
      assert.match(parsedHtml(text).text, /16 · .+ — 30%/);
    }
  });

  test('the reply: the numbered photo with a row of buttons per dog; one dog stays a text answer', () => {
    const result = twoDogs();
    const reply = renderReply(result, options, texts, 'en', true);
    assert.equal(reply.kind, 'several-dogs');
    if (reply.kind !== 'several-dogs') return;
    assert.deepEqual(
      reply.marks,
      result.dogs.map((d, i) => ({ number: i + 1, box: d.box })),
    );
    assert.deepEqual(
      reply.markup?.inline_keyboard.map((row) => row.map((b) => ('callback_data' in b ? b.callback_data : b.text))),
      [
        ['fb:y:1', 'fb:n:1', 'card:beagle'],
        ['fb:y:2', 'fb:n:2', 'card:boxer'],
      ],
    );
    assert.equal(reply.markup?.inline_keyboard[1]?.[0]?.text, '🔵 2 👍');
    assert.equal(renderReply(classification([beagle()]), options, texts, 'en', true).kind, 'text');
    const withoutFeedback = renderReply(result, options, texts, 'en', false);
    assert.deepEqual(
      withoutFeedback.markup?.inline_keyboard.map((row) => row.length),
      [1, 1],
      'only the cards',
    );
  });
});

describe('typed breed names', () => {
  const best = (text: string) => search.best(text)?.id;
  test('typos, partial names, either language', () => {
    assert.equal(best('golden retriver'), 'golden_retriever');
    assert.equal(best('gold retriever'), 'golden_retriever');
    assert.equal(best('german shepard'), 'german_shepherd');
    assert.equal(best('Немецкая овчарка'), 'german_shepherd');
    assert.equal(best('черно-подпалый кунхаунд'), 'black-and-tan_coonhound');
    assert.equal(best('хаски'), 'siberian_husky');
    assert.equal(best('shih tzu'), 'shih-tzu');
  });
  test('nothing alike: no match', () => {
    assert.equal(best('qwxz zzkv'), undefined);
    assert.equal(best('a'), undefined);
  });
});
