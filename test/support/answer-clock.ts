/**
 * When each photo was answered, to the millisecond (the stand-in's messages carry Telegram's whole seconds only):
 * checked on every change of the stand-in, so the time is when the answer reached "Telegram". For the reliability
 * tests that measure a delay — from a worker's death, from the end of an outage, from Redis accepting writes again.
 */
import type { BotApiStandIn } from '../../src/playground/bot-api/stand-in.ts';
import { FINAL_TEXT, type SentPhoto } from './chat-audit.ts';

const keyOf = (p: SentPhoto) => `${p.chatId}:${p.messageId}`;

export class AnswerClock {
  private readonly tracked: SentPhoto[] = [];
  private readonly firstAt = new Map<string, number>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly standIn: BotApiStandIn,
    private readonly isFinal: (text: string) => boolean = (t) => FINAL_TEXT.test(t),
  ) {
    this.unsubscribe = standIn.onChange(() => this.check());
  }

  /** Starts timing these photos (an answer already there is timed now). */
  track(photos: readonly SentPhoto[]): void {
    this.tracked.push(...photos);
    this.check();
  }

  /** Date.now() when the photo's first final reply was seen; undefined while it has none. */
  at(photo: SentPhoto): number | undefined {
    return this.firstAt.get(keyOf(photo));
  }

  /** Milliseconds from `since` to each photo's answer (undefined: not answered). */
  delaysSince(since: number, photos: readonly SentPhoto[]): Array<number | undefined> {
    return photos.map((p) => {
      const at = this.at(p);
      return at === undefined ? undefined : at - since;
    });
  }

  stop(): void {
    this.unsubscribe();
  }

  private check(): void {
    const now = Date.now();
    for (const photo of this.tracked) {
      const key = keyOf(photo);
      if (this.firstAt.has(key)) continue;
      const answered = this.standIn
        .botMessagesIn(photo.chatId)
        .some((m) => m.reply_to_message?.message_id === photo.messageId && this.isFinal(m.text ?? m.caption ?? ''));
      if (answered) this.firstAt.set(key, now);
    }
  }
}

/** The largest of the delays in seconds (one decimal), or undefined when one is missing. */
export function maxSeconds(delaysMs: ReadonlyArray<number | undefined>): number | undefined {
  if (delaysMs.some((d) => d === undefined)) return undefined;
  const max = Math.max(...(delaysMs as number[]));
  return Math.round(max / 100) / 10;
}
