/**
 * /history: a person's last answers in a chat as one message — per answer its number, top breed and when — with a
 * button per answer that shows it again (renderKeptAnswer). Two buttons a row; a label too long for its half is
 * shortened by Telegram's apps, and the message above names each breed whole.
 */
import { InlineKeyboard } from 'grammy';
import type { Locale, Texts } from '../i18n/index.ts';
import type { PredictionRecord } from '../store/index.ts';
import { CALLBACK } from './keyboards.ts';

export type HistoryEntry = Pick<PredictionRecord, 'isDog' | 'top' | 'at'>;

/**
 * The list, newest first, and its buttons; `owned` gives a button's callback data its owner (button-owner.ts), so only
 * the person whose answers they are may press them.
 */
export function renderHistory(
  entries: readonly HistoryEntry[],
  now: number,
  texts: Texts,
  locale: Locale,
  owned: (data: string) => string,
): { text: string; markup: InlineKeyboard } {
  const lines = entries.map((entry, i) => ({
    number: i + 1,
    top: entry.isDog ? entry.top[0] : undefined,
    when: texts.ago(locale, now - entry.at),
  }));
  const keyboard = new InlineKeyboard();
  lines.forEach((line, i) => {
    const name = line.top ? texts.breedName(locale, line.top.breed) : texts.t(locale, 'history-no-dog-button');
    keyboard.text(
      texts.t(locale, 'history-button', { number: line.number, name }),
      owned(CALLBACK.history(entries[i]?.at ?? 0)),
    );
    if (i % 2 === 1) keyboard.row();
  });
  return { text: texts.historyList(locale, lines), markup: keyboard };
}
