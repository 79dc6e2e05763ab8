/**
 * A classification → the message people see (Telegram HTML, in their language) and the buttons under it, plus the
 * answer context those buttons will need (stored before the buttons appear). One dog (or the whole photo): a text
 * answer. Several dogs: the caption of the photo with their numbered boxes, and a row of buttons per dog.
 */
import type { InlineKeyboardMarkup } from 'grammy/types';
import type { DogLines, Doubt, Texts, Tier } from '../i18n/index.ts';
import { htmlTextLength, type Locale } from '../i18n/index.ts';
import type { DogContext, PredictionRecord } from '../store/index.ts';
import { type Classification, type DogAnswer, type Guess, guessesOf, type ImageInputProblem } from '../vision/index.ts';
import { type DogMark, markColour } from './dog-marks.ts';
import { answerKeyboard, severalDogsKeyboard } from './keyboards.ts';

/** How an answer is worded from its numbers (the settings SURE_THRESHOLD … MIX_MIN_SHARE; the schema says why each). */
export interface AnswerOptions {
  /** From this stated top-1 % up the breed is named plainly; below it, "probably" (SURE_THRESHOLD). */
  sureThreshold: number;
  /** Below this stated top-1 % the answer says it cannot tell the breed, the top-3 still listed (UNSURE_THRESHOLD). */
  unsureThreshold: number;
  /**
   * "Could be a mix of A and B" only when the two leading breeds together hold at least `pairShare` and the second
   * alone at least `minShare` (MIX_PAIR_SHARE, MIX_MIN_SHARE). Absent: never.
   */
  mix?: { pairShare: number; minShare: number };
  /** Below the dog threshold, the best guess is still shown when the dog score reaches this. */
  showGuessFromDogScore?: number;
  /**
   * Below the unsure tier, the answer leads with a breed group (FCI group) that holds at least this share of the
   * probability (GROUP_LEAD_SHARE). Absent: it never does.
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

/**
 * The tier of a stated top-1 share: named plainly, "probably", or "I can't tell". Judged on the whole percent shown,
 * so the words never disagree with the number beside them (0.697 reads "70%" and is named plainly at 0.7).
 */
export function tierOf(p: number, options: Pick<AnswerOptions, 'sureThreshold' | 'unsureThreshold'>): Tier {
  const shown = Math.round(p * 100);
  if (shown >= Math.round(options.sureThreshold * 100)) return 'sure';
  return shown >= Math.round(options.unsureThreshold * 100) ? 'likely' : 'unsure';
}

/**
 * What one dog's guesses leave open: how sure the top breed is, a likely mix of the two leading breeds, and below the
 * unsure tier the breed group that leads.
 */
export function doubtOf(dog: Pick<DogAnswer, 'group'> & { top: readonly Guess[] }, options: AnswerOptions): Doubt {
  const [first, second] = dog.top;
  const tier = tierOf(first?.p ?? 0, options);
  // A mix only when the pair holds most of the probability and the second is substantial: two breeds close together
  // in a flat spread (27 % / 26 %, the rest elsewhere) say nothing about a mix, only that the bot cannot tell.
  const mix: [string, string] | undefined =
    options.mix !== undefined &&
    first !== undefined &&
    second !== undefined &&
    first.p + second.p >= options.mix.pairShare &&
    second.p >= options.mix.minShare
      ? [first.breed, second.breed]
      : undefined;
  const group =
    tier === 'unsure' &&
    options.groupLeadShare !== undefined &&
    dog.group !== null &&
    dog.group.p >= options.groupLeadShare
      ? dog.group.group
      : undefined;
  return { tier, ...(mix ? { mix } : {}), ...(group === undefined ? {} : { group }) };
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

/** How an answer is shown beyond its numbers: what was looked at, and the room its caption has. */
export interface AnswerView {
  /** "I don't see a dog in this photo" or "…in this video". Default photo. */
  media?: 'photo' | 'video';
  /** Characters the caption about several dogs may take (a video's answer adds a line). Default MAX_CAPTION_LENGTH. */
  captionRoom?: number;
}

/**
 * The caption about several dogs, within `room` (Telegram's caption limit): in full, else only each dog's top guess,
 * else that without the 🤔 of the guesses that are not sure (sixteen dogs of the longest names).
 */
function severalDogsCaption(
  result: Pick<Classification, 'dogs' | 'moreDogs'>,
  options: AnswerOptions,
  texts: Texts,
  locale: Locale,
  room = MAX_CAPTION_LENGTH,
): string {
  const dogs: DogLines[] = result.dogs.map((dog, i) => ({
    number: i + 1,
    mark: markColour(i + 1).emoji,
    isDog: dog.isDog,
    guesses: dog.top,
    doubt: doubtOf(dog, options),
  }));
  const captions = (['full', 'compact', 'bare'] as const).map((detail) =>
    texts.severalDogs(locale, dogs, result.moreDogs, detail),
  );
  return captions.find((caption) => htmlTextLength(caption) <= room) ?? (captions[2] as string);
}

/** The answer's words: the text about one dog, or the caption about several. */
export function formatAnswer(
  result: AnswerFacts,
  options: AnswerOptions,
  texts: Texts,
  locale: Locale,
  view: AnswerView = {},
): string {
  if (namesSeveralDogs(result)) return severalDogsCaption(result, options, texts, locale, view.captionRoom);
  const [first] = result.top;
  if (!result.isDog) {
    const likely = first !== undefined && (result.dogScore ?? 0) >= (options.showGuessFromDogScore ?? 0.15);
    return texts.notADog(locale, likely ? first : undefined, view.media);
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
  view: AnswerView = {},
): Reply {
  const text = formatAnswer(result, options, texts, locale, view);
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
