/**
 * Small helpers for building and comparing stored messages in the Bot API stand-in: optional
 * fields, entity and caption fields, the one-level replied-to message, JSON equality for
 * "message is not modified", and the current Unix time.
 */
import { detectEntities } from './formatting.ts';
import { isRecord } from './params.ts';
import type { Message, MessageEntity } from './types.ts';

/** grammY's type of a nested replied-to message (it cannot nest further). */
export type ReplyMessage = NonNullable<Message['reply_to_message']>;

/** Key-order-insensitive equality of JSON-like values (absent ≡ undefined). */
export function sameJson(a: unknown, b: unknown): boolean {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : isRecord(v)
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canonical(v[k])]),
          )
        : v;
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

export function setOptional<K extends keyof Message>(message: Message, key: K, value: Message[K] | undefined): void {
  if (value === undefined) delete message[key];
  else message[key] = value;
}

export function withEntities<K extends 'entities' | 'caption_entities'>(
  key: K,
  entities: MessageEntity[],
): Partial<Record<K, MessageEntity[]>> {
  return entities.length ? ({ [key]: entities } as Partial<Record<K, MessageEntity[]>>) : {};
}

export function captionOf(caption: string | undefined): Partial<Message> {
  return caption ? { caption, ...withEntities('caption_entities', detectEntities(caption)) } : {};
}

/** Replies carry the replied message without its own reply_to_message, as Telegram nests only one level. */
export function withoutReply(message: Message): ReplyMessage {
  const { reply_to_message: _nested, ...rest } = structuredClone(message);
  return { ...rest, reply_to_message: undefined };
}

export function now(): number {
  return Math.floor(Date.now() / 1000);
}
