/**
 * A classification → the message people see (Telegram HTML, in their language) and the buttons under it, plus the
 * answer context those buttons will need (stored before the buttons appear). One dog (or the whole photo): a text
 * answer. Several dogs: the caption of the photo with their numbered boxes, and a row of buttons per dog.
 */
import type { InlineKeyboardMarkup } from 'grammy/types';
import type { DogLines, Doubt, Texts } from '../i18n/index.ts';
import { htmlTextLength, type Locale } from '../i18n/index.ts';
import type { DogContext, PredictionRecord } from '../store/index.ts';
import { type Classification, type DogAnswer, type Guess, guessesOf, type ImageInputProblem } from '../vision/index.ts';
import { type DogMark, markColour } from './dog-marks.ts';
import { answerKeyboard, severalDogsKeyboard } from './keyboards.ts';

export interface AnswerOptions {
  /** Top-1 probability below which the answer says it is unsure. */
  unsureThreshold: number;
  /** When the second guess is at least this share of the first, say it may be a mix of the two. */
  mixRatio?: number;
  /** Below the dog threshold, the best guess is still shown when the dog score reaches this. */
  showGuessFromDogScore?: number;
  /**
   * When the top breed is below unsureThreshold but one breed group holds at least this share of the probability,
   * the answer leads with the group (GROUP_LEAD_SHARE). Absent: it never does.
   */
  groupLeadShare?: number;
}

/** Telegram's limit on a photo's caption. */
export const MAX_CAPTION_LENGTH = 1024;

/**
 * What the words of an answer depend on: a classification, or what the history kept of one (the main dog's verdict
 * and top-3, no group and no other dogs).
 */
export type AnswerFacts = Pick<Classification, 'isDog' | 'dogScore' | 'group' | 'dogs' | 'moreDogs'> & {
  top: readonly Guess[];
};

/** What one dog's guesses leave open: a sure group when no breed is sure, a likely mix, or doubt. */
export function doubtOf(dog: Pick<DogAnswer, 'group'> & { top: readonly Guess[] }, options: AnswerOptions): Doubt {
  const [first, second] = dog.top;
  const unsure = (first?.p ?? 0) < options.unsureThreshold;
  // Close top two: say it may be a mix of both rather than pretend to be sure of the first.
  const mixRatio = options.mixRatio ?? 0.6;
  const mix: [string, string] | undefined =
    first !== undefined && second !== undefined && second.p >= first.p * mixRatio
      ? [first.breed, second.breed]
      : undefined;
  const group =
    unsure && options.groupLeadShare !== undefined && dog.group !== null && dog.group.p >= options.groupLeadShare
      ? dog.group.group
      : undefined;
  return { unsure, ...(mix ? { mix } : {}), ...(group === undefined ? {} : { group }) };
}

/** Several dogs get the numbered photo; one dog, or dogs none of which is sure to be a dog, a text answer. */
export function namesSeveralDogs(result: Pick<Classification, 'dogs'>): boolean {
  return result.dogs.length >= 2 && result.dogs.some((dog) => dog.isDog);
}

/** The dogs of an answer about several that have buttons (and an answer context): the ones judged to be dogs. */
export function dogsWithButtons(result: Classification): DogContext[] {
  return result.dogs.flatMap((dog, i) =>
    dog.isDog && dog.top.length > 0 ? [{ number: i + 1, box: dog.box, top: guessesOf(dog.top) }] : [],
  );
}

/** The caption about several dogs, within Telegram's caption limit (only each dog's top guess when all do not fit). */
function severalDogsCaption(
  result: Pick<Classification, 'dogs' | 'moreDogs'>,
  options: AnswerOptions,
  texts: Texts,
  locale: Locale,
): string {
  const dogs: DogLines[] = result.dogs.map((dog, i) => ({
    number: i + 1,
    mark: markColour(i + 1).emoji,
    isDog: dog.isDog,
    guesses: dog.top,
    doubt: doubtOf(dog, options),
  }));
  const full = texts.severalDogs(locale, dogs, result.moreDogs);
  return htmlTextLength(full) <= MAX_CAPTION_LENGTH ? full : texts.severalDogs(locale, dogs, result.moreDogs, true);
}

/** The answer's words: the text about one dog, or the caption about several. */
export function formatAnswer(result: AnswerFacts, options: AnswerOptions, texts: Texts, locale: Locale): string {
  if (namesSeveralDogs(result)) return severalDogsCaption(result, options, texts, locale);
  const [first] = result.top;
  if (!result.isDog) {
    const likely = first !== undefined && (result.dogScore ?? 0) >= (options.showGuessFromDogScore ?? 0.15);
    return texts.notADog(locale, likely ? first : undefined);
  }
  return texts.answer(locale, result.top, doubtOf(result, options));
}

/** What the worker sends: a text (the status message edited into it), or the numbered photo with its caption. */
export type Reply =
  | { kind: 'text'; text: string; markup?: InlineKeyboardMarkup }
  | {
      kind: 'several-dogs';
      caption: string;
      markup?: InlineKeyboardMarkup;
      /** What to draw on the photo. */
      marks: DogMark[];
      /** The dogs with buttons, for the answer context. */
      dogs: DogContext[];
    };

/** The whole reply to a classification, in `locale`: words, buttons, and for several dogs what to draw. */
export function renderReply(
  result: Classification,
  options: AnswerOptions,
  texts: Texts,
  locale: Locale,
  withFeedback: boolean,
): Reply {
  const text = formatAnswer(result, options, texts, locale);
  if (namesSeveralDogs(result)) {
    const dogs = dogsWithButtons(result);
    const keyboard = severalDogsKeyboard(texts, locale, dogs, withFeedback);
    return {
      kind: 'several-dogs',
      caption: text,
      ...(keyboard.inline_keyboard.length > 0 ? { markup: keyboard } : {}),
      marks: result.dogs.map((dog, i) => ({ number: i + 1, box: dog.box })),
      dogs,
    };
  }
  return textReply(result, text, texts, locale, withFeedback);
}

/** An answer in text: its words, and under a dog answer its buttons. */
function textReply(
  facts: AnswerFacts,
  text: string,
  texts: Texts,
  locale: Locale,
  withFeedback: boolean,
): Reply & { kind: 'text' } {
  const top = facts.top[0];
  if (!facts.isDog || top === undefined) return { kind: 'text', text };
  return { kind: 'text', text, markup: answerKeyboard(texts, locale, top.breed, withFeedback) };
}

/**
 * A past answer shown again from what the history kept of it (/history): a line saying when, then its words as the
 * answer rendered them, about the main dog (the history keeps no other), with its ℹ️ card but no 👍/👎 (the feedback
 * buttons stay under the answer itself).
 */
export function renderKeptAnswer(
  record: Pick<PredictionRecord, 'isDog' | 'dogScore' | 'top'>,
  when: string,
  options: AnswerOptions,
  texts: Texts,
  locale: Locale,
): Reply & { kind: 'text' } {
  const facts: AnswerFacts = { ...record, group: null, dogs: [], moreDogs: 0 };
  const text = [texts.t(locale, 'history-again', { when }), '', formatAnswer(facts, options, texts, locale)].join('\n');
  return textReply(facts, text, texts, locale, false);
}

/** The Fluent key of the message for a photo the vision core refused. */
export function badImageKey(problem: ImageInputProblem): string {
  switch (problem) {
    case 'too-large':
      return 'too-large-image';
    case 'too-small':
      return 'too-small-image';
    case 'not-an-image':
    case 'unsupported-format':
      return 'not-an-image-file';
    case 'empty':
    case 'corrupt':
      return 'bad-image';
  }
}
