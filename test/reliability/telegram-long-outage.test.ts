/**
 * A long Telegram outage with photos in flight: every Bot API call and download dropped for OUTAGE_SECONDS (default
 * 90; run by hand for the 10-minute figure: `OUTAGE_SECONDS=600 node scripts/run-tests.mjs --test-timeout=1200000
 * test/reliability/telegram-long-outage.test.ts`). The jobs wait instead of spending their attempts (default
 * JOB_ATTEMPTS), and every photo is answered, once, soon after Telegram is back (the figure is printed: 8.7 s on the
 * idle 2-core machine; the aim is 10 s). And a photo older than
 * PHOTO_MAX_AGE_SECONDS when Telegram is back gets a short apology ("😔 Sorry…") instead of a late answer — never
 * silence.
 *
 * Real bot and worker processes, the real Redis (own prefix), the Bot API stand-in over HTTP. The photos are queued
 * and the worker's first getFile calls held when "Telegram goes away" (the stand-in's 'drop' on every method and on
 * downloads, cleared when it is back).
 *
 * Before this was made to hold (issue 22): five attempts with backoff (1+2+4+8 s) ran out inside the outage, the job
 * failed for good and its apology could not be sent either: 27 of 30 photos in flight never answered.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { BotApiStandIn } from '../../src/playground/bot-api/stand-in.ts';
import { createPhotoQueue, type PhotoQueue, photoJobId } from '../../src/queue/index.ts';
import { AnswerClock } from '../support/answer-clock.ts';
import { type AnswerAudit, auditAnswers, type SentPhoto, waitForAllAnswers } from '../support/chat-audit.ts';
import { poll } from '../support/poll.ts';
import { ANSWER, dogPhotos, type Scenario, startScenario } from '../support/reliability-setup.ts';
import { type ServiceProcess, startBotAndWorker } from '../support/service-process.ts';

const OUTAGE_SECONDS = Number(process.env.OUTAGE_SECONDS ?? 90);
/**
 * Everything answered within this of Telegram being back: the retry cadence, not a backoff that outlasts the outage.
 * A sanity bound, not the figure (timings are measured, not asserted: the figure is printed, and is 10 s or under on
 * an idle machine, but a loaded CI machine adds seconds).
 */
const ANSWERED_WITHIN_MS = 25_000;
/** How long the test waits after the outage before it counts (longer than the bound, to report the figure). */
const WAIT_AFTER_OUTAGE_MS = 40_000;
/** The worker's first getFile calls answer this late: the photos are in the worker's hands when Telegram goes. */
const GET_FILE_HOLD_MS = 3000;
/** The default WORKER_CONCURRENCY: getFile calls the worker makes at once. */
const WORKER_CONCURRENCY = 8;
/** The shortest PHOTO_MAX_AGE_SECONDS the configuration takes. */
const PHOTO_MAX_AGE_SECONDS = 60;
const SETTLE_MS = 3000;

const processes: ServiceProcess[] = [];
const scenarios: Scenario[] = [];
const connections: Redis[] = [];
const queues: PhotoQueue[] = [];
const clocks: AnswerClock[] = [];
after(async () => {
  for (const clock of clocks) clock.stop();
  await Promise.all(processes.map((p) => p.stop('SIGKILL')));
  await Promise.all(queues.map((q) => q.close()));
  for (const redis of connections) redis.disconnect();
  for (const s of scenarios) await s.close();
});

/** Every Bot API call and download dropped from now until `end()`. */
function telegramAway(standIn: BotApiStandIn): { end(): void } {
  // Faults left (the held getFile calls') would come before the outage's: cleared first.
  standIn.clearFaults();
  standIn.injectFault({ method: '*', times: 1e9, fault: { kind: 'drop' } });
  standIn.injectFault({ method: 'file', times: 1e9, fault: { kind: 'drop' } });
  return { end: () => standIn.clearFaults() };
}

interface OutageRun {
  sent: SentPhoto[];
  audit: AnswerAudit;
  answeredBeforeOutage: number;
  /** From the end of the outage to each photo's first final reply (ms; undefined: none). */
  delays: Array<number | undefined>;
  droppedCalls: number;
  waited: string;
  workerLog: string;
}

/**
 * Bot and worker up, `photos` photos from `people` people queued and in the worker's hands, Telegram away for
 * `outageSeconds`, back; waits for a final reply (per `isFinal`) to each.
 */
