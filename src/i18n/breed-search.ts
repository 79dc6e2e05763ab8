/**
 * Finds a breed from what a person typed — "golden retriver", "немецкая овчарка", "shih tzu" — fuzzily (fuse.js),
 * against the names in every language and the ids, so typos and either language work.
 */
import Fuse from 'fuse.js';
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

/** Matches worse than this are not offered: at 0.4, "golden retriver" and "gold retriever" still find the Golden. */
const THRESHOLD = 0.4;

export class BreedSearch {
  private readonly fuse: Fuse<{ id: string; label: string }>;

  constructor(breeds: readonly SearchableBreed[]) {
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
    const query = text.trim().replace(/\s+/g, ' ').slice(0, 64);
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
}

/** A search over every breed's names in every language the texts have. */
export function breedSearchFor(texts: {
  breeds: readonly { id: string }[];
  breedName(locale: Locale, id: string): string;
}): BreedSearch {
  return new BreedSearch(texts.breeds.map((b) => ({ id: b.id, names: LOCALES.map((l) => texts.breedName(l, b.id)) })));
}
