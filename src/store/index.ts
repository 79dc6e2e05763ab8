/**
 * The app's own Redis data: one key builder (`StoreKeys`) and the stores behind it. Callers import from here, never
 * from a file inside the folder. Stores of personal data implement `PersonalStore`; `PersonalStores` forgets a person
 * in all of them at once (/forget).
 */
export {
  type AnswerContext,
  AnswerContextStore,
  type DogContext,
  type JudgedDog,
  judgedDog,
} from './answer-contexts.ts';
export { type AnswerBeingCorrected, AwaitingBreedName } from './awaiting-breed.ts';
export { type FeedbackOptions, type FeedbackRecord, FeedbackStore, type Verdict } from './feedback-store.ts';
export { LanguageStore } from './language-store.ts';
export {
  type ForgettableStores,
  feedbackEnabled,
  openPersonalData,
  type PersonalData,
  type PersonalDataOptions,
} from './personal-data.ts';
export { type PersonalStore, PersonalStores } from './personal-stores.ts';
export { PhotoCounter } from './photo-counter.ts';
export { type HistoryOptions, PredictionHistory, type PredictionRecord } from './prediction-history.ts';
export { StoreKeys } from './store-keys.ts';
export { type ClaimOutcome, type UpdateClaimOptions, UpdateClaims } from './update-claims.ts';
export { type InboxTakeOver, UpdateInbox } from './update-inbox.ts';
export { announceWorker, listWorkers, type WorkerInfo } from './worker-presence.ts';
