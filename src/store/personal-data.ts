/**
 * Everything kept about people besides the answer history, opened together: their language choice, the context of
 * each answer (for its buttons), their feedback, and pending corrections. /forget deletes it all, with the history and
 * the person's finished jobs (`ForgettableStores`).
 */
import type { Redis } from 'ioredis';
import { AnswerContextStore } from './answer-contexts.ts';
import { AwaitingBreedName } from './awaiting-breed.ts';
import { FeedbackStore } from './feedback-store.ts';
import { LanguageStore } from './language-store.ts';
import type { PersonalStores } from './personal-stores.ts';

export interface PersonalData {
  languages: LanguageStore;
  answers: AnswerContextStore;
  feedback: FeedbackStore;
  awaiting: AwaitingBreedName;
}

/** Every store /forget empties, by the name it reports: the personal data, the answer history, the finished jobs. */
export type ForgettableStores = PersonalStores<keyof PersonalData | 'history' | 'jobs'>;

export interface PersonalDataOptions {
  /** How long each answer's context is kept: as long as the answer history (HISTORY_RETENTION_DAYS). */
  answerRetentionSeconds: number;
  /** FEEDBACK_RETENTION_DAYS; 0 = no feedback kept (and no 👍/👎 buttons). */
  feedbackRetentionSeconds: number;
}

export function openPersonalData(redis: Redis, prefix: string, options: PersonalDataOptions): PersonalData {
  return {
    languages: new LanguageStore(redis, prefix),
    answers: new AnswerContextStore(redis, prefix, options.answerRetentionSeconds),
    feedback: new FeedbackStore({ redis, prefix, retentionSeconds: options.feedbackRetentionSeconds }),
    awaiting: new AwaitingBreedName(redis, prefix),
  };
}

/** 👍/👎 go under answers only when both the answer's context and the feedback are kept. */
export function feedbackEnabled(data: PersonalData): boolean {
  return data.answers.enabled && data.feedback.enabled;
}
