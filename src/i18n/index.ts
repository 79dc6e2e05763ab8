/** Everything the bot says, in English and Russian: locales, the Fluent texts, HTML helpers, breed-name search. */
export * from './breed-search.ts';
export * from './characters.ts';
export * from './html.ts';
export * from './i18n.ts';
export * from './texts.ts';
