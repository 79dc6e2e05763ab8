/** Bot API methods about the bot itself: getMe, the command menus and the descriptions. */
import { badRequest } from '../api-error.ts';
import { commandsKey, isRecord, optArr, optStr, type Params } from '../params.ts';
import type { StandInState } from '../state.ts';
import type { BotCommand } from '../types.ts';
import type { MethodHandler } from './context.ts';

type DescriptionKind = 'description' | 'short_description';

export function profileMethods({ profile }: StandInState): Record<string, MethodHandler> {
  const { commands, descriptions } = profile;
  const descriptionKey = (kind: DescriptionKind, p: Params) => `${kind}:${optStr(p, 'language_code') ?? ''}`;
  const setDescription = (kind: DescriptionKind, p: Params): true => {
    const text = optStr(p, kind) ?? '';
    if (text.length > (kind === 'description' ? 512 : 120)) throw badRequest(`${kind} is too long`);
    descriptions.set(descriptionKey(kind, p), text);
    return true;
  };
  return {
    getMe: () => profile.me,
    setMyCommands: (p) => {
      commands.set(commandsKey(p), validCommands(p));
      return true;
    },
    getMyCommands: (p) => commands.get(commandsKey(p)) ?? [],
    deleteMyCommands: (p) => {
      commands.delete(commandsKey(p));
      return true;
    },
    setMyDescription: (p) => setDescription('description', p),
    getMyDescription: (p) => ({ description: descriptions.get(descriptionKey('description', p)) ?? '' }),
    setMyShortDescription: (p) => setDescription('short_description', p),
    getMyShortDescription: (p) => ({
      short_description: descriptions.get(descriptionKey('short_description', p)) ?? '',
    }),
  };
}

/** The `commands` param, if every command is one Telegram accepts. */
function validCommands(p: Params): BotCommand[] {
  const commands = optArr(p, 'commands') ?? [];
  const valid = commands.filter(
    (c): c is BotCommand =>
      isRecord(c) &&
      typeof c.command === 'string' &&
      /^[a-z0-9_]{1,32}$/.test(c.command) &&
      typeof c.description === 'string' &&
      c.description.length >= 1 &&
      c.description.length <= 256,
  );
  if (valid.length !== commands.length || commands.length > 100) throw badRequest('BOT_COMMAND_INVALID');
  return valid;
}
