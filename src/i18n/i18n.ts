/**
 * The bot's languages: Fluent translations (`locales/<locale>/*.ftl`) through grammY's i18n plugin. The bot uses its
 * middleware (`ctx.t`); the worker, which answers outside any grammY context, uses the same instance's `t(locale, …)`.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { I18n } from '@grammyjs/i18n';

export const LOCALES = ['en', 'ru'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'en';

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/** A Telegram language tag (IETF, e.g. `ru`, `ru-RU`, `en-GB`) → the locale we answer in: Russian for ru*, else English. */
export function localeFromLanguageCode(code: string | undefined): Locale {
  return code !== undefined && /^ru\b/i.test(code) ? 'ru' : DEFAULT_LOCALE;
}

/**
 * The translations sit beside this module in `src/` (tsx); `npm run build` copies them next to the compiled module in
 * `dist/` (tsc copies no .ftl files), and a dist/ without them falls back to the package's `src/i18n/locales`.
 */
export function findLocalesDir(): string {
  const candidates = [
    path.join(import.meta.dirname, 'locales'),
    path.resolve(import.meta.dirname, '..', '..', 'src', 'i18n', 'locales'),
  ];
  const found = candidates.find((dir) => existsSync(path.join(dir, DEFAULT_LOCALE)));
  if (!found) throw new Error(`i18n: the translations are missing (looked in ${candidates.join(', ')})`);
  return found;
}

export interface I18nOptions {
  directory?: string;
  /** Called when a key or variable is missing (default: silent; a test checks every locale has every key). */
  onMissing?: (message: string) => void;
}

export function createI18n(options: I18nOptions = {}): I18n {
  const i18n = new I18n({
    defaultLocale: DEFAULT_LOCALE,
    // No Unicode isolation marks around variables: Telegram shows text left to right, and the marks would end up in
    // breed names people copy.
    fluentBundleOptions: { useIsolating: false },
    fluentOptions: {
      warningHandler: (warning) =>
        options.onMissing?.(`missing translation ${warning.path} (${warning.locales.join(', ')})`),
    },
  });
  i18n.loadLocalesDirSync(options.directory ?? findLocalesDir());
  return i18n;
}
