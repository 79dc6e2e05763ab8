/**
 * Finds a breed from what a person typed — "golden retriver", "немецкая овчарка", "shih tzu" — fuzzily (fuse.js),
 * against the names in every language and the ids, so typos and either language work.
 */
import Fuse from 'fuse.js';
import { firstCharacters } from './characters.ts';
import { LOCALES, type Locale } from './i18n.ts';

export interface SearchableBreed {
  id: string;
  /** Its names, one per language. */
  names: string[];
}

export interface BreedMatch {
  id: string;
  /** 0 = exact, 1 = nothing alike (fuse.js score). */
  score: number;
}

/**
 * What a typed correction is: clearly one breed (`breed`), perhaps one of a few (`closest`, to offer as buttons),
 * or not a breed name at all (`none`: chit-chat, a word that merely resembles a name).
 */
export type TypedBreed = { kind: 'breed'; id: string } | { kind: 'closest'; ids: string[] } | { kind: 'none' };

/** Lower case, no diacritics (ё = е), letters and digits only, single spaces; the parentheses dropped too. */
export function normalizeName(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
    .replace(/\s+/g, ' ');
}

/** Edits a name of this many letters may have and still be that name: none under 6, then 1, 2 and 3. */
function editsAllowed(length: number): number {
  return length < 6 ? 0 : length < 9 ? 1 : length < 13 ? 2 : 3;
}

/** Optimal string alignment distance (Levenshtein with adjacent transpositions), stopping early past `max`. */
function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, (before[j - 2] ?? 0) + 1);
      current.push(d);
      rowMin = Math.min(rowMin, d);
    }
    if (rowMin > max) return max + 1;
    before = previous;
    previous = current;
  }
  return previous[b.length] ?? max + 1;
}

interface NameForm {
  id: string;
  /** Normalized, with spaces. */
  text: string;
  /** The same without spaces ("shih tzu" = "shihtzu"). */
  joined: string;
  words: string[];
}

/** How many candidates a typed name that is not clearly one breed is offered. */
const CLOSEST = 3;
/** A fuse.js score this good makes a breed worth offering as a button (never worth storing by itself). */
const OFFER_SCORE = 0.15;

/** Matches worse than this are not offered: at 0.4, "golden retriver" and "gold retriever" still find the Golden. */
const THRESHOLD = 0.4;

export class BreedSearch {
  private readonly fuse: Fuse<{ id: string; label: string }>;
  private readonly forms: NameForm[];

  constructor(breeds: readonly SearchableBreed[]) {
    this.forms = breeds.flatMap((b) => {
      const labels = [...b.names, ...b.names.map((n) => n.replace(/\(.*?\)/g, ' ')), b.id];
      const texts = [...new Set(labels.map(normalizeName).filter((t) => t !== ''))];
      return texts.map((text) => ({ id: b.id, text, joined: text.replace(/ /g, ''), words: text.split(' ') }));
    });
    // One entry per name, so a breed is as close as its closest name in any language.
    const entries = breeds.flatMap((b) =>
      [...b.names, b.id.replace(/[_-]+/g, ' ')].map((label) => ({ id: b.id, label })),
    );
    this.fuse = new Fuse(entries, {
      keys: ['label'],
      includeScore: true,
      threshold: THRESHOLD,
      ignoreDiacritics: true, // ё = е, é = e
      ignoreLocation: true, // "retriever golden" or a name's last word still counts
    });
  }

  /** The best matches first, one per breed, at most `limit`. */
  search(text: string, limit = 5): BreedMatch[] {
    const query = firstCharacters(text.trim().replace(/\s+/g, ' '), 64);
    if (query.length < 2) return [];
    const seen = new Set<string>();
    const matches: BreedMatch[] = [];
    for (const result of this.fuse.search(query)) {
      if (seen.has(result.item.id)) continue;
      seen.add(result.item.id);
      matches.push({ id: result.item.id, score: result.score ?? 1 });
      if (matches.length >= limit) break;
    }
    return matches;
  }

