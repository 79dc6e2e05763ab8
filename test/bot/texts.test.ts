/**
 * The words: both languages have every message, every breed has a Russian name and a card, the cards file is
 * validated, answers say "may be a mix" when the top two are close (in both languages), and typed names are found.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { BREED_CARDS_FILE, BreedCardError, loadBreedCards } from '../../src/breeds/breed-cards.ts';
import { type BreedSearch, breedSearchFor } from '../../src/breeds/breed-search.ts';
import { CALLBACK } from '../../src/feedback/answer-keyboard.ts';
import { createI18n, findLocalesDir, localeFromLanguageCode } from '../../src/i18n/i18n.ts';
import { loadTexts, type Texts } from '../../src/i18n/texts.ts';
import { type Breed, type Classification, loadBreeds } from '../../src/vision/index.ts';
import { formatAnswer } from '../../src/worker/format-answer.ts';
import { MODELS_DIR } from '../support/paths.ts';

let breeds: readonly Breed[];
let texts: Texts;
let search: BreedSearch;

before(async () => {
  breeds = await loadBreeds(path.join(MODELS_DIR, 'breeds.json'));
  texts = await loadTexts(MODELS_DIR, breeds);
  search = breedSearchFor(texts);
});

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

  test('callback data stays within Telegram’s 64 bytes for every breed', () => {
    for (const b of breeds) {
      assert.ok(Buffer.byteLength(CALLBACK.pick(b.id)) <= 64);
      assert.ok(Buffer.byteLength(CALLBACK.card(b.id)) <= 64);
    }
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

  test('a cards file that misses a breed or adds one is refused with the ids named', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'dog-breeds-cards-'));
    const original = JSON.parse(await readFile(path.join(MODELS_DIR, BREED_CARDS_FILE), 'utf8')) as {
      cards: { id: string }[];
    };
    const cards = original.cards.filter((c) => c.id !== 'pug');
    cards.push({ ...(cards[0] as { id: string }), id: 'wolpertinger' });
    await writeFile(path.join(dir, BREED_CARDS_FILE), JSON.stringify({ cards }));
    await assert.rejects(loadBreedCards(dir, breeds), (error: unknown) => {
      assert.ok(error instanceof BreedCardError);
      assert.match(error.message, /missing: pug; unknown: wolpertinger/);
      return true;
    });
    const bad = original.cards.map((c, i) => (i === 0 ? { ...c, size: 'huge' } : c));
    await writeFile(path.join(dir, BREED_CARDS_FILE), JSON.stringify({ cards: bad }));
    await assert.rejects(loadBreedCards(dir, breeds), /cards\.0\.size/);
    await copyFile(path.join(MODELS_DIR, BREED_CARDS_FILE), path.join(dir, BREED_CARDS_FILE));
    assert.equal((await loadBreedCards(dir, breeds)).size, 120);
  });
});

describe('mixed breeds', () => {
  const guess = (breed: string, p: number) => {
    const b = breeds.find((x) => x.id === breed) as Breed;
    return { breed, name: b.name, wikipedia: b.wikipedia, p };
  };
  const result = (top: ReturnType<typeof guess>[]): Classification => ({
    isDog: true,
    dogScore: 0.99,
    top,
    model: 'test',
    gateModel: null,
    ms: { preprocess: 0, inference: 0, total: 0 },
  });
  const options = { unsureThreshold: 0.3 };

  test('close top two: "could be a mix of both", in English and Russian', () => {
    const close = result([guess('golden_retriever', 0.5), guess('labrador_retriever', 0.4), guess('kuvasz', 0.1)]);
    assert.match(
      formatAnswer(close, options, texts, 'en'),
      /\n\n🤔 Could be a mix of Golden Retriever and Labrador Retriever\.$/,
    );
    assert.match(
      formatAnswer(close, options, texts, 'ru'),
      /\n\n🤔 Возможно, это помесь: Золотистый ретривер и Лабрадор-ретривер\.$/,
    );
  });

  test('a clear winner: no mix, no doubt', () => {
    const clear = result([guess('boxer', 0.8), guess('bull_mastiff', 0.1), guess('pug', 0.05)]);
    const text = formatAnswer(clear, options, texts, 'en');
    assert.doesNotMatch(text, /mix|not sure/);
    assert.match(
      text,
      /^🐶 <b><a href="https:\/\/en.wikipedia.org\/wiki\/Boxer_\(dog\)">Boxer<\/a><\/b> — 80%\n2\. Bullmastiff — 10%\n3\. Pug — 5%$/,
    );
  });

  test('a weak winner far ahead of the rest: unsure, without naming a mix', () => {
    const weak = result([guess('boxer', 0.25), guess('bull_mastiff', 0.1), guess('pug', 0.002)]);
    const text = formatAnswer(weak, options, texts, 'en');
    assert.match(text, /I'm not sure about this one/);
    assert.match(text, /3\. Pug — &lt;1%/);
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
