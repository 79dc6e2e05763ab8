import { privateChat, user } from '../../src/playground/bot-api/stand-in.ts';
import type { ChatMessage, Message, PhotoSize } from '../../src/playground/bot-api/types.ts';
import { openPersonalData, type PersonalData } from '../../src/store/index.ts';
import type { Harness } from '../support/app-harness.ts';
import { readImage } from '../support/paths.ts';
import { waitFor } from '../support/poll.ts';

export const GOLDEN = 'dogs/golden_retriever-778c607c7b99.jpg';
export const BOXER = 'dogs/boxer-5e7846c317a2.jpg';
export const BEAGLE = 'dogs/beagle-4aea27da2a0b.jpg';
/** A dog answer: the top-3, first line linked. */
export const ANSWER = /🐶 .+ — \d+%\n2\. .+ — <?\d+%\n3\. .+ — <?\d+%/;

/**
 * Whether an answer is all there: a dog answer gets its buttons right after its text (once what they need is
 * stored), so a test presses them only then.
 */
export function complete(message: ChatMessage): boolean {
  return !/(^|\n)🐶/.test(message.text ?? '') || message.photo !== undefined || buttons(message).length > 0;
}

/** A shared test photo's bytes (a missing one fails with its path). */
export const photoBytes = readImage;

/** The callback_data of every button under a message. */
export function buttons(message: ChatMessage | undefined): string[] {
  return (message?.reply_markup?.inline_keyboard.flat() ?? []).flatMap((b) =>
    'callback_data' in b && b.callback_data !== undefined ? [b.callback_data] : [],
  );
}

/** The label of the button with this callback_data. */
export function buttonText(message: ChatMessage | undefined, data: string): string | undefined {
  return message?.reply_markup?.inline_keyboard.flat().find((b) => 'callback_data' in b && b.callback_data === data)
    ?.text;
}

/** What the bot keeps about people (history, answer contexts, feedback), read directly for assertions. */
export function personalDataOf(h: Harness): PersonalData {
  return openPersonalData(h.app.redis, h.config.QUEUE_PREFIX, {
    answerRetentionSeconds: 3600,
    feedbackRetentionSeconds: 3600,
  });
}

/** The size of a photo message that was fetched (getFile) to answer it: the one the bot chose. */
export function downloadedSize(h: Harness, sent: Message): PhotoSize {
  const asked = new Set(h.standIn.calls.filter((c) => c.method === 'getFile').map((c) => c.params.file_id));
  const fetched = (sent.photo ?? []).filter((size) => asked.has(size.file_id));
  const [only] = fetched;
  if (only === undefined || fetched.length !== 1) {
    throw new Error(`expected one size of the photo fetched, got ${fetched.length}`);
  }
  return only;
}

let nextUserId = 50_000;

/** A new person in their private chat with the bot. */
export function person(h: Harness, languageCode = 'en') {
  const from = user(nextUserId++, { languageCode });
  const chat = privateChat(from);

  const message = (messageId: number) => h.standIn.botMessagesIn(chat.id).find((m) => m.message_id === messageId);
  /** The bot's reply to `messageId` once its text or caption matches and it is `complete`. */
  const replyMatching = (messageId: number, pattern: RegExp, timeoutMs?: number) =>
    waitFor(
      h.standIn,
      () =>
        h.standIn
          .botMessagesIn(chat.id)
          .find(
            (m) =>
              m.reply_to_message?.message_id === messageId && pattern.test(m.text ?? m.caption ?? '') && complete(m),
          ),
      { label: `a reply to message ${messageId} matching ${pattern}`, ...(timeoutMs ? { timeoutMs } : {}) },
    );

  return {
    from,
    chat,
    message,
    /**
     * Sends a photo (a shared test photo, or bytes) and waits for the answer (its text or caption matching
     * `pattern`, its buttons there: see `complete`); returns the answer and the photo sent.
     */
    async photo(photo: string | Uint8Array, pattern = ANSWER) {
      const file = typeof photo === 'string' ? await photoBytes(photo) : photo;
      const sent = await h.standIn.sendPhoto({ chat, from, file });
      const answer = await replyMatching(sent.message_id, pattern, 20_000);
      const fetched = downloadedSize(h, sent);
      return { answer, sent, fileId: fetched.file_id, fileUniqueId: fetched.file_unique_id };
    },
    press(messageId: number, data: string) {
      return h.standIn.pressButton({ chat, from, messageId, data });
    },
    /** Waits until the buttons under `messageId` satisfy `check`. */
    keyboard(messageId: number, check: (data: string[]) => boolean) {
      return waitFor(h.standIn, () => {
        const current = message(messageId);
        return current && check(buttons(current)) ? current : undefined;
      });
    },
    text(text: string) {
      return h.standIn.sendText({ chat, from, text });
    },
    /** The bot's reply to one of this person's messages, once its text matches (and it is `complete`). */
    replyTo(messageId: number, pattern: RegExp) {
      return replyMatching(messageId, pattern);
    },
    /** The text the bot showed for this person's last button press (a toast), once answered. */
    toast(queryId: string) {
      return waitFor(h.standIn, () => {
        const call = h.standIn.calls.find(
          (c) => c.method === 'answerCallbackQuery' && c.params.callback_query_id === queryId && !c.error,
        );
        return call ? String(call.params.text ?? '') || ' ' : undefined;
      });
    },
  };
}
