/**
 * Polling that loses no update when the bot is killed. grammY's runner (concurrent handling, one chat's updates in
 * order) confirms each batch to Telegram with the next getUpdates, while the batch is still being handled; killed
 * then, the bot would lose those updates. Here every batch is kept in Redis (UpdateInbox) before the runner sees it,
 * each update is let go when its handling ends, and a bot that starts first handles again what the last one left.
 *
 * At least once, not exactly once: an update that the killed bot had got halfway through is handled again. A photo
 * is then not queued twice (the job id is the message's); a command may be answered twice.
 *
 * Redis refusing writes (full, a failed disk save, a replica after a failover) or away is waited out, never fatal: a
 * fetched batch is held until Redis keeps it (polling pauses meanwhile), and an update whose handling Redis refused is
 * handled again once Redis takes writes.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import {
  createConcurrentSink,
  createRunner,
  createSource,
  createUpdateFetcher,
  type RunnerHandle,
  type RunnerOptions,
} from '@grammyjs/runner';
import type { Api, Bot, BotError } from 'grammy';
import type { Update } from 'grammy/types';
import type { Logger } from '../ops/index.ts';
import { isRedisUnavailable } from '../queue/index.ts';
import type { UpdateInbox } from '../store/index.ts';
import { FailureStreak } from '../telegram/index.ts';
import type { BotContext } from './context.ts';

/**
 * An update being handled each of the last this many times a bot died is dropped (logged): it may be what kills it.
 */
export const MAX_UPDATE_REPLAYS = 3;

/** Waits between tries while Redis refuses writes or is away: short, so polling is back within seconds of it. */
const REDIS_RETRY_FIRST_MS = 250;
const REDIS_RETRY_MAX_MS = 2000;

export interface DurablePolling {
  runner: RunnerHandle;
  /** Ends the polling and the waits for Redis; what is not handled stays in the inbox for the next bot. */
  stop(): Promise<void>;
}

export interface DurablePollingOptions {
  /** This bot's inbox (UpdateInbox with the bot's own id). */
  inbox: UpdateInbox<Update>;
  logger: Logger;
  /** How getUpdates is called and retried (the runner's own options). */
  fetch: RunnerOptions;
  /**
   * Told of each refused or failed Redis call that polling waits out (the process's report of Redis refusing writes:
   * one line when that starts and one when it ends; a lost connection has its own report).
   */
  redisUnavailable: (error: unknown) => void;
  /** Updates handled at once, across chats. */
  concurrency: number;
}

/** Takes over what a stopped bot left, then polls; resolves once the runner has started. */
export async function startDurablePolling(
  bot: Bot<BotContext>,
  options: DurablePollingOptions,
): Promise<DurablePolling> {
  const { inbox, logger } = options;
  reportPollingErrors(bot.api, logger);
  const stopping = new AbortController();
  const whileRedisRefuses = redisPatience(options.redisUnavailable, stopping.signal);
  const { replay, dropped } = await takeOverLeftovers(inbox, logger);
  // Telegram sends the last bot's unconfirmed batch once more: those updates are being replayed or were dropped, so
  // each copy is skipped once — compared whole, so that a different update under the same id is never skipped.
  const copies = new Map([...replay, ...dropped].map((u) => [u.update_id, JSON.stringify(u)]));
  const isCopy = (update: Update) => {
    if (copies.get(update.update_id) !== JSON.stringify(update)) return false;
    copies.delete(update.update_id);
    return true;
  };
  const fetchUpdates = createUpdateFetcher(bot, options.fetch);
  const waiting = [...replay];
  const source = createSource<Update>({
    async supply(batchSize, signal) {
      if (waiting.length > 0) return waiting.splice(0, batchSize);
      const fetched = await fetchUpdates(batchSize, signal);
      const fresh = copies.size === 0 ? fetched : fetched.filter((u) => !isCopy(u));
      // Kept before the runner has them: its next getUpdates confirms them to Telegram. While Redis refuses, the
      // batch is held here and nothing more is fetched (nor confirmed): polling pauses, and goes on once it accepts.
      // (The runner types its signal with the abort-controller shim's class; at run time it is Node's own.)
      await whileRedisRefuses(() => inbox.keep(fresh), signal as unknown as AbortSignal);
      return fresh;
    },
  });
  // handleUpdate throws what a handler threw, wrapped (BotError); the bot's error handler logs it (createBot).
  const sink = createConcurrentSink<Update, BotError<BotContext>>(
    {
      async consume(update) {
        // Best effort: without it, a death now does not count this update as the one that kills the bot.
        await inbox.begin(update.update_id).catch(() => undefined);
        try {
          // Redis away or refusing writes (the only failure the handlers let through): handled again once it is
          // back, not told it failed.
          await whileRedisRefuses(() => bot.handleUpdate(update), stopping.signal);
        } catch (error) {
          // Stopped while waiting for Redis: left in the inbox, for the next bot.
          if (stopping.signal.aborted) return;
          await inbox.finish(update.update_id);
          throw error;
        }
        await inbox.finish(update.update_id);
      },
    },
    async (error) => {
      try {
        await bot.errorHandler(error);
      } catch (failed) {
        logger.error({ err: failed }, 'update error handler failed');
      }
    },
    { concurrency: options.concurrency },
  );
  const runner = createRunner(source, sink);
  runner.start();
  return {
    runner,
    async stop() {
      stopping.abort();
      if (runner.isRunning()) await runner.stop();
    },
  };
}

