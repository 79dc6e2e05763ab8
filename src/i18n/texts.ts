/**
 * The bot's composite messages — an answer, a breed card, /help, /stats, a page of /breeds — built from the Fluent
 * lines in `locales/`, in the asked locale, as Telegram HTML. Used alike by the bot (grammY) and the worker (no grammY
 * context). Rule: every variable that goes into an HTML message is escaped here; Fluent inserts variables as given.
 */
import type { I18n } from '@grammyjs/i18n';
import { type BreedCard, loadBreedCards } from '../breeds/index.ts';
import type { Breed, Guess } from '../vision/index.ts';
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

/** What a dog's guesses leave open, as the answer says it. */
export interface Doubt {
  /** The top guess is below the unsure threshold. */
  unsure: boolean;
  /** The top two are close: it may be a mix of these two breeds (ids). */
  mix?: [string, string];
  /** The breed group (`fci-3`) sure enough to lead the answer when no breed is. */
  group?: string;
}

/** One dog of an answer about several. */
export interface DogLines {
  /** The number on the photo, 1-based, left to right. */
  number: number;
  /** The emoji of the number's colour on the photo. */
  mark: string;
  isDog: boolean;
  guesses: readonly Guess[];
  doubt: Doubt;
}

/** One of /history's answers: its number, its top breed (none when no dog was seen), and how long ago it was. */
export interface HistoryLine {
  number: number;
  top: Guess | undefined;
  when: string;
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

  /**
   * The answer about one dog (or the whole photo): the top guess linked, the others numbered, and what the guesses do
   * not settle — a breed group that is sure when no breed is (leading), a likely mix, or plain doubt.
   */
  answer(locale: Locale, guesses: readonly Guess[], doubt: Doubt): string {
    const [first, ...rest] = guesses;
    if (first === undefined) return this.t(locale, 'answer-nothing');
    const name = (id: string) => escapeHtml(this.breedName(locale, id));
    const group = doubt.group === undefined ? undefined : this.groupLead(locale, doubt.group);
    const lines = [
      ...(group === undefined ? [] : [this.t(locale, 'answer-group-lead', { group })]),
      this.t(locale, 'answer-top', {
        url: this.wikipedia(first.breed),
        name: name(first.breed),
        percent: percent(first.p),
      }),
      ...rest.map((g, i) =>
        this.t(locale, 'answer-other', { rank: i + 2, name: name(g.breed), percent: percent(g.p) }),
      ),
    ];
    if (doubt.mix) {
      lines.push('', this.t(locale, 'answer-mix', { first: name(doubt.mix[0]), second: name(doubt.mix[1]) }));
    } else if (doubt.unsure && group === undefined) {
      lines.push('', this.t(locale, 'answer-unsure'));
    }
    return lines.join('\n');
  }

  /**
   * The answer about several dogs (the caption of the photo with their numbered boxes): per number its top guesses,
   * then how many more dogs were found and not named. `compact` keeps only each dog's top guess (a caption holds 1024
   * characters).
   */
  severalDogs(locale: Locale, dogs: readonly DogLines[], moreDogs: number, compact = false): string {
    const name = (id: string) => escapeHtml(this.breedName(locale, id));
    const guess = (g: Guess) => this.t(locale, 'dogs-guess', { name: name(g.breed), percent: percent(g.p) });
    const lines = [this.t(locale, 'dogs-intro', { count: dogs.length + moreDogs })];
    for (const dog of dogs) {
      const who = { mark: dog.mark, number: dog.number };
      const [first, ...rest] = dog.guesses;
      lines.push('');
      if (!dog.isDog || first === undefined) {
        lines.push(this.t(locale, 'dogs-not-a-dog', who));
        continue;
      }
      const top = { ...who, url: this.wikipedia(first.breed), name: name(first.breed), percent: percent(first.p) };
      const group = dog.doubt.group === undefined || compact ? undefined : this.groupLead(locale, dog.doubt.group);
      if (group !== undefined) {
        lines.push(this.t(locale, 'dogs-group-lead', { ...who, group }), this.t(locale, 'dogs-guesses', top));
      } else {
        lines.push(this.t(locale, 'dogs-top', top));
      }
      if (compact) continue;
      if (rest.length > 0) lines.push(this.t(locale, 'dogs-others', { guesses: rest.map(guess).join(', ') }));
      if (dog.doubt.mix) {
        lines.push(this.t(locale, 'dogs-mix', { first: name(dog.doubt.mix[0]), second: name(dog.doubt.mix[1]) }));
      } else if (dog.doubt.unsure && group === undefined) {
        lines.push(this.t(locale, 'dogs-unsure'));
      }
    }
    if (moreDogs > 0) lines.push('', this.t(locale, 'dogs-more', { count: moreDogs }));
    return lines.join('\n');
  }

  /** "a terrier (FCI group 3)" for leading an answer, or undefined for a group without words. */
  groupLead(locale: Locale, group: string): string | undefined {
    const key = `group-lead-${group}`;
    const text = this.t(locale, key);
    return text === `{${key}}` ? undefined : text;
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
      this.t(locale, 'help-how', { count: this.breeds.length }),
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

  /** /history's list, newest first (at least one line). */
  historyList(locale: Locale, lines: readonly HistoryLine[]): string {
    return [
      this.t(locale, 'history-title', { count: lines.length }),
      ...lines.map(({ number, top, when }) =>
        top === undefined
          ? this.t(locale, 'history-no-dog', { number, when })
          : this.t(locale, 'history-dog', {
              number,
              name: escapeHtml(this.breedName(locale, top.breed)),
              percent: percent(top.p),
              when,
            }),
      ),
      '',
      this.t(locale, 'history-hint'),
    ].join('\n');
  }

  /** How long ago, in words ("5 minutes ago", "yesterday"): people's time zones are unknown to a bot. */
  ago(locale: Locale, ms: number): string {
    const minutes = Math.round(ms / 60_000);
    if (minutes < 1) return this.t(locale, 'history-just-now');
    const format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
    if (minutes < 60) return format.format(-minutes, 'minute');
    const hours = Math.round(minutes / 60);
    if (hours < 24) return format.format(-hours, 'hour');
    return format.format(-Math.round(hours / 24), 'day');
  }

  breedsPage(locale: Locale, page: number, pages: number, names: readonly string[]): string {
    return [
      this.t(locale, 'breeds-page', { page, pages, count: this.breeds.length }),
      ...names.map((n) => `• ${escapeHtml(n)}`),
    ].join('\n');
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

  private wikipedia(id: string): string {
    return escapeHtml(this.breedsById.get(id)?.wikipedia ?? '');
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
