/**
 * Message text formatting in the Bot API stand-in: `parse_mode` (HTML, MarkdownV2, legacy Markdown)
 * turns markup into plain text plus entities, and bad markup fails with "can't parse entities"
 * exactly where Telegram would refuse it. Also the entities clients attach to what a user types,
 * and Telegram's trimming of texts and captions.
 */
import { badRequest } from './api-error.ts';
import { clamp, isRecord, optArr, optStr, type Params } from './params.ts';
import type { MessageEntity } from './types.ts';

export interface Formatted {
  text: string;
  entities: MessageEntity[];
}
type SimpleEntityType = MessageEntity.CommonMessageEntity['type'];
type HtmlEntityType = SimpleEntityType | 'text_link' | 'pre' | 'custom_emoji';
type Md2Kind = 'bold' | 'italic' | 'underline' | 'strikethrough' | 'spoiler' | 'link' | 'emoji';

/** Entities Telegram clients attach to what a user types: commands, mentions, links. */
export function detectEntities(text: string): MessageEntity[] {
  const entities: MessageEntity[] = [];
  const patterns: Array<[RegExp, 'bot_command' | 'mention' | 'url']> = [
    [/(?<=^|\s)\/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w@])/g, 'bot_command'],
    [/(?<=^|[^\w@/])@[A-Za-z0-9_]{5,32}(?!\w)/g, 'mention'],
    [/https?:\/\/[^\s]+/g, 'url'],
  ];
  for (const [pattern, type] of patterns) {
    for (const match of text.matchAll(pattern)) {
      entities.push({ type, offset: match.index, length: match[0].length });
    }
  }
  return entities.sort((a, b) => a.offset - b.offset);
}

function isEntity(value: unknown): value is MessageEntity {
  return (
    isRecord(value) &&
    typeof value.type === 'string' &&
    typeof value.offset === 'number' &&
    typeof value.length === 'number'
  );
}

/** Text and entities of a message-like request: `parse_mode` markup, or explicit entities. */
export function formatted(p: Params, textKey: string, entitiesKey: string): Formatted {
  const raw = optStr(p, textKey) ?? '';
  const parseMode = optStr(p, 'parse_mode') ?? '';
  let result: Formatted;
  switch (parseMode.toLowerCase()) {
    case '': {
      const entities = optArr(p, entitiesKey) ?? [];
      if (!entities.every(isEntity)) throw badRequest(`can't parse ${entitiesKey} JSON object`);
      result = { text: raw, entities };
      break;
    }
    case 'html':
      result = parseHtml(raw);
      break;
    case 'markdownv2':
      result = parseMarkdownV2(raw);
      break;
    case 'markdown':
      result = parseMarkdown(raw);
      break;
    default:
      throw badRequest('unsupported parse_mode');
  }
  return trimFormatted(result);
}

/** Telegram strips leading and trailing whitespace from texts and captions. */
function trimFormatted({ text, entities }: Formatted): Formatted {
  const lead = text.length - text.trimStart().length;
  const trimmed = text.trim();
  const kept = entities.flatMap((e) => {
    const start = clamp(e.offset - lead, 0, trimmed.length);
    const end = clamp(e.offset + e.length - lead, 0, trimmed.length);
    return end > start ? [{ ...e, offset: start, length: end - start }] : [];
  });
  return { text: trimmed, entities: kept };
}

const entityError = (why: string) => badRequest(`can't parse entities: ${why}`);
const byteOffset = (src: string, index: number) => Buffer.byteLength(src.slice(0, index));
const byOffset = (a: MessageEntity, b: MessageEntity) => a.offset - b.offset || b.length - a.length;

const HTML_TAGS: Record<string, HtmlEntityType> = {
  b: 'bold',
  strong: 'bold',
  i: 'italic',
  em: 'italic',
  u: 'underline',
  ins: 'underline',
  s: 'strikethrough',
  strike: 'strikethrough',
  del: 'strikethrough',
  span: 'spoiler',
  'tg-spoiler': 'spoiler',
  a: 'text_link',
  code: 'code',
  pre: 'pre',
  blockquote: 'blockquote',
  'tg-emoji': 'custom_emoji',
};

