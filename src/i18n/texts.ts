/**
 * The bot's composite messages — an answer, a breed card, /help, /stats, a page of /breeds — built from the Fluent
 * lines in `locales/`, in the asked locale, as Telegram HTML. Used alike by the bot (grammY) and the worker (no grammY
 * context). Rule: every variable that goes into an HTML message is escaped here; Fluent inserts variables as given.
 */
import type { I18n } from '@grammyjs/i18n';
import { type BreedCard, loadBreedCards } from '../breeds/breed-cards.ts';
import type { Breed } from '../vision/index.ts';
import { escapeHtml } from './html.ts';
import { createI18n, LOCALES, type Locale } from './i18n.ts';

export interface ServiceStats {
  queue: { waiting: number; active: number; delayed: number; failed: number };
  historyOn: boolean;
  lastHour: { answers: number; p50: number | null; p95: number | null };
  lastDay: { answers: number; p50: number | null; p95: number | null };
  workers: { model: string; gateModel: string | null; device: string }[];
}

/** What /help says is kept, and for how long. */
export interface KeptSettings {
  historyDays: number;
  feedbackDays: number;
  jobRetentionSeconds: number;
  rateLimit: { limit: number; windowSeconds: number };
}

export interface Guess {
  /** Breed id (`golden_retriever`). */
  breed: string;
  p: number;
}

type Vars = Record<string, string | number>;

const seconds = (ms: number | null): string => (ms === null ? '—' : `${(ms / 1000).toFixed(2)} s`);

/** Whole percents for HTML messages; a share that would round to 0 reads "<1%" (a 0% guess would not be listed). */
export const percent = (p: number): string => (p < 0.005 ? '&lt;1%' : `${Math.round(p * 100)}%`);

export class Texts {
  private readonly breedsById: ReadonlyMap<string, Breed>;
  /** Breed names per locale, resolved once: English from the label file, the others from Fluent (`breed-<id>`). */
  private readonly names: ReadonlyMap<Locale, ReadonlyMap<string, string>>;

  constructor(
    readonly i18n: I18n,
    readonly breeds: readonly Breed[],
    private readonly cards: ReadonlyMap<string, BreedCard>,
  ) {
    this.breedsById = new Map(breeds.map((b) => [b.id, b]));
    this.names = new Map(
      LOCALES.map((locale) => [
        locale,
        new Map(breeds.map((b) => [b.id, locale === 'en' ? b.name : this.translatedName(locale, b)])),
      ]),
    );
  }

  /** One Fluent message, variables inserted as given (escape what goes into HTML). */
  t(locale: Locale, key: string, vars?: Vars): string {
    return this.i18n.t(locale, key, vars);
  }

  isBreed(id: string): boolean {
    return this.breedsById.has(id);
  }

  /** Plain text (escape it for HTML). Unknown ids come back as they are. */
  breedName(locale: Locale, id: string): string {
    return this.names.get(locale)?.get(id) ?? id;
  }

  /** Every breed with its name in `locale`, alphabetically in that language. */
  sortedBreeds(locale: Locale): { id: string; name: string }[] {
    return this.breeds
      .map((b) => ({ id: b.id, name: this.breedName(locale, b.id) }))
      .sort((a, b) => a.name.localeCompare(b.name, locale));
  }

  answer(locale: Locale, guesses: readonly Guess[], options: { unsure: boolean; mix?: [string, string] }): string {
    const [first, ...rest] = guesses;
    if (first === undefined) return this.t(locale, 'answer-nothing');
    const name = (id: string) => escapeHtml(this.breedName(locale, id));
    const lines = [
      this.t(locale, 'answer-top', {
        url: escapeHtml(this.breedsById.get(first.breed)?.wikipedia ?? ''),
        name: name(first.breed),
        percent: percent(first.p),
      }),
      ...rest.map((g, i) =>
        this.t(locale, 'answer-other', { rank: i + 2, name: name(g.breed), percent: percent(g.p) }),
      ),
    ];
    if (options.mix) {
      lines.push('', this.t(locale, 'answer-mix', { first: name(options.mix[0]), second: name(options.mix[1]) }));
    } else if (options.unsure) {
      lines.push('', this.t(locale, 'answer-unsure'));
    }
    return lines.join('\n');
  }

