/** The stand-in's Bot API: every method it answers, looked up case-insensitively as Telegram does. */
import type { StandInState } from '../state.ts';
import { profileMethods } from './bot-profile.ts';
import type { MethodHandler } from './context.ts';
import { fileMethods } from './files.ts';
import { messageMethods } from './messages.ts';
import { updateMethods } from './updates.ts';

/** A method by its lower-case name, with its proper spelling (for the call log). */
export type MethodTable = ReadonlyMap<string, { name: string; handler: MethodHandler }>;

export function botApiMethods(state: StandInState): MethodTable {
  const methods = {
    ...profileMethods(state),
    ...updateMethods(state),
    ...messageMethods(state),
    ...fileMethods(state),
  };
  return new Map(Object.entries(methods).map(([name, handler]) => [name.toLowerCase(), { name, handler }]));
}
