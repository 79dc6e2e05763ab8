/** Cutting a person's text by what they see as characters, so an emoji or an accented letter is never split. */

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * The first `count` user-perceived characters (grapheme clusters) of `text`. A cut by UTF-16 units can leave half
 * a surrogate pair, which Telegram refuses ("strings must be encoded in UTF-8").
 */
export function firstCharacters(text: string, count: number): string {
  // Most texts are short: no segmenting when even every unit being a character would fit.
  if (text.length <= count) return text;
  let end = 0;
  let taken = 0;
  for (const { segment } of graphemes.segment(text)) {
    if (taken === count) break;
    end += segment.length;
    taken++;
  }
  return text.slice(0, end);
}
