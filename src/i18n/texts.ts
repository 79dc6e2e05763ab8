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

/**
 * How sure an answer is of its top breed, by the stated share (the settings SURE_THRESHOLD and UNSURE_THRESHOLD):
 * named plainly, named as "probably", or not named as the answer ("I can't tell the breed", the guesses still listed).
 */
export type Tier = 'sure' | 'likely' | 'unsure';

/** What a dog's guesses leave open, as the answer says it. */
export interface Doubt {
  tier: Tier;
  /** The two leading breeds (ids) hold most of the probability between them: it may be a mix of these two. */
  mix?: [string, string];
  /** Below the unsure tier: the breed group (`fci-3`) that leads the answer instead of a breed. */
  group?: string;
}

/** How much of each dog a caption about several says: all of it, only the top guess, or that without its doubt. */
export type CaptionDetail = 'full' | 'compact' | 'bare';

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

/**
 * The one way a share is shown to people (answers, captions, the not-a-dog guess, /history, the CLI's lines), as plain
 * text: whole percents, at most "99%" (no answer of a model is certain: 0.996 reads "99%", never "100%") and at least
 * "<1%" (a listed guess is never nothing: under 0.5 % reads "<1%", never "0%").
 */
export const shownPercent = (p: number): string => (p < 0.005 ? '<1%' : `${Math.min(99, Math.round(p * 100))}%`);

/** shownPercent for HTML messages. */
export const percent = (p: number): string => escapeHtml(shownPercent(p));

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
   * The answer about one dog (or the whole photo), worded by its tier: sure, the top breed plainly; likely, "probably"
   * it; unsure, a lead that says so (the breed group when one leads, else "I can't tell the breed"). The top-3 listed
   * in every case, the first linked; a likely mix of the leading two said last.
   */
  answer(locale: Locale, guesses: readonly Guess[], doubt: Doubt): string {
    const [first, ...rest] = guesses;
    if (first === undefined) return this.t(locale, 'answer-nothing');
    const name = (id: string) => escapeHtml(this.breedName(locale, id));
    const lines = [
      ...(doubt.tier === 'unsure' ? [this.unsureLead(locale, 'answer', doubt)] : []),
      this.t(locale, doubt.tier === 'likely' ? 'answer-top-likely' : 'answer-top', this.topVars(locale, first)),
      ...rest.map((g, i) =>
        this.t(locale, 'answer-other', { rank: i + 2, name: name(g.breed), percent: percent(g.p) }),
      ),
    ];
    if (doubt.mix) {
      lines.push('', this.t(locale, 'answer-mix', { first: name(doubt.mix[0]), second: name(doubt.mix[1]) }));
    }
    return lines.join('\n');
  }

  /**
   * The answer about several dogs (the caption of the photo with their numbered boxes): per number its top guesses,
   * worded by tier as one dog's answer is, then how many more dogs were found and not named. A caption holds 1024
   * characters: `compact` keeps only each dog's top guess, 🤔 before a guess that is not sure; `bare`, not even that.
   */
  severalDogs(locale: Locale, dogs: readonly DogLines[], moreDogs: number, detail: CaptionDetail = 'full'): string {
    const lines = [this.t(locale, 'dogs-intro', { count: dogs.length + moreDogs })];
    for (const dog of dogs) lines.push('', ...this.dogLines(locale, dog, detail));
    if (moreDogs > 0) lines.push('', this.t(locale, 'dogs-more', { count: moreDogs }));
    return lines.join('\n');
  }

  /** "a terrier (FCI group 3)" for leading an answer, or undefined for a group without words. */
  groupLead(locale: Locale, group: string): string | undefined {
    const key = `group-lead-${group}`;
    const text = this.t(locale, key);
    return text === `{${key}}` ? undefined : text;
  }

  /** "I don't see a dog in this photo" (or `video`), and the best guess when it may be a dog after all. */
  notADog(locale: Locale, bestGuess?: Guess, media: 'photo' | 'video' = 'photo'): string {
    const lines = [this.t(locale, media === 'video' ? 'not-a-dog-video' : 'not-a-dog')];
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

  /** One dog's lines of an answer about several. */
  private dogLines(locale: Locale, dog: DogLines, detail: CaptionDetail): string[] {
    const who = { mark: dog.mark, number: dog.number };
    const [first, ...rest] = dog.guesses;
    if (!dog.isDog || first === undefined) return [this.t(locale, 'dogs-not-a-dog', who)];
    const top = { ...who, ...this.topVars(locale, first) };
    const { tier, mix } = dog.doubt;
    if (detail !== 'full') {
      return [this.t(locale, tier === 'sure' || detail === 'bare' ? 'dogs-top' : 'dogs-top-doubt', top)];
    }
    const lines =
      tier === 'unsure'
        ? [this.unsureLead(locale, 'dogs', dog.doubt, who), this.t(locale, 'dogs-guesses', top)]
        : [this.t(locale, tier === 'likely' ? 'dogs-top-likely' : 'dogs-top', top)];
    const name = (id: string) => escapeHtml(this.breedName(locale, id));
    const guess = (g: Guess) => this.t(locale, 'dogs-guess', { name: name(g.breed), percent: percent(g.p) });
    if (rest.length > 0) lines.push(this.t(locale, 'dogs-others', { guesses: rest.map(guess).join(', ') }));
    if (mix) lines.push(this.t(locale, 'dogs-mix', { first: name(mix[0]), second: name(mix[1]) }));
    return lines;
  }

  /** The first line of an answer below the unsure tier: the breed group that leads, or "I can't tell the breed". */
  private unsureLead(locale: Locale, prefix: 'answer' | 'dogs', doubt: Doubt, who: Vars = {}): string {
    const group = doubt.group === undefined ? undefined : this.groupLead(locale, doubt.group);
    return group === undefined
      ? this.t(locale, `${prefix}-cant-tell`, who)
      : this.t(locale, `${prefix}-group-lead`, { ...who, group });
  }

  /**
   * The variables of a top guess's line: its linked name, its share, and the name's first letter (English picks "a"
   * or "an" by it in the .ftl).
   */
  private topVars(locale: Locale, guess: Guess): Vars {
    const name = this.breedName(locale, guess.breed);
    return {
      url: this.wikipedia(guess.breed),
      name: escapeHtml(name),
      percent: percent(guess.p),
      initial: name.charAt(0).toLowerCase(),
    };
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