/** What the last bot left unfinished: to handle again, or dropped (each said in one line). */
async function takeOverLeftovers(inbox: UpdateInbox<Update>, logger: Logger) {
  const { replay, dropped } = await inbox.takeOver(MAX_UPDATE_REPLAYS);
  if (dropped.length > 0) {
    logger.error(
      { updateIds: dropped.map((u) => u.update_id), replays: MAX_UPDATE_REPLAYS },
      'updates dropped: the bot stopped while handling each of them every time',
    );
  }
  if (replay.length > 0) {
    logger.warn(
      { count: replay.length, updateIds: replay.map((u) => u.update_id) },
      'handling again the updates the last bot had taken and not finished',
    );
  }
  return { replay, dropped };
}

/**
 * Runs `attempt` until Redis takes it: while Redis refuses writes (full, a failed disk save, a replica after a
 * failover) or is away, waits a little longer each time (up to 2 s) and tries again. Each failure goes to `unavailable`
 * (the process's one report: a line when it starts, one when it is over). Anything else is thrown; so is an abort.
 */
function redisPatience(unavailable: (error: unknown) => void, stopping: AbortSignal) {
  return async <T>(attempt: () => Promise<T>, signal: AbortSignal): Promise<T> => {
    const either = AbortSignal.any([signal, stopping]);
    for (let delay = REDIS_RETRY_FIRST_MS; ; delay = Math.min(delay * 2, REDIS_RETRY_MAX_MS)) {
      try {
        return await attempt();
      } catch (error) {
        if (!isRedisUnavailable(error) || either.aborted) throw error;
        unavailable(error);
      }
      await sleep(delay, undefined, { signal: either });
    }
  };
}

/**
 * The runner retries a failed getUpdates every second without a word (its own printing is off: network failures are
 * told by the reachability tracker). An error that Telegram answers with — a 5xx through its retries, say — is told
 * here: one warning when polling starts failing, one line when it works again.
 */
function reportPollingErrors(api: Api, logger: Logger): void {
  const streak = new FailureStreak();
  // Telegram's errors reach a transformer as an answer with ok: false; grammY throws them only after the chain.
  api.config.use(async (previous, method, payload, signal) => {
    const result = await previous(method, payload, signal);
    if (method !== 'getUpdates') return result;
    if (!result.ok) {
      if (streak.fail()) {
        logger.warn(
          { errorCode: result.error_code, description: result.description },
          'getUpdates fails: Telegram answers with an error; polling keeps retrying',
        );
      }
      return result;
    }
    const ended = streak.end();
    if (ended !== undefined) logger.info(ended, 'getUpdates works again');
    return result;
  });
}
