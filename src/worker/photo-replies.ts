/**
 * The worker's side of a reply: the person's language (their /language choice, else Telegram's), the rendered reply,
 * and the answer's context stored for its buttons. The rendering itself is src/reply's, pure.
 */
import { isLocale, type Locale, localeFromLanguageCode, type Texts } from '../i18n/index.ts';
import type { PhotoJobData, VideoKind } from '../queue/index.ts';
import {
  type AnswerOptions,
  badImageKey,
  type Reply,
  renderReply,
  renderVideoReply,
  type VideoReply,
  videoProblemText,
} from '../reply/index.ts';
import { type DogContext, feedbackEnabled, type PersonalData } from '../store/index.ts';
import {
  type Classification,
  guessesOf,
  type ImageInputProblem,
  type VideoClassification,
  type VideoInputProblem,
} from '../vision/index.ts';

/** What the worker says, in whose language, with which buttons. */
export class PhotoReplies {
  constructor(
    private readonly texts: Texts,
    private readonly personal: PersonalData,
  ) {}

  /**
   * The language the bot resolved and put in the job; for jobs without it, the person's /language choice, else their
   * Telegram language. Redis trouble must not cost them the answer.
   */
  async localeFor(data: PhotoJobData): Promise<Locale> {
    if (data.locale !== undefined && isLocale(data.locale)) return data.locale;
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

  answer(result: Classification, locale: Locale, options: AnswerOptions): Reply {
    return renderReply(result, options, this.texts, locale, feedbackEnabled(this.personal));
  }

  /** A video's answer; `withFeedback` false leaves 👍/👎 off (an answer in text, about the video itself). */
  videoAnswer(
    result: VideoClassification,
    kind: VideoKind,
    locale: Locale,
    options: AnswerOptions,
    withFeedback = true,
  ): VideoReply {
    const feedback = withFeedback && feedbackEnabled(this.personal);
    return renderVideoReply(result, kind, options, this.texts, locale, feedback);
  }

  videoProblem(locale: Locale, problem: VideoInputProblem, limits: { maxDurationS: number }): string {
    return videoProblemText(this.texts, locale, problem, limits);
  }

  /**
   * Stores what the buttons under answer message `messageId` need; dog answers only (others have no buttons). `dogs`:
   * the dogs with buttons of an answer about several.
   */
  async remember(data: PhotoJobData, result: Classification, messageId: number, dogs?: DogContext[]): Promise<void> {
    if (!result.isDog && dogs === undefined) return;
    if (result.top.length === 0) return;
    await this.personal.answers.save({
      chatId: data.chatId,
      messageId,
      photoMessageId: data.messageId,
      userId: data.userId,
      fileId: data.fileId,
      fileUniqueId: data.fileUniqueId,
      model: result.model,
      top: guessesOf(result.top),
      ...(dogs === undefined ? {} : { dogs, photo: result.photo }),
      at: Date.now(),
    });
  }
}
