/**
 * Takeover within seconds: with the default lock settings (JOB_LOCK_MS and STALLED_INTERVAL_MS not set), two workers
 * share the photos; one is SIGKILLed mid-work, and the photos it held are answered by the other within 15 s of its
 * death — for a chat, a photo that seems slow rather than ignored.
 *
 * Real bot and two worker processes, the real Redis (own prefix), the Bot API stand-in over HTTP (each download held
 * 0.5 s, so that the killed worker certainly has photos in hand). Measured: the delay from the kill to each answer
 * of a photo not yet answered then; asserted: the largest under 15 s, every photo answered.
 *
 * Before this was made to hold (issue 22): the defaults were a 30 s lock and a 30 s stalled check, and the dead
 * worker's photos were answered about 64 s after its death.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { AnswerClock } from '../support/answer-clock.ts';
import { auditAnswers, type SentPhoto, waitForAllAnswers } from '../support/chat-audit.ts';
import { waitFor } from '../support/poll.ts';
import { ANSWER, dogPhotos, type Scenario, startScenario } from '../support/reliability-setup.ts';
import { type ServiceProcess, spawnService, startBotAndWorker } from '../support/service-process.ts';

const PHOTOS = 32;
const DOWNLOAD_HOLD_MS = 500;
/** A dead worker's photos answered within this of its death. */
const TAKEOVER_WITHIN_MS = 15_000;

const processes: ServiceProcess[] = [];
let scenario: Scenario | undefined;
let clock: AnswerClock | undefined;
after(async () => {
  clock?.stop();
  await Promise.all(processes.map((p) => p.stop('SIGKILL')));
  await scenario?.close();
});

test('a busy worker SIGKILLed, default lock settings: the photos it held answered by the other within 15 s', async (t) => {
  const s = await startScenario();
  scenario = s;
  // Default JOB_LOCK_MS and STALLED_INTERVAL_MS: what is measured is the defaults.
  const env = { ...s.env, MODEL: 'xception-random', RATE_LIMIT_PHOTOS: '1000' };
  const { bot, worker: doomed } = await startBotAndWorker(env);
  processes.push(bot, doomed);
  const survivor = spawnService('worker', env);
  processes.push(survivor);
  await survivor.waitForLog(/"model loaded"/, 60_000);

  s.standIn.injectFault({ method: 'file', times: 10_000, fault: { kind: 'delay', ms: DOWNLOAD_HOLD_MS } });
  clock = new AnswerClock(s.standIn, ANSWER);
  const sent = await s.sendPhotos(await dogPhotos(PHOTOS), PHOTOS);
  clock.track(sent);
  const repliesTo = (p: SentPhoto) =>
    s.standIn.botMessagesIn(p.chatId).filter((m) => m.reply_to_message?.message_id === p.messageId);
  // Killed once a few photos are answered completely and more are being worked on.
  await waitFor(s.standIn, () => sent.filter((p) => repliesTo(p).some((m) => m.reply_markup)).length >= 4, {
    timeoutMs: 60_000,
  });
  doomed.child.kill('SIGKILL');
  await doomed.exited;
  const killedAt = Date.now();
  const open = sent.filter((p) => clock?.at(p) === undefined);
  // Answers sent but not finished when it died: their ids may not have been written yet (answered twice: a known limit).
  const inFlightAtKill = sent.filter((p) => repliesTo(p).some((m) => !m.reply_markup));
  assert.ok(open.length > 0, 'photos were left to answer when the worker died');

  const waited = await waitForAllAnswers(s.standIn, sent, 90_000, ANSWER).then(
    () => 'all answered',
    (error: unknown) => (error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error)),
  );
  const delays = clock.delaysSince(killedAt, open);
  const answeredDelays = delays.filter((d): d is number => d !== undefined);
  const maxDelayMs = answeredDelays.length ? Math.max(...answeredDelays) : undefined;
  const audit = auditAnswers(s.standIn, sent, ANSWER);
  const takenOver = (survivor.stdout().match(/job stalled/g) ?? []).length;
  t.diagnostic(
    JSON.stringify({
      scenario: 'worker SIGKILL takeover, default JOB_LOCK_MS / STALLED_INTERVAL_MS',
      photos: sent.length,
      openAtKill: open.length,
      stalledJobsTakenOver: takenOver,
      answered: audit.answered,
      lost: audit.lost,
      duplicated: audit.duplicated,
      answersInFlightAtKill: inFlightAtKill.length,
      maxSecondsFromKillToAnswer: maxDelayMs === undefined ? null : maxDelayMs / 1000,
      unansweredAfterWait: delays.length - answeredDelays.length,
      waited,
    }),
  );
  assert.equal(audit.lost, 0, `${waited}\n${audit.problems.join('\n')}`);
  assert.ok(takenOver >= 1, 'the dead worker held photos, taken over as stalled jobs');
  assert.ok(
    maxDelayMs !== undefined && maxDelayMs <= TAKEOVER_WITHIN_MS,
    `the dead worker's photos answered within ${TAKEOVER_WITHIN_MS / 1000} s of its death (the last after ${maxDelayMs === undefined ? '—' : (maxDelayMs / 1000).toFixed(1)} s)`,
  );
});
