/**
 * The inline keyboards under an answer and their callback data. callback_data is limited to 64 bytes, so buttons
 * carry short codes and breed ids (the longest id is 27 characters); the answer itself is found from the message the
 * button sits under (chat id + message id → the stored answer context).
 *
 *   fb:y            👍 right
 *   fb:n            👎 wrong → the other guesses, "All breeds", "Back"
 *   fb:b:<breed>    this is the right breed
 *   fbp:<page>      a page of all breeds to pick from
 *   fb:back         back to 👍 / 👎
 *   card:<breed>    send the breed's card
 */
import { InlineKeyboard } from 'grammy';
import type { Locale } from '../i18n/i18n.ts';
import type { Texts } from '../i18n/texts.ts';

export const CALLBACK = {
  right: 'fb:y',
  wrong: 'fb:n',
  back: 'fb:back',
  pick: (breed: string) => `fb:b:${breed}`,
  page: (page: number) => `fbp:${page}`,
  card: (breed: string) => `card:${breed}`,
} as const;

export const CALLBACK_PATTERN = {
  pick: /^fb:b:([a-z][a-z_-]*)$/,
  page: /^fbp:(\d+)$/,
  card: /^card:([a-z][a-z_-]*)$/,
} as const;

/** Breeds per page of the "All breeds" picker (two columns). */
export const PICKER_PAGE_SIZE = 10;

/** Under a dog answer: 👍 / 👎 (when feedback is kept) and the card of the top breed. */
export function answerKeyboard(texts: Texts, locale: Locale, topBreed: string, withFeedback: boolean): InlineKeyboard {
  const keyboard = new InlineKeyboard();
  if (withFeedback) {
    keyboard
      .text(texts.t(locale, 'button-right'), CALLBACK.right)
      .text(texts.t(locale, 'button-wrong'), CALLBACK.wrong);
    keyboard.row();
  }
  return keyboard.text(
    texts.t(locale, 'button-card', { name: texts.breedName(locale, topBreed) }),
    CALLBACK.card(topBreed),
  );
}

/** After 👎: the model's other guesses, the full list, and the way back. */
export function correctionKeyboard(texts: Texts, locale: Locale, top: readonly string[]): InlineKeyboard {
  const keyboard = new InlineKeyboard();
  for (const breed of top.slice(1)) keyboard.text(texts.breedName(locale, breed), CALLBACK.pick(breed)).row();
  return keyboard
    .text(texts.t(locale, 'button-all-breeds'), CALLBACK.page(1))
    .text(texts.t(locale, 'button-back'), CALLBACK.back);
}

/** One page of all breeds, alphabetical in the person's language. */
export function breedPickerKeyboard(texts: Texts, locale: Locale, page: number): InlineKeyboard {
  const breeds = texts.sortedBreeds(locale);
  const pages = Math.ceil(breeds.length / PICKER_PAGE_SIZE);
  const current = Math.min(Math.max(page, 1), pages);
  const keyboard = new InlineKeyboard();
  breeds.slice((current - 1) * PICKER_PAGE_SIZE, current * PICKER_PAGE_SIZE).forEach((breed, i) => {
    keyboard.text(breed.name, CALLBACK.pick(breed.id));
    if (i % 2 === 1) keyboard.row();
  });
  keyboard.row();
  if (current > 1) keyboard.text(texts.t(locale, 'previous'), CALLBACK.page(current - 1));
  if (current < pages) keyboard.text(texts.t(locale, 'next'), CALLBACK.page(current + 1));
  return keyboard.row().text(texts.t(locale, 'button-back'), CALLBACK.back);
}
