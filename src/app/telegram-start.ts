/**
 * The bot's first word with Telegram (getMe), tried until Telegram answers: grammY's own `bot.init()` would retry
 * silently for as long as it takes, with no way for /readyz or the logs to say why the bot is not up. A refused
 * token is not retried: it ends the start with one line (main.ts).
 */
import { type Bot, GrammyError, HttpError } from 'grammy';
import type { BotContext } from '../bot/index.ts';
import { scrub } from '../ops/index.ts';
import type { SharedServices } from './services.ts';
import { reachPatiently } from './start-up.ts';

/** Why a getMe failed, in words fit for logs and /readyz (the token never: the network error may quote the URL). */
function retriableReason(error: unknown, token: string): string | undefined {
  if (error instanceof HttpError) {
    const cause = error.error as { code?: unknown; cause?: { code?: unknown } } | undefined;
    const code = cause?.code ?? cause?.cause?.code;
    return scrub(typeof code === 'string' ? `${error.message} (${code})` : error.message, [token]);
  }
  // Telegram answered, but not yet usefully (5xx, flood control): try again later. 401/404: the token is wrong.
  if (error instanceof GrammyError && (error.error_code >= 500 || error.error_code === 429)) {
    return scrub(`${error.error_code} ${error.description}`, [token]);
  }
  return undefined;
}

/** Replaces `await bot.init()`: the same getMe, retried with backoff, each failure told to the logs and /readyz. */
export async function reachTelegram(
  bot: Bot<BotContext>,
  services: Pick<SharedServices, 'telegram' | 'startUp' | 'logger'>,
): Promise<void> {
  const { telegram, startUp, logger } = services;
  bot.botInfo = await reachPatiently({
    name: 'telegram',
    label: `Telegram at ${telegram.apiRoot}`,
    // grammY types its signal after the abort-controller package; Node's own is what it gets at run time.
    attempt: (signal) => bot.api.getMe(signal as Parameters<Bot['api']['getMe']>[0]),
    retriable: (error) => retriableReason(error, telegram.token),
    hint: 'Check that this host can reach it (TELEGRAM_API_ROOT, a proxy, the firewall).',
    progress: startUp,
    logger,
  });
}
