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
 *   hist:<at>       (under /history) show again the answer given at <at>, epoch ms — with its owner at the end
 *
 * Under an answer about several dogs, the feedback buttons carry the dog's number (as on the photo):
 * `fb:y:2`, `fb:n:2`, `fb:b:2:<breed>`, `fbp:2:<page>` — at most 8 + 27 bytes.
 *
 * They carry no owner: the answer context names the photo's sender, the only person whose presses count (the bot
 * checks). The ℹ️ card is for everyone.
 */
import { InlineKeyboard } from 'grammy';
import type { Locale, Texts } from '../i18n/index.ts';
import { markColour } from './dog-marks.ts';

/** `:<n>` for dog n of several; nothing for the answer as a whole. */
const dogPart = (dog?: number) => (dog === undefined ? '' : `:${dog}`);

export const CALLBACK = {
  right: (dog?: number) => `fb:y${dogPart(dog)}`,
  wrong: (dog?: number) => `fb:n${dogPart(dog)}`,
  back: 'fb:back',
  pick: (breed: string, dog?: number) => `fb:b${dogPart(dog)}:${breed}`,
  page: (page: number, dog?: number) => `fbp${dogPart(dog)}:${page}`,
  card: (breed: string) => `card:${breed}`,
  history: (at: number) => `hist:${at}`,
} as const;

/** Group 1 of right, wrong, pick and page is the dog's number, when there is one. */
export const CALLBACK_PATTERN = {
  right: /^fb:y(?::(\d{1,2}))?$/,
  wrong: /^fb:n(?::(\d{1,2}))?$/,
  pick: /^fb:b:(?:(\d{1,2}):)?([a-z][a-z_-]*)$/,
  page: /^fbp:(?:(\d{1,2}):)?(\d+)$/,
  card: /^card:([a-z][a-z_-]*)$/,
  /** Without its owner's ending (button-owner.ts adds it). */
  history: /^hist:(\d{1,15})/,
} as const;

/** The dog number matched by a CALLBACK_PATTERN's group 1, if any. */
export function dogNumber(match: string | undefined): number | undefined {
  return match === undefined ? undefined : Number(match);
}

/** Breeds per page of the "All breeds" picker (two columns). */
export const PICKER_PAGE_SIZE = 10;

/** Under a dog answer: 👍 / 👎 (when feedback is kept) and the card of the top breed. */
export function answerKeyboard(texts: Texts, locale: Locale, topBreed: string, withFeedback: boolean): InlineKeyboard {
  const keyboard = new InlineKeyboard();
  if (withFeedback) {
    keyboard
      .text(texts.t(locale, 'button-right'), CALLBACK.right())
      .text(texts.t(locale, 'button-wrong'), CALLBACK.wrong());
    keyboard.row();
  }
  return keyboard.text(
    texts.t(locale, 'button-card', { name: texts.breedName(locale, topBreed) }),
    CALLBACK.card(topBreed),
  );
}

/** Under an answer about several dogs: a row per dog — its number's 👍 and 👎 (when feedback is kept), its card. */
export function severalDogsKeyboard(
  texts: Texts,
  locale: Locale,
  dogs: readonly { number: number; top: readonly { breed: string }[] }[],
  withFeedback: boolean,
): InlineKeyboard {
  const keyboard = new InlineKeyboard();
  for (const dog of dogs) {
    const topBreed = dog.top[0]?.breed;
    if (topBreed === undefined) continue;
    if (keyboard.inline_keyboard.some((row) => row.length > 0)) keyboard.row();
    const who = { mark: markColour(dog.number).emoji, number: dog.number };
    if (withFeedback) {
      keyboard
        .text(texts.t(locale, 'button-dog-right', who), CALLBACK.right(dog.number))
        .text(texts.t(locale, 'button-dog-wrong', who), CALLBACK.wrong(dog.number));
    }
    keyboard.text(texts.t(locale, 'button-card', { name: texts.breedName(locale, topBreed) }), CALLBACK.card(topBreed));
  }
  return keyboard;
}

/** The buttons an answer shows when no correction is under way (also what "Back" and a correction return to). */
export function mainAnswerKeyboard(
  texts: Texts,
  locale: Locale,
  answer: {
    top: readonly { breed: string }[];
    dogs?: readonly { number: number; top: readonly { breed: string }[] }[];
  },
  withFeedback: boolean,
): InlineKeyboard {
  return answer.dogs === undefined
    ? answerKeyboard(texts, locale, answer.top[0]?.breed ?? '', withFeedback)
    : severalDogsKeyboard(texts, locale, answer.dogs, withFeedback);
}

/** After 👎 (on dog `dog` of several, if given): the model's other guesses, the full list, and the way back. */
export function correctionKeyboard(texts: Texts, locale: Locale, top: readonly string[], dog?: number): InlineKeyboard {
  const keyboard = new InlineKeyboard();
  for (const breed of top.slice(1)) keyboard.text(texts.breedName(locale, breed), CALLBACK.pick(breed, dog)).row();
  return keyboard
    .text(texts.t(locale, 'button-all-breeds'), CALLBACK.page(1, dog))
    .text(texts.t(locale, 'button-back'), CALLBACK.back);
}

/** One page of all breeds, alphabetical in the person's language (picks for dog `dog` of several, if given). */
export function breedPickerKeyboard(texts: Texts, locale: Locale, page: number, dog?: number): InlineKeyboard {
  const breeds = texts.sortedBreeds(locale);
  const pages = Math.ceil(breeds.length / PICKER_PAGE_SIZE);
  const current = Math.min(Math.max(page, 1), pages);
  const keyboard = new InlineKeyboard();
  breeds.slice((current - 1) * PICKER_PAGE_SIZE, current * PICKER_PAGE_SIZE).forEach((breed, i) => {
    keyboard.text(breed.name, CALLBACK.pick(breed.id, dog));
    if (i % 2 === 1) keyboard.row();
  });
  keyboard.row();
  if (current > 1) keyboard.text(texts.t(locale, 'previous'), CALLBACK.page(current - 1, dog));
  if (current < pages) keyboard.text(texts.t(locale, 'next'), CALLBACK.page(current + 1, dog));
  return keyboard.row().text(texts.t(locale, 'button-back'), CALLBACK.back);
}