function parseHtml(src: string): Formatted {
  let text = '';
  const entities: MessageEntity[] = [];
  const open: Array<{ tag: string; offset: number; attrs: Record<string, string> }> = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] ?? '';
    if (c === '&') {
      const ref = /^&(#x[0-9a-f]+|#\d+|lt|gt|amp|quot);/i.exec(src.slice(i, i + 12));
      text += ref ? decodeHtmlEntity(ref[1] ?? '') : '&';
      i += ref ? ref[0].length : 1;
      continue;
    }
    if (c !== '<') {
      text += c;
      i++;
      continue;
    }
    const end = src.indexOf('>', i);
    if (end === -1) throw entityError(`Unclosed start tag at byte offset ${byteOffset(src, i)}`);
    const inner = src.slice(i + 1, end);
    if (inner.startsWith('/')) {
      const name = inner.slice(1).trim().toLowerCase();
      const top = open.pop();
      if (!top) throw entityError(`Unexpected end tag at byte offset ${byteOffset(src, i)}`);
      if (name !== top.tag) {
        throw entityError(
          `Unmatched end tag at byte offset ${byteOffset(src, i)}, expected "</${top.tag}>", found "</${name}>"`,
        );
      }
      const entity = htmlEntity(top, text.length, open.at(-1));
      if (entity) entities.push(entity);
    } else {
      const tag = /^([a-zA-Z][\w-]*)((?:\s+[\w-]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?)*)\s*\/?$/.exec(inner);
      const name = tag?.[1]?.toLowerCase() ?? '';
      if (!tag || HTML_TAGS[name] === undefined) {
        throw entityError(`Unsupported start tag "${name}" at byte offset ${byteOffset(src, i)}`);
      }
      const attrs: Record<string, string> = {};
      for (const m of (tag[2] ?? '').matchAll(/([\w-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g)) {
        attrs[(m[1] ?? '').toLowerCase()] = decodeHtmlText(m[2] ?? m[3] ?? m[4] ?? '');
      }
      if (name === 'span' && attrs.class !== 'tg-spoiler') {
        throw entityError(`Tag "span" must have class "tg-spoiler" at byte offset ${byteOffset(src, i)}`);
      }
      open.push({ tag: name, offset: text.length, attrs });
    }
    i = end + 1;
  }
  const unclosed = open.at(-1);
  if (unclosed) throw entityError(`Can't find end tag corresponding to start tag "${unclosed.tag}"`);
  return { text, entities: entities.sort(byOffset) };
}

function htmlEntity(
  tag: { tag: string; offset: number; attrs: Record<string, string> },
  end: number,
  parent: { tag: string; attrs: Record<string, string> } | undefined,
): MessageEntity | undefined {
  const type = HTML_TAGS[tag.tag];
  const { offset, attrs } = tag;
  const length = end - offset;
  // <pre><code class="language-x"> sets the language of the pre block instead of adding a code entity.
  if (tag.tag === 'code' && parent?.tag === 'pre' && attrs.class?.startsWith('language-')) {
    parent.attrs.language = attrs.class.slice('language-'.length);
    return undefined;
  }
  if (length === 0 || type === undefined) return undefined;
  switch (type) {
    case 'text_link':
      return attrs.href ? { type, offset, length, url: attrs.href } : undefined;
    case 'pre':
      return attrs.language ? { type, offset, length, language: attrs.language } : { type, offset, length };
    case 'custom_emoji':
      return { type, offset, length, custom_emoji_id: attrs['emoji-id'] ?? '' };
    case 'blockquote':
      return { type: 'expandable' in attrs ? 'expandable_blockquote' : 'blockquote', offset, length };
    default:
      return { type, offset, length };
  }
}

function decodeHtmlEntity(name: string): string {
  const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };
  if (name.startsWith('#')) {
    const code = name[1] === 'x' || name[1] === 'X' ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
    return String.fromCodePoint(code);
  }
  return named[name.toLowerCase()] ?? '';
}

