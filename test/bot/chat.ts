/**
 * Playing a person in the bot tests: a fresh user per test, sending photos and pressing the buttons under answers,
 * with waits on what the bot shows (through the Bot API stand-in) and keeps (in the harness's Redis).
 */
import { privateChat, user } from '../../src/playground/bot-api/stand-in.ts';
import type { ChatMessage, Message, PhotoSize } from '../../src/playground/bot-api/types.ts';
import { openPersonalData, type PersonalData } from '../../src/store/index.ts';
import type { Harness } from '../support/app-harness.ts';
import { readImage } from '../support/paths.ts';
import { waitFor, waitForReplyTo } from '../support/poll.ts';

export const GOLDEN = 'dogs/golden_retriever-778c607c7b99.jpg';
export const BOXER = 'dogs/boxer-5e7846c317a2.jpg';
export const BEAGLE = 'dogs/beagle-4aea27da2a0b.jpg';
/** A dog answer: the top-3, first line linked. */
export const ANSWER = /🐶 .+ — \d+%\n2\. .+ — <?\d+%\n3\. .+ — <?\d+%/;

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

  return {
    from,
    chat,
    message,
    /**
     * Sends a photo (a shared test photo, or bytes) and waits for the answer (its text or caption matching
     * `pattern`); returns the answer and the photo sent.
     */
    async photo(photo: string | Uint8Array, pattern = ANSWER) {
      const file = typeof photo === 'string' ? await photoBytes(photo) : photo;
      const sent = await h.standIn.sendPhoto({ chat, from, file });
      const answer = await waitForReplyTo(h.standIn, chat.id, sent.message_id, (text) => pattern.test(text), {
        timeoutMs: 20_000,
      });
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
    /** The bot's reply to one of this person's messages, once its text matches. */
    replyTo(messageId: number, pattern: RegExp) {
      return waitForReplyTo(h.standIn, chat.id, messageId, (text) => pattern.test(text));
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
