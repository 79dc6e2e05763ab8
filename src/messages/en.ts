/**
 * Everything the bot says, in English (Telegram HTML). One place, so wording stays consistent and can be translated.
 */
import { escapeHtml } from './html.ts';

export interface ServiceStats {
  queue: { waiting: number; active: number; delayed: number; failed: number };
  historyOn: boolean;
  lastHour: { answers: number; p50: number | null; p95: number | null };
  lastDay: { answers: number; p50: number | null; p95: number | null };
  workers: { model: string; gateModel: string | null; device: string }[];
}

const seconds = (ms: number | null): string => (ms === null ? '—' : `${(ms / 1000).toFixed(2)} s`);

export interface AnswerGuess {
  name: string;
  wikipedia: string;
  p: number;
}

/** Whole percents, for HTML messages; a share that would round to 0 reads "<1%" (a 0% guess would not be listed). */
const percent = (p: number): string => (p < 0.005 ? '&lt;1%' : `${Math.round(p * 100)}%`);

export const en = {
  looking: '🔍 Looking at your photo…',
  start: (name: string) =>
    `Hi ${escapeHtml(name)}! 🐶 Send me a photo of a dog and I'll tell you its three most likely breeds, ` +
    'with how sure I am.\n\nSend it as a photo or as a file (files keep full quality). Albums work too.\n' +
    '/breeds lists the 120 breeds I know. /help says more.',
  help: (limit: number, windowSeconds: number) =>
    '<b>How to use me</b>\n' +
    '• Send a photo of a dog (or an image file, or an album). I reply with the three most likely breeds.\n' +
    "• In groups, reply to a photo with /breed, or mention me in the photo's caption.\n" +
    '• /breeds — the 120 breeds I know.\n\n' +
    '<b>Privacy</b>: your photos are not kept. I download each photo only to look at it, then forget it.\n' +
    `<b>Limits</b>: up to ${limit} photos ${windowSeconds === 60 ? 'a minute' : `every ${windowSeconds} seconds`} per person, files up to 20 MB.`,
  breedsPage: (page: number, pages: number, names: readonly string[]) =>
    `<b>The 120 breeds I know</b> (page ${page}/${pages}):\n${names.map((n) => `• ${escapeHtml(n)}`).join('\n')}`,
  previous: '◀️ Previous',
  next: 'Next ▶️',
  answer: (guesses: readonly AnswerGuess[], options: { unsure: boolean; mix?: [string, string] }) => {
    const [first, ...rest] = guesses;
    if (first === undefined) return '🤷 I could not tell anything about this photo.';
    const lines = [
      `🐶 <b><a href="${escapeHtml(first.wikipedia)}">${escapeHtml(first.name)}</a></b> — ${percent(first.p)}`,
      ...rest.map((g, i) => `${i + 2}. ${escapeHtml(g.name)} — ${percent(g.p)}`),
    ];
    if (options.mix) {
      lines.push('', `🤔 Could be a mix of ${escapeHtml(options.mix[0])} and ${escapeHtml(options.mix[1])}.`);
    } else if (options.unsure) {
      lines.push('', "🤔 I'm not sure about this one — it could be a mix, or the photo is hard to read.");
    }
    return lines.join('\n');
  },
  notADog: (bestGuess?: AnswerGuess) =>
    "🙂 I don't see a dog in this photo. If there is one, try a closer, brighter shot of it." +
    (bestGuess
      ? `\nIf it is a dog, it looks most like a ${escapeHtml(bestGuess.name)} (${percent(bestGuess.p)}).`
      : ''),
  badImage:
    '😕 I could not read this image — it may be damaged or in a format I do not know. Could you send it again as a photo?',
  tooLargeImage: '😕 This image is too large for me to open. Could you send it as a photo instead?',
  tooSmallImage: '🔎 This image is too small for me to see a dog in. Could you send a bigger one?',
  fileTooBig:
    '📦 That file is over 20 MB, which is more than Telegram lets bots download. Could you send it as a photo instead?',
  fileUnavailable: '😕 I could not download that photo from Telegram any more. Could you send it again?',
  notAnImageFile:
    '📄 That file is not an image I can read. Send me a photo of a dog as a photo, or as a JPEG, PNG, WebP, GIF or AVIF file.',
  failed: '😞 Sorry, something went wrong on my side and I could not look at this photo. Please try again in a minute.',
  slowDown: (seconds: number) =>
    `🐢 That's a lot of photos at once! I'll skip new ones for about ${seconds} seconds — send them again after that.`,
  stats: (s: ServiceStats) =>
    [
      '<b>Queue</b>',
      `waiting ${s.queue.waiting} · active ${s.queue.active} · delayed ${s.queue.delayed} · failed ${s.queue.failed}`,
      '',
      s.historyOn ? '<b>Answers</b> (latency from photo to answer, p50 / p95)' : '<b>Answers</b>: history is off',
      ...(s.historyOn
        ? [
            `last hour: ${s.lastHour.answers} · ${seconds(s.lastHour.p50)} / ${seconds(s.lastHour.p95)}`,
            `last day: ${s.lastDay.answers} · ${seconds(s.lastDay.p50)} / ${seconds(s.lastDay.p95)}`,
          ]
        : []),
      '',
      '<b>Workers</b>',
      ...(s.workers.length === 0
        ? ['none running']
        : s.workers.map(
            (w) =>
              `${escapeHtml(w.model)}${w.gateModel && w.gateModel !== w.model ? ` (gate ${escapeHtml(w.gateModel)})` : ''} on ${escapeHtml(w.device)}`,
          )),
    ].join('\n'),
  hint: '📷 Send me a photo of a dog and I will tell you its breed. /help explains more.',
  groupHint: 'Reply to a photo with /breed and I will look at it.',
} as const;

export type Messages = typeof en;
