/**
 * The tests' waits, all on one loop (`poll`): plain polling for state anywhere (Redis, the app), and `waitFor` /
 * `waitForReplyTo` for what the bot does in the Bot API stand-in, re-checked on each of its changes.
 */
import type { BotApiStandIn } from '../../src/playground/bot-api/stand-in.ts';
import type { ChatMessage } from '../../src/playground/bot-api/types.ts';

export interface PollOptions {
  /** Default 10 000. */
  timeoutMs?: number;
  /** How often the check runs besides wake-ups; default 50. */
  intervalMs?: number;
  /** What is being waited for, for the timeout message. */
  label?: string;
  /** Subscribes `recheck` to events that may satisfy the check at once; returns the unsubscribe. */
  wakeOn?: (recheck: () => void) => () => void;
  /** What the world looked like, appended to the timeout message. */
  explain?: () => string;
}

type Check<T> = () => Promise<T | undefined | false> | T | undefined | false;

/**
 * Resolves with the check's first value other than undefined/false; runs it now, every `intervalMs` and on each
 * `wakeOn` event (a synchronous check runs inside the event, so it sees even a state that lasts no longer).
 * A check that throws rejects the wait.
 */
export function poll<T>(check: Check<T>, options: PollOptions = {}): Promise<T> {
  const { timeoutMs = 10_000, intervalMs = 50, label, wakeOn, explain } = options;
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let running = false; // an async check is in flight
    let again = false; // something happened meanwhile: check once more when it is back
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearInterval(interval);
      clearTimeout(timer);
      unsubscribe?.();
      outcome();
    };
    const accept = (value: T | undefined | false) => {
      if (value !== undefined && value !== false) settle(() => resolve(value));
    };
    const run = () => {
      if (settled) return;
      if (running) {
        again = true;
        return;
      }
      try {
        const value = check();
        if (!(value instanceof Promise)) return accept(value);
        running = true;
        value.then(
          (v) => {
            running = false;
            accept(v);
            if (again) {
              again = false;
              run();
            }
          },
          (error: unknown) => settle(() => reject(error)),
        );
      } catch (error) {
        settle(() => reject(error));
      }
    };
    // A timer tick while an async check is in flight is skipped, not queued: only events ask for a re-check.
    const interval = setInterval(() => running || run(), intervalMs);
    const timer = setTimeout(() => {
      const what = label ? ` for ${label}` : '';
      const more = explain ? `\n${explain()}` : '';
      settle(() => reject(new Error(`waiting${what} timed out after ${timeoutMs} ms.${more}`)));
    }, timeoutMs);
    const unsubscribe = wakeOn?.(run);
    run();
  });
}

/**
 * Resolves with the predicate's value once it is truthy. Re-checked after every API call, download and user action
 * in the stand-in, and every 50 ms for state outside it; a timeout lists the bot's last calls.
 */
export function waitFor<T>(
  standIn: BotApiStandIn,
  predicate: () => T | undefined | null | false,
  options: Omit<PollOptions, 'wakeOn' | 'explain'> = {},
): Promise<T> {
  return poll(() => predicate() || undefined, {
    ...options,
    wakeOn: (recheck) => standIn.onChange(recheck),
    explain: () => describeRecentCalls(standIn),
  });
}

/** The bot's message replying to `userMessageId`, once its (possibly edited) text or caption satisfies `predicate`. */
export function waitForReplyTo(
  standIn: BotApiStandIn,
  chatId: number,
  userMessageId: number,
  predicate: (text: string) => boolean = () => true,
  options: Omit<PollOptions, 'wakeOn' | 'explain'> = {},
): Promise<ChatMessage> {
  return waitFor(
    standIn,
    () =>
      standIn
        .botMessagesIn(chatId)
        .find((m) => m.reply_to_message?.message_id === userMessageId && predicate(m.text ?? m.caption ?? '')),
    { label: `a reply to message ${userMessageId} in chat ${chatId}`, ...options },
  );
}

/** The bot's last few calls besides getUpdates, for a timeout message. */
function describeRecentCalls(standIn: BotApiStandIn): string {
  const interesting = standIn.calls.filter((c) => c.method !== 'getUpdates');
  const polls = standIn.calls.length - interesting.length;
  const lines = interesting.slice(-8).map((c) => {
    const params = JSON.stringify(c.params);
    const outcome = c.error ? ` -> ${c.error}` : c.injected ? ` (injected ${c.injected})` : '';
    return `  ${c.method} ${params.length > 200 ? `${params.slice(0, 200)}…` : params}${outcome}`;
  });
  const header = `Last ${lines.length} of ${interesting.length} calls (plus ${polls} getUpdates):`;
  return lines.length ? `${header}\n${lines.join('\n')}` : 'The bot made no calls besides getUpdates.';
}
