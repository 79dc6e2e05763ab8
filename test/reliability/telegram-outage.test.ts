/**
 * Telegram unreachable for a while (every connection dropped): the worker's calls are retried a few times, then the
 * job waits (back in the queue, no attempt spent) and tries again every few seconds; one warning line for the whole
 * outage, `/readyz` not ready naming telegram, the metric at 0 — and after it, one line saying Telegram is back,
 * ready again, and the photo answered.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { privateChat, user } from '../../src/playground/bot-api/stand-in.ts';
import { photoJobId } from '../../src/queue/index.ts';
import { type Harness, startHarness } from '../support/app-harness.ts';
import { image } from '../support/paths.ts';
import { poll, waitFor, waitForReplyTo } from '../support/poll.ts';

const ANSWER = /^🐶 .+ — \d+%/;
/** More than one worker attempt's worth (3 calls each): at least one job attempt fails for good. */
const DROPPED_CALLS = 8;

let h: Harness;
before(async () => {
  h = await startHarness({ JOB_ATTEMPTS: '8' });
});
after(async () => {
  await h.close();
});

interface Readiness {
  status: string;
  /** `true`, or why not. */
  checks: Record<string, true | string>;
}
async function readiness(): Promise<{ code: number; body: Readiness }> {
  const response = await fetch(`${h.app.ops?.url}/readyz`);
  return { code: response.status, body: (await response.json()) as Readiness };
}
const linesSaying = (pattern: RegExp) => h.logLines.filter((line) => pattern.test(line));

test('an outage: one warning, /readyz names telegram, the photo waits and is answered after it', async () => {
  const from = user(7300);
  const chat = privateChat(from);
  const warm = await h.standIn.sendPhoto({ from, chat, file: await readFile(image('dogs/beagle-4aea27da2a0b.jpg')) });
  await waitForReplyTo(h.standIn, chat.id, warm.message_id, (t) => ANSWER.test(t), { timeoutMs: 30_000 });
  assert.equal((await readiness()).body.checks.telegram, true);

  // The worker's getFile answers late, and meanwhile Telegram goes away: the bot has already queued the job.
  h.standIn.injectFault({ method: 'getFile', fault: { kind: 'delay', ms: 1500 } });
  const boxer = await readFile(image('dogs/boxer-5e7846c317a2.jpg'));
  const typingBefore = h.standIn.chatActionsIn(chat.id).length;
  const sent = await h.standIn.sendPhoto({ from, chat, file: boxer });
  // Queued, and the bot's "typing…" answered: a call in flight when Telegram goes would end the outage early. (The
  // worker renews it only when the bot's is about to end, ≈ 4 s later: inside the outage, so dropped like the rest.)
  await poll(() => h.app.queue.getJob(photoJobId(chat.id, sent.message_id)), { label: 'the photo queued' });
  await waitFor(h.standIn, () => h.standIn.chatActionsIn(chat.id).length >= typingBefore + 1, {
    label: 'the bot’s "typing…"',
  });
  h.standIn.injectFault({ method: '*', times: DROPPED_CALLS, fault: { kind: 'drop' } });

  const down = await poll(
    async () => {
      const ready = await readiness();
      return ready.code === 503 && ready.body.checks.telegram === 'unreachable: calls are failing' && ready;
    },
    { timeoutMs: 20_000, label: '/readyz not ready for telegram' },
  );
  assert.equal(down.body.status, 'not ready');
  const metricsDown = await (await fetch(`${h.app.ops?.url}/metrics`)).text();
  assert.match(metricsDown, /^dog_breeds_telegram_reachable 0$/m);

  const answer = await waitForReplyTo(h.standIn, chat.id, sent.message_id, (t) => ANSWER.test(t), {
    timeoutMs: 60_000,
  });
  assert.match(answer.text ?? '', /^🐶 Boxer/);
  const up = await readiness();
  assert.deepEqual({ code: up.code, telegram: up.body.checks.telegram }, { code: 200, telegram: true });

  assert.equal(linesSaying(/"msg":"Telegram unreachable/).length, 1, 'one warning for the whole outage');
  assert.equal(linesSaying(/"msg":"Telegram reachable again"/).length, 1, 'one line when it is back');
  assert.deepEqual(linesSaying(/"msg":"photo job failed"/), [], 'the outage spent no attempt: the job waited');
  const dropped = h.standIn.calls.filter((c) => c.injected === 'drop').length;
  assert.equal(dropped, DROPPED_CALLS);
  const metricsUp = await (await fetch(`${h.app.ops?.url}/metrics`)).text();
  assert.match(metricsUp, /^dog_breeds_telegram_reachable 1$/m);
  assert.match(metricsUp, /^dog_breeds_jobs_waiting_for_telegram_total [1-9]\d*$/m, 'the job was put back to wait');
  const failures = [...metricsUp.matchAll(/^dog_breeds_telegram_network_failures_total\{method="\w+"\} (\d+)$/gm)];
  assert.equal(
    failures.reduce((sum, m) => sum + Number(m[1]), 0),
    DROPPED_CALLS,
  );
});
