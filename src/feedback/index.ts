/** The buttons under an answer and their callback data. */
export * from './answer-keyboard.ts';
