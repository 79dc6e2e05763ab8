/**
 * The reply: a classification and a locale → what the person sees. The words (through i18n's texts), the buttons
 * under an answer and their callback data, the photo of several dogs with their numbered boxes, and /history's list of
 * past answers (one shown again through the same renderer). Pure: the worker
 * sends what it renders, and stores the answer's context itself.
 */
export * from './dog-marks.ts';
export * from './history.ts';
export * from './keyboards.ts';
export * from './render.ts';
export * from './video.ts';