async function photosThroughAnOutage(options: {
  photos: number;
  people: number;
  outageSeconds: number;
  env?: Record<string, string>;
  isFinal: (text: string) => boolean;
}): Promise<OutageRun> {
  const s = await startScenario();
  scenarios.push(s);
  const reader = new Redis(s.env.REDIS_URL ?? '', { maxRetriesPerRequest: null });
  connections.push(reader);
  // Only read here (which photos reached the queue).
  const queue = createPhotoQueue({
    connection: reader,
    prefix: s.prefix,
    attempts: 1,
    retention: { count: 1, seconds: 1 },
  });
  queues.push(queue);
  // Default JOB_ATTEMPTS and WORKER_CONCURRENCY.
  const env = { ...s.env, MODEL: 'xception-random', RATE_LIMIT_PHOTOS: '1000', ...options.env };
  const { bot, worker } = await startBotAndWorker(env);
  processes.push(bot, worker);
  const clock = new AnswerClock(s.standIn, options.isFinal);
  clocks.push(clock);

  const heldGetFiles = Math.min(options.photos, WORKER_CONCURRENCY);
  s.standIn.injectFault({ method: 'getFile', times: heldGetFiles, fault: { kind: 'delay', ms: GET_FILE_HOLD_MS } });
  const sent = await s.sendPhotos(await dogPhotos(options.photos), options.people);
  clock.track(sent);
  await poll(
    async () =>
      (await Promise.all(sent.map((p) => queue.getJob(photoJobId(p.chatId, p.messageId))))).every(
        (job) => job !== undefined,
      ),
    { timeoutMs: 60_000, label: 'every photo queued' },
  );
  await poll(() => s.standIn.calls.filter((c) => c.method === 'getFile').length >= heldGetFiles, {
    timeoutMs: 30_000,
    label: 'the worker at work on the photos',
  });
  const answeredBeforeOutage = auditAnswers(s.standIn, sent, options.isFinal).answered;
  const outage = telegramAway(s.standIn);
  await sleep(options.outageSeconds * 1000);
  outage.end();
  const backAt = Date.now();

  const waited = await waitForAllAnswers(s.standIn, sent, WAIT_AFTER_OUTAGE_MS, options.isFinal).then(
    () => 'all answered',
    (error: unknown) => (error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error)),
  );
  await sleep(SETTLE_MS);
  clock.stop();
  return {
    sent,
    audit: auditAnswers(s.standIn, sent, options.isFinal),
    answeredBeforeOutage,
    delays: clock.delaysSince(backAt, sent),
    droppedCalls: s.standIn.calls.filter((c) => c.injected === 'drop').length,
    waited,
    workerLog: worker.stdout(),
  };
}

const seconds = (ms: number | undefined) => (ms === undefined ? null : Math.round(ms / 100) / 10);

test(`Telegram away ${OUTAGE_SECONDS} s with 30 photos in flight: every photo answered once, soon after its return`, async (t) => {
  const run = await photosThroughAnOutage({ photos: 30, people: 10, outageSeconds: OUTAGE_SECONDS, isFinal: ANSWER });
  const answered = run.delays.filter((d): d is number => d !== undefined);
  const lastAnswerMs = answered.length ? Math.max(...answered) : undefined;
  t.diagnostic(
    JSON.stringify({
      scenario: `Telegram unreachable ${OUTAGE_SECONDS} s (every call and download dropped)`,
      photos: run.sent.length,
      answeredBeforeOutage: run.answeredBeforeOutage,
      answered: run.audit.answered,
      lost: run.audit.lost,
      duplicated: run.audit.duplicated,
      lastAnswerSecondsAfterOutage: seconds(lastAnswerMs),
      droppedCalls: run.droppedCalls,
      jobsFailedLines: (run.workerLog.match(/"msg":"photo job failed/g) ?? []).length,
      waited: run.waited,
    }),
  );
  assert.deepEqual(
    {
      lost: run.audit.lost,
      duplicated: run.audit.duplicated,
      answeredSoonAfter: lastAnswerMs !== undefined && lastAnswerMs <= ANSWERED_WITHIN_MS,
    },
    { lost: 0, duplicated: 0, answeredSoonAfter: true },
    `${run.waited}; the last answer ${seconds(lastAnswerMs) ?? '—'} s after the outage\n${run.audit.problems.slice(0, 10).join('\n')}`,
  );
});

test(`Telegram away longer than PHOTO_MAX_AGE_SECONDS (${PHOTO_MAX_AGE_SECONDS} s): each photo gets a short apology when it is back, never silence`, async (t) => {
  const outageSeconds = PHOTO_MAX_AGE_SECONDS + 10;
  const isApology = (text: string) => /^😔 Sorry, I could not reach Telegram/.test(text);
  const run = await photosThroughAnOutage({
    photos: 5,
    people: 5,
    outageSeconds,
    env: { PHOTO_MAX_AGE_SECONDS: String(PHOTO_MAX_AGE_SECONDS) },
    isFinal: isApology,
  });
  const apologised = run.delays.filter((d): d is number => d !== undefined);
  const lastMs = apologised.length ? Math.max(...apologised) : undefined;
  t.diagnostic(
    JSON.stringify({
      scenario: `Telegram unreachable ${outageSeconds} s, PHOTO_MAX_AGE_SECONDS ${PHOTO_MAX_AGE_SECONDS}`,
      photos: run.sent.length,
      apologised: run.audit.answered,
      silent: run.audit.lost,
      repliedMoreThanOnce: run.audit.duplicated,
      lastApologySecondsAfterOutage: seconds(lastMs),
      waited: run.waited,
    }),
  );
  assert.deepEqual(
    {
      silent: run.audit.lost,
      repliedMoreThanOnce: run.audit.duplicated,
      apologisedWithin10s: lastMs !== undefined && lastMs <= ANSWERED_WITHIN_MS,
    },
    { silent: 0, repliedMoreThanOnce: 0, apologisedWithin10s: true },
    `${run.waited}\n${run.audit.problems.slice(0, 10).join('\n')}`,
  );
});