function decodeHtmlText(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|lt|gt|amp|quot);/gi, (_, name: string) => decodeHtmlEntity(name));
}

const MD2_RESERVED = '_*[]()~`>#+-=|{}.!';
const MD2_NAMES: Record<Md2Kind, string> = {
  bold: 'Bold',
  italic: 'Italic',
  underline: 'Underline',
  strikethrough: 'Strikethrough',
  spoiler: 'Spoiler',
  link: 'TextUrl',
  emoji: 'CustomEmoji',
};

/** MarkdownV2, including its trap: every reserved character outside markup must be escaped. */
function parseMarkdownV2(src: string): Formatted {
  let text = '';
  const entities: MessageEntity[] = [];
  const open: Array<{ kind: Md2Kind; offset: number; at: number }> = [];
  let quoteStart: number | undefined;
  const toggle = (kind: Exclude<Md2Kind, 'link' | 'emoji'>, at: number) => {
    const top = open.at(-1);
    if (top?.kind === kind) {
      open.pop();
      if (text.length > top.offset) entities.push({ type: kind, offset: top.offset, length: text.length - top.offset });
    } else if (top && open.some((o) => o.kind === kind)) {
      throw entityError(`Can't find end of ${MD2_NAMES[top.kind]} entity at byte offset ${top.at}`);
    } else {
      open.push({ kind, offset: text.length, at: byteOffset(src, at) });
    }
  };
  let i = 0;
  while (i < src.length) {
    const c = src[i] ?? '';
    const next = src[i + 1] ?? '';
    if (c === '\\' && next && next.charCodeAt(0) <= 126) {
      text += next;
      i += 2;
    } else if (c === '`') {
      const span = md2CodeSpan(src, i, text.length);
      if (span.entity) entities.push(span.entity);
      text += span.content;
      i = span.end;
    } else if (c === '*') {
      toggle('bold', i++);
    } else if (c === '_') {
      toggle(next === '_' ? 'underline' : 'italic', i);
      i += next === '_' ? 2 : 1;
    } else if (c === '~') {
      toggle('strikethrough', i++);
    } else if (c === '|' && next === '|') {
      toggle('spoiler', i);
      i += 2;
    } else if (c === '[' || (c === '!' && next === '[')) {
      open.push({ kind: c === '!' ? 'emoji' : 'link', offset: text.length, at: byteOffset(src, i) });
      i += c === '!' ? 2 : 1;
    } else if (c === ']' && (open.at(-1)?.kind === 'link' || open.at(-1)?.kind === 'emoji') && next === '(') {
      const top = open.pop();
      const link = top && md2LinkEnd(src, i, top, text.length);
      if (!link) throw entityError(`Can't find end of a URL at byte offset ${byteOffset(src, i + 1)}`);
      if (link.entity) entities.push(link.entity);
      i = link.end;
    } else if (c === '>' && (i === 0 || src[i - 1] === '\n')) {
      quoteStart ??= text.length;
      i++;
    } else if (MD2_RESERVED.includes(c)) {
      throw entityError(`Character '${c}' is reserved and must be escaped with the preceding '\\'`);
    } else {
      // A quote ends with the last line that starts with '>'.
      if (c === '\n' && quoteStart !== undefined && next !== '>') {
        if (text.length > quoteStart)
          entities.push({ type: 'blockquote', offset: quoteStart, length: text.length - quoteStart });
        quoteStart = undefined;
      }
      text += c;
      i++;
    }
  }
  if (quoteStart !== undefined && text.length > quoteStart) {
    entities.push({ type: 'blockquote', offset: quoteStart, length: text.length - quoteStart });
  }
  const unclosed = open.at(-1);
  if (unclosed) throw entityError(`Can't find end of ${MD2_NAMES[unclosed.kind]} entity at byte offset ${unclosed.at}`);
  return { text, entities: entities.sort(byOffset) };
}

