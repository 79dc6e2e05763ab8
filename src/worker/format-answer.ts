/**
 * A classification → the message people see (Telegram HTML, in their language) and the buttons under it, plus the
 * answer context those buttons will need (stored before the buttons appear).
 */
import type { InlineKeyboardMarkup } from 'grammy/types';
import { answerKeyboard } from '../feedback/answer-keyboard.ts';
import { feedbackEnabled, type PersonalData } from '../feedback/personal-data.ts';
import { type Locale, localeFromLanguageCode } from '../i18n/i18n.ts';
import type { Texts } from '../i18n/texts.ts';
import type { PhotoJobData } from '../queue/index.ts';
import type { Classification, ImageInputProblem } from '../vision/index.ts';

export interface AnswerOptions {
  /** Top-1 probability below which the answer says it is unsure. */
  unsureThreshold: number;
  /** When the second guess is at least this share of the first, say it may be a mix of the two. */
  mixRatio?: number;
  /** Below the dog threshold, the best guess is still shown when the dog score reaches this. */
  showGuessFromDogScore?: number;
}

export function formatAnswer(result: Classification, options: AnswerOptions, texts: Texts, locale: Locale): string {
  const [first, second] = result.top;
  if (!result.isDog) {
    const likely = first !== undefined && (result.dogScore ?? 0) >= (options.showGuessFromDogScore ?? 0.15);
    return texts.notADog(locale, likely ? first : undefined);
  }
  // Close top two: say it may be a mix of both rather than pretend to be sure of the first.
  const mixRatio = options.mixRatio ?? 0.6;
  const mix: [string, string] | undefined =
    first !== undefined && second !== undefined && second.p >= first.p * mixRatio
      ? [first.breed, second.breed]
      : undefined;
  return texts.answer(locale, result.top, {
    unsure: (first?.p ?? 0) < options.unsureThreshold,
    ...(mix ? { mix } : {}),
  });
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

/** What the worker says, in whose language, with which buttons. */
export class PhotoReplies {
  constructor(
    private readonly texts: Texts,
    private readonly personal: PersonalData,
  ) {}

  /** The person's /language choice, else their Telegram language; Redis trouble must not cost them the answer. */
  async localeFor(data: PhotoJobData): Promise<Locale> {
    try {
      return await this.personal.languages.resolve(data.userId, data.languageCode);
    } catch {
      return localeFromLanguageCode(data.languageCode);
    }
  }

  text(locale: Locale, key: string): string {
    return this.texts.t(locale, key);
  }

  badImage(locale: Locale, problem: ImageInputProblem): string {
    return this.text(locale, badImageKey(problem));
  }

  answer(
    result: Classification,
    locale: Locale,
    options: AnswerOptions,
  ): { text: string; markup?: InlineKeyboardMarkup } {
    const text = formatAnswer(result, options, this.texts, locale);
    const top = result.top[0];
    if (!result.isDog || top === undefined) return { text };
    return { text, markup: answerKeyboard(this.texts, locale, top.breed, feedbackEnabled(this.personal)) };
  }

  /** Stores what the buttons under answer message `messageId` need; dog answers only (others have no buttons). */
  async remember(data: PhotoJobData, result: Classification, messageId: number): Promise<void> {
    if (!result.isDog || result.top.length === 0) return;
    await this.personal.answers.save({
      chatId: data.chatId,
      messageId,
      photoMessageId: data.messageId,
      userId: data.userId,
      fileId: data.fileId,
      fileUniqueId: data.fileUniqueId,
      model: result.model,
      top: result.top.map(({ breed, p }) => ({ breed, p })),
      at: Date.now(),
    });
  }
}