  best(text: string): BreedMatch | undefined {
    return this.search(text, 1)[0];
  }

  /**
   * A typed correction, strictly: a breed only when the text is one breed's name (either language, or its id) but for
   * a typo or two (fewer for shorter names, none under 6 letters, the first letter as typed), or when every word
   * typed (two or more) is a word of exactly one breed's name. Otherwise the closest few breeds, when some are close
   * (a word of their names typed, a near name, a good fuzzy match), or none: "hello", "да", "cat" are no breed.
   */
  resolve(typed: string): TypedBreed {
    const query = normalizeName(firstCharacters(typed, 64));
    if (query.length < 2 || !/\p{L}/u.test(query)) return { kind: 'none' };
    const joined = query.replace(/ /g, '');
    // 1. The name itself, or the name with a typo or two.
    let bestDistance = Number.POSITIVE_INFINITY;
    let nearest = new Set<string>();
    // One edit more than a name may have: offered, never stored ("бигл" for "бигль").
    const near = new Set<string>();
    for (const form of this.forms) {
      const allowed = Math.min(editsAllowed(form.joined.length), editsAllowed(joined.length + 1));
      if (form.joined[0] !== joined[0] && form.joined !== joined) continue;
      const loose = joined.length >= 4 ? allowed + 1 : allowed;
      const d = Math.min(editDistance(query, form.text, loose), editDistance(joined, form.joined, loose));
      if (d > allowed) {
        if (d <= loose) near.add(form.id);
        continue;
      }
      if (d < bestDistance) {
        bestDistance = d;
        nearest = new Set([form.id]);
      } else if (d === bestDistance) nearest.add(form.id);
    }
    if (nearest.size === 1) return { kind: 'breed', id: [...nearest][0] as string };
    if (nearest.size > 1) return { kind: 'closest', ids: [...nearest].slice(0, CLOSEST) };
    // 2. Words of one name ("german shepherd" of "German Shepherd Dog"), each exact or with a typo for long words.
    const words = query.split(' ');
    const wordMatches = (form: NameForm, typedWords = words) =>
      typedWords.every((w) =>
        form.words.some(
          (fw) => fw[0] === w[0] && editDistance(w, fw, editsAllowed(fw.length)) <= editsAllowed(fw.length),
        ),
      );
    const containing = [
      ...new Set(this.forms.filter((f) => words.every((w) => w.length >= 3) && wordMatches(f)).map((f) => f.id)),
    ];
    if (words.length >= 2 && containing.length === 1) return { kind: 'breed', id: containing[0] as string };
    if (containing.length > 0 && words.some((w) => w.length >= 4))
      return { kind: 'closest', ids: containing.slice(0, CLOSEST) };
    // 3. Only offered, never stored: names sharing a long word typed ("australian shepherd": the Australian Terrier,
    // the German Shepherd), then what fuse.js finds close enough.
    const long = words.filter((w) => w.length >= 4);
    const sharing = this.forms.filter((f) => words.length >= 2 && long.some((w) => wordMatches(f, [w])));
    const offered = [
      ...new Set([
        ...sharing.map((f) => f.id),
        ...near,
        ...this.search(query, CLOSEST)
          .filter((m) => m.score <= OFFER_SCORE && query.length >= 5)
          .map((m) => m.id),
      ]),
    ].slice(0, CLOSEST);
    return offered.length > 0 ? { kind: 'closest', ids: offered } : { kind: 'none' };
  }
}

/** A search over every breed's names in every language the texts have. */
export function breedSearchFor(texts: {
  breeds: readonly { id: string }[];
  breedName(locale: Locale, id: string): string;
}): BreedSearch {
  return new BreedSearch(texts.breeds.map((b) => ({ id: b.id, names: LOCALES.map((l) => texts.breedName(l, b.id)) })));
}