  notADog(locale: Locale, bestGuess?: Guess): string {
    const lines = [this.t(locale, 'not-a-dog')];
    if (bestGuess) {
      const name = escapeHtml(this.breedName(locale, bestGuess.breed));
      lines.push(this.t(locale, 'not-a-dog-guess', { name, percent: percent(bestGuess.p) }));
    }
    return lines.join('\n');
  }

  /** The short card of a breed (HTML), or undefined for an unknown id. */
  card(locale: Locale, id: string): string | undefined {
    const breed = this.breedsById.get(id);
    const card = this.cards.get(id);
    if (!breed || !card) return undefined;
    return [
      this.t(locale, 'card-title', { url: escapeHtml(breed.wikipedia), name: escapeHtml(this.breedName(locale, id)) }),
      this.t(locale, 'card-group', { group: this.t(locale, `group-${card.group}`) }),
      this.t(locale, 'card-size', { size: this.t(locale, `size-${card.size}`) }),
      escapeHtml(card.temperament[locale]),
    ].join('\n');
  }

  help(locale: Locale, kept: KeptSettings): string {
    return [
      this.t(locale, 'help-how'),
      '',
      this.t(locale, 'help-privacy'),
      this.t(locale, 'help-kept-answers', { days: kept.historyDays }),
      this.t(locale, 'help-kept-feedback', { days: kept.feedbackDays }),
      this.t(locale, 'help-kept-language'),
      this.t(locale, 'help-kept-jobs', { hours: Math.max(1, Math.round(kept.jobRetentionSeconds / 3600)) }),
      '',
      this.t(locale, 'help-limits', { limit: kept.rateLimit.limit, window: kept.rateLimit.windowSeconds }),
    ].join('\n');
  }

  breedsPage(locale: Locale, page: number, pages: number, names: readonly string[]): string {
    return [this.t(locale, 'breeds-page', { page, pages }), ...names.map((n) => `• ${escapeHtml(n)}`)].join('\n');
  }

  stats(locale: Locale, s: ServiceStats): string {
    const window = (w: ServiceStats['lastHour']) => ({ answers: w.answers, p50: seconds(w.p50), p95: seconds(w.p95) });
    return [
      this.t(locale, 'stats-queue'),
      this.t(locale, 'stats-queue-counts', s.queue),
      '',
      this.t(locale, s.historyOn ? 'stats-answers' : 'stats-answers-off'),
      ...(s.historyOn
        ? [this.t(locale, 'stats-last-hour', window(s.lastHour)), this.t(locale, 'stats-last-day', window(s.lastDay))]
        : []),
      '',
      this.t(locale, 'stats-workers'),
      ...(s.workers.length === 0
        ? [this.t(locale, 'stats-no-workers')]
        : s.workers.map(
            (w) =>
              `${escapeHtml(w.model)}${w.gateModel && w.gateModel !== w.model ? ` (gate ${escapeHtml(w.gateModel)})` : ''} on ${escapeHtml(w.device)}`,
          )),
    ].join('\n');
  }

  private translatedName(locale: Locale, breed: Breed): string {
    const key = `breed-${breed.id}`;
    const name = this.i18n.t(locale, key);
    // Fluent answers "{key}" for a missing message; the English name is better than that.
    return name === `{${key}}` ? breed.name : name;
  }
}

/** The translations, with the breed cards from `modelsDir`, for these breeds. */
export async function loadTexts(modelsDir: string, breeds: readonly Breed[]): Promise<Texts> {
  return new Texts(createI18n(), breeds, await loadBreedCards(modelsDir, breeds));
}
