/** A classification → the message people see (Telegram HTML). */
import { en } from '../messages/en.ts';
import type { Classification, ImageInputProblem } from '../vision/index.ts';

export interface AnswerOptions {
  /** Top-1 probability below which the answer says it is unsure. */
  unsureThreshold: number;
  /** When the second guess is at least this share of the first, say it may be a mix of the two. */
  mixRatio?: number;
  /** Below the dog threshold, the best guess is still shown when the dog score reaches this. */
  showGuessFromDogScore?: number;
}

export function formatAnswer(result: Classification, options: AnswerOptions): string {
  const [first, second] = result.top;
  if (!result.isDog) {
    const likely = first !== undefined && (result.dogScore ?? 0) >= (options.showGuessFromDogScore ?? 0.15);
    return en.notADog(likely ? first : undefined);
  }
  const mixRatio = options.mixRatio ?? 0.6;
  const mix: [string, string] | undefined =
    first !== undefined && second !== undefined && second.p >= first.p * mixRatio
      ? [first.name, second.name]
      : undefined;
  return en.answer(result.top, { unsure: (first?.p ?? 0) < options.unsureThreshold, ...(mix ? { mix } : {}) });
}

export function messageForBadImage(problem: ImageInputProblem): string {
  switch (problem) {
    case 'too-large':
      return en.tooLargeImage;
    case 'too-small':
      return en.tooSmallImage;
    case 'not-an-image':
    case 'unsupported-format':
      return en.notAnImageFile;
    case 'empty':
    case 'corrupt':
      return en.badImage;
  }
}
