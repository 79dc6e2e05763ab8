/**
 * Typed errors of the vision core. Callers (the bot, the CLI, the batch job) turn an `ImageInputError` into a kind
 * message for the person who sent the photo; a `ModelError` is the operator's problem and says how to fix it.
 */
import { OperatorError } from '../operator-error.ts';

/** Why an input could not be read as a photo. Stable strings: callers map them to messages. */
export type ImageInputProblem =
  | 'empty' // zero bytes
  | 'not-an-image' // bytes that no decoder recognises (a text file named .jpg, random bytes)
  | 'unsupported-format' // an image, but of a kind we refuse (SVG, PDF, …)
  | 'too-large' // more pixels than `limitInputPixels` allows (decompression bombs)
  | 'too-small' // fewer pixels than make any sense to classify
  | 'corrupt'; // a known format whose pixel data fails to decode (truncated, damaged)

export class ImageInputError extends Error {
  override readonly name = 'ImageInputError';
  constructor(
    readonly problem: ImageInputProblem,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A model (or its manifest) that cannot be used: a missing or corrupt file, a manifest with a bad field. */
export class ModelError extends OperatorError {
  override readonly name: string = 'ModelError';
}

export function isImageInputError(error: unknown): error is ImageInputError {
  return error instanceof ImageInputError;
}
