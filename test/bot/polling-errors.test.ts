/**
 * getUpdates failing with an error that Telegram answers (not a network error: those are the reachability tracker's)
 * is told once when it starts and once when polling works again — not retried in silence — and the bot then serves
 * on. The real app's bot role, polling the Bot API stand-in over HTTP.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { privateChat, user } from '../../src/playground/bot-api/stand-in.ts';
import { logLinesSaying, startHarness } from '../support/app-harness.ts';
import { poll, waitFor } from '../support/poll.ts';

const FAILED_POLLS = 3;
const WARNING = 'getUpdates fails: Telegram answers with an error; polling keeps retrying';
const RECOVERED = 'getUpdates works again';
const records = (lines: string[]) => lines.map((l) => JSON.parse(l) as { failures?: number; errorCode?: number });

test(`${FAILED_POLLS} failed getUpdates in a row: one warning, one line when it works again, then served`, async () => {
  const h = await startHarness({}, { roles: ['bot'] });
  try {
    const from = user(9700);
    const chat = privateChat(from);
    h.standIn.injectFault({
      method: 'getUpdates',
      times: FAILED_POLLS,
      fault: { kind: 'status', status: 400, description: 'Bad Request: injected' },
    });
    // The waiting long poll returns this one; the polls after it fail.
    h.standIn.sendText({ chat, from, text: '/help' });
    // Log lines, not the chat: polled on a timer.
    await poll(() => logLinesSaying(h.logLines, RECOVERED).length > 0, {
      timeoutMs: 30_000,
      label: 'polling working again',
    });
    const warnings = records(logLinesSaying(h.logLines, WARNING));
    assert.equal(warnings.length, 1, 'one warning for the streak');
    assert.equal(warnings[0]?.errorCode, 400);
    assert.equal(records(logLinesSaying(h.logLines, RECOVERED))[0]?.failures, FAILED_POLLS);
    h.standIn.sendText({ chat, from, text: '/breeds' });
    await waitFor(h.standIn, () => h.standIn.botMessagesIn(chat.id).length >= 2, {
      timeoutMs: 30_000,
      label: 'both commands answered',
    });
  } finally {
    await h.close();
  }
});
