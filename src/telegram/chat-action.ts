/**
 * "typing…" while a photo is looked at. A chat action is idempotent — sent twice (a lost response retried, a bot
 * restarted before confirming the update) it is still one "typing…" — where a status message sent twice would leave
 * one that nobody can finish (Telegram has no idempotency keys, and the lost one's id is never learnt).
 */
import type { Api } from 'grammy';

/** Telegram shows a chat action for about 5 s, or until the bot's next message: renewed a little before that. */
export const CHAT_ACTION_RENEW_MS = 4000;
/** A chat action is worth nothing after it would have expired: a call is given up (aborted) after that long. */
const CHAT_ACTION_PATIENCE_MS = 5000;

/** grammY types its signal with the abort-controller shim's class; at run time it takes Node's own AbortSignal. */
type GrammySignal = Parameters<Api['sendChatAction']>[3];

/** One "typing…" in the chat; rejects when Telegram did not take it within a few seconds (the caller goes on). */
export async function sendTyping(api: Api, chatId: number, signal?: AbortSignal): Promise<void> {
  const patience = AbortSignal.timeout(CHAT_ACTION_PATIENCE_MS);
  const either = signal ? AbortSignal.any([signal, patience]) : patience;
  await api.sendChatAction(chatId, 'typing', {}, either as unknown as GrammySignal);
}

export interface TypingKeeper {
  /** Stops renewing; a call in flight is aborted (the answer that follows ends "typing…" anyway). */
  stop(): void;
}

/**
 * "typing…" every CHAT_ACTION_RENEW_MS until `stop()`: for work that outlasts one chat action (a download, a wait in
 * the micro-batcher). `shownAt`: when a "typing…" was last sent in this chat (the bot sends one as it queues the
 * photo), so the first renewal comes when that one is about to end rather than at once — one call less per photo in
 * a burst. A failed renewal is only reported: the work goes on.
 */
export function keepTyping(
  api: Api,
  chatId: number,
  onError: (error: unknown) => void,
  shownAt = Number.NEGATIVE_INFINITY,
): TypingKeeper {
  const aborter = new AbortController();
  const send = () => {
    if (aborter.signal.aborted) return;
    sendTyping(api, chatId, aborter.signal).catch((error: unknown) => aborter.signal.aborted || onError(error));
  };
  let timer: NodeJS.Timeout | undefined;
  const renew = () => {
    send();
    timer = setInterval(send, CHAT_ACTION_RENEW_MS);
  };
  const firstInMs = Math.max(0, shownAt + CHAT_ACTION_RENEW_MS - Date.now());
  if (firstInMs === 0) renew();
  else timer = setTimeout(renew, firstInMs);
  return {
    stop() {
      clearTimeout(timer);
      clearInterval(timer);
      aborter.abort();
    },
  };
}