/** A MarkdownV2 `code` or ```pre``` span starting at `i`: its text, its entity (none when empty), where it ends. */
function md2CodeSpan(src: string, i: number, offset: number): { content: string; entity?: MessageEntity; end: number } {
  const fence = src.startsWith('```', i) ? '```' : '`';
  const close = findUnescaped(src, fence, i + fence.length);
  if (close === -1) {
    throw entityError(
      `Can't find end of ${fence === '`' ? 'Code' : 'Pre'} entity at byte offset ${byteOffset(src, i)}`,
    );
  }
  let body = src.slice(i + fence.length, close);
  let language: string | undefined;
  const firstLine = /^([^\s`\\]+)\n/.exec(body);
  if (fence === '```' && firstLine) {
    language = firstLine[1];
    body = body.slice(firstLine[0].length);
  }
  const content = body.replace(/\\([\\`])/g, '$1');
  const end = close + fence.length;
  if (content.length === 0) return { content, end };
  const base = { offset, length: content.length };
  const entity: MessageEntity =
    fence === '`' ? { type: 'code', ...base } : { type: 'pre', ...base, ...(language ? { language } : {}) };
  return { content, entity, end };
}

/**
 * The `](url)` at `i` that closes an open link or custom emoji: its entity (none when it covers no text) and where
 * it ends; undefined when the URL is never closed.
 */
function md2LinkEnd(
  src: string,
  i: number,
  open: { kind: Md2Kind; offset: number },
  textLength: number,
): { entity?: MessageEntity; end: number } | undefined {
  const close = findUnescaped(src, ')', i + 2);
  if (close === -1) return undefined;
  const url = src.slice(i + 2, close).replace(/\\([\\)])/g, '$1');
  const base = { offset: open.offset, length: textLength - open.offset };
  if (base.length === 0) return { end: close + 1 };
  const entity: MessageEntity =
    open.kind === 'link'
      ? { type: 'text_link', ...base, url }
      : { type: 'custom_emoji', ...base, custom_emoji_id: /[?&]id=(\d+)/.exec(url)?.[1] ?? '' };
  return { entity, end: close + 1 };
}

/** Index of `needle` at or after `from`, skipping backslash-escaped characters. */
function findUnescaped(src: string, needle: string, from: number): number {
  for (let i = from; i < src.length; i++) {
    if (src[i] === '\\') i++;
    else if (src.startsWith(needle, i)) return i;
  }
  return -1;
}

/** Legacy Markdown: *bold*, _italic_, `code`, ```pre```, [text](url); no nesting. */
function parseMarkdown(src: string): Formatted {
  let text = '';
  const entities: MessageEntity[] = [];
  let i = 0;
  const unclosed = (at: number) =>
    entityError(`Can't find end of the entity starting at byte offset ${byteOffset(src, at)}`);
  while (i < src.length) {
    const c = src[i] ?? '';
    const fence = src.startsWith('```', i) ? '```' : c;
    if (c === '\\' && '_*`['.includes(src[i + 1] ?? ' ')) {
      text += src[i + 1];
      i += 2;
    } else if (c === '*' || c === '_' || c === '`') {
      const close = src.indexOf(fence, i + fence.length);
      if (close === -1) throw unclosed(i);
      const body = src.slice(i + fence.length, close);
      const type = fence === '```' ? 'pre' : c === '*' ? 'bold' : c === '_' ? 'italic' : 'code';
      if (body.length > 0) entities.push({ type, offset: text.length, length: body.length });
      text += body;
      i = close + fence.length;
    } else if (c === '[') {
      const close = src.indexOf(']', i + 1);
      if (close === -1) throw unclosed(i);
      const label = src.slice(i + 1, close);
      const urlEnd = src[close + 1] === '(' ? src.indexOf(')', close + 2) : -1;
      if (urlEnd !== -1 && label.length > 0) {
        entities.push({
          type: 'text_link',
          offset: text.length,
          length: label.length,
          url: src.slice(close + 2, urlEnd),
        });
      }
      text += label;
      i = urlEnd === -1 ? close + 1 : urlEnd + 1;
    } else {
      text += c;
      i++;
    }
  }
  return { text, entities };
}
