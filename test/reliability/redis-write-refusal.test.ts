/**
 * Redis refusing writes for a while — `maxmemory` reached under `noeviction` (a full disk's MISCONF and a failed-over
 * primary's READONLY look the same to the service): reads work, every write is refused. A transient fault: the bot
 * keeps polling (its update inbox cannot be written meanwhile), the worker sends no answer it cannot record, and once
 * writes are accepted again everything is answered, once.
 *
 * A private redis-server (the shared one must never be disturbed), bot and worker processes, the Bot API stand-in
 * over HTTP. Photos are queued and in flight (their downloads held by the stand-in) when `CONFIG SET maxmemory 1`
 * makes the server refuse writes; more photos and a /help come during the refusal; after `maxmemory 0`, one more
 * photo measures how soon polling is back. Asserted: every photo answered, none twice, /help answered, that last
 * photo queued within 5 s of writes being accepted, no fatal log line, and the bot's /healthz 200 throughout (its
 * loop recovers: it is alive).
 *
 * Before this was made to hold (issue 22): the polling loop died with `"level":"fatal" … "polling Telegram stopped
 * with an error"`, nothing sent after it was ever answered (while /healthz stayed 200), and the worker answered the
 * photos in flight several times (the answer sent, its record refused, the job retried).
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { privateChat, user } from '../../src/playground/bot-api/stand-in.ts';
import { createPhotoQueue, type PhotoQueue, photoJobId } from '../../src/queue/index.ts';
import { AnswerClock, maxSeconds } from '../support/answer-clock.ts';
import { auditAnswers, type SentPhoto, waitForAllAnswers } from '../support/chat-audit.ts';
import { type HealthWatch, opsUrlOf, watchHealth } from '../support/ops-probe.ts';
import { poll } from '../support/poll.ts';
import { TestRedisServer } from '../support/redis-server.ts';
import { ANSWER, dogPhotos, type Scenario, startScenario } from '../support/reliability-setup.ts';
import { type ServiceProcess, startBotAndWorker } from '../support/service-process.ts';

const PEOPLE = 5;
const PHOTOS_BEFORE = 10;
/** Sent at the start of the refusal, and again halfway through it. */
const PHOTOS_DURING = 3;
/** How long the downloads of the photos in flight are held: they are still being worked on when writes stop. */
const DOWNLOAD_HOLD_MS = 2000;
/** Polling must be back this soon after Redis accepts writes again. */
const RESUME_WITHIN_MS = 5000;
/** How long the photo sent after writes are accepted again is watched for in the queue (to report the figure). */
const PROBE_WAIT_MS = 15_000;
/** Everything answered within this after writes are accepted again (or the test gives up and reports). */
const ANSWERED_WITHIN_MS = 60_000;
/** A second answer would come within a job's time: give it that long before counting. */
const SETTLE_MS = 3000;

const processes: ServiceProcess[] = [];
const redisServers: TestRedisServer[] = [];
const scenarios: Scenario[] = [];
const connections: Redis[] = [];
const queues: PhotoQueue[] = [];
const watches: HealthWatch[] = [];
const clocks: AnswerClock[] = [];
after(async () => {
  for (const clock of clocks) clock.stop();
  await Promise.all(watches.map((w) => w.stop()));
  await Promise.all(processes.map((p) => p.stop('SIGKILL')));
  await Promise.all(queues.map((q) => q.close()));
  for (const redis of connections) redis.disconnect();
  for (const s of scenarios) await s.standIn.close();
  for (const r of redisServers) await r.close(); // the test's data goes with it
});

const fatalLines = (p: ServiceProcess) =>
  p
    .stdout()
    .split('\n')
    .filter((l) => l.includes('"level":"fatal"'));

for (const refusalSeconds of [3, 30]) {
  test(`Redis refusing writes for ${refusalSeconds} s: polling keeps going, every photo answered once, /help too`, async (t) => {
    const redis = await TestRedisServer.start();
    redisServers.push(redis);
    const s = await startScenario(redis.url);
    scenarios.push(s);
    const reader = new Redis(redis.url, { maxRetriesPerRequest: null });
    connections.push(reader);
    // Only read here (which photos reached the queue).
    const queue = createPhotoQueue({
      connection: reader,
      prefix: s.prefix,
      attempts: 1,
      retention: { count: 1, seconds: 1 },
    });
    queues.push(queue);
    const isQueued = async (p: SentPhoto) => (await queue.getJob(photoJobId(p.chatId, p.messageId))) !== undefined;

    const env = { ...s.env, MODEL: 'xception-random', RATE_LIMIT_PHOTOS: '1000' };
    const { bot, worker } = await startBotAndWorker(env);
    processes.push(bot, worker);
    const botOps = await opsUrlOf(bot);
    const health = watchHealth(botOps, 250);
    watches.push(health);
    const clock = new AnswerClock(s.standIn, ANSWER);
    clocks.push(clock);

    const photos = await dogPhotos(PHOTOS_BEFORE + 2 * PHOTOS_DURING + 1);
    // The photos in flight: queued, their downloads held by "Telegram" while writes stop.
    s.standIn.injectFault({ method: 'file', times: PHOTOS_BEFORE, fault: { kind: 'delay', ms: DOWNLOAD_HOLD_MS } });
    const before = await s.sendPhotos(photos.slice(0, PHOTOS_BEFORE), PEOPLE, 100_000);
    clock.track(before);
    await poll(async () => (await Promise.all(before.map(isQueued))).every(Boolean), {
      timeoutMs: 60_000,
      label: 'the first photos queued',
    });
    await poll(() => s.standIn.calls.some((c) => c.method === 'getFile'), {
      timeoutMs: 30_000,
      label: 'the worker at work',
    });
    const answeredAtRefusal = auditAnswers(s.standIn, before, ANSWER).answered;

    await redis.command('CONFIG', 'SET', 'maxmemory', '1');
    const refusedAt = Date.now();
    await sleep(500);
    const during = await s.sendPhotos(
      photos.slice(PHOTOS_BEFORE, PHOTOS_BEFORE + PHOTOS_DURING),
      PHOTOS_DURING,
      200_000,
    );
    const helpFrom = user(300_000);
    clock.track(during);
    const help = s.standIn.sendText({ chat: privateChat(helpFrom), from: helpFrom, text: '/help' });
    await sleep(Math.max(0, refusedAt + (refusalSeconds * 1000) / 2 - Date.now()));
    const halfway = await s.sendPhotos(
      photos.slice(PHOTOS_BEFORE + PHOTOS_DURING, PHOTOS_BEFORE + 2 * PHOTOS_DURING),
      PHOTOS_DURING,
      210_000,
    );
    clock.track(halfway);
    // Not ready meanwhile, saying why (alive all the same: the loop waits).
    const readyDuring = (await (await fetch(`${botOps}/readyz`)).json()) as { checks: Record<string, unknown> };
    await sleep(Math.max(0, refusedAt + refusalSeconds * 1000 - Date.now()));
    await redis.command('CONFIG', 'SET', 'maxmemory', '0');
    const acceptedAt = Date.now();

    // Polling back: a photo sent now reaches the queue within seconds.
    const probe = await s.sendPhotos(photos.slice(-1), 1, 400_000);
    clock.track(probe);
    const probeQueuedMs = await poll(async () => (await isQueued(probe[0] as SentPhoto)) && Date.now() - acceptedAt, {
      timeoutMs: PROBE_WAIT_MS,
      label: 'the photo sent after writes were accepted again queued',
    }).catch(() => undefined);

    const sent = [...before, ...during, ...halfway, ...probe];
    const waited = await waitForAllAnswers(
      s.standIn,
      sent,
      Math.max(1000, acceptedAt + ANSWERED_WITHIN_MS - Date.now()),
      ANSWER,
    ).then(
      () => 'all answered',
      (error: unknown) => (error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error)),
    );
    await sleep(SETTLE_MS);
    await health.stop();
    const audit = auditAnswers(s.standIn, sent, ANSWER);
    const helpAnswered = s.standIn.botMessagesIn(help.chat.id).length > 0;
    const fatal = [...fatalLines(bot), ...fatalLines(worker)];
    const repliesTo = (p: SentPhoto) =>
      s.standIn.botMessagesIn(p.chatId).filter((m) => m.reply_to_message?.message_id === p.messageId).length;
    const answersSent = sent.reduce((sum, p) => sum + repliesTo(p), 0);
    const probeAnsweredAt = clock.at(probe[0] as SentPhoto);
    t.diagnostic(
      JSON.stringify({
        scenario: `Redis refusing writes ${refusalSeconds} s (maxmemory 1, noeviction)`,
        photos: sent.length,
        inFlightAtRefusal: PHOTOS_BEFORE - answeredAtRefusal,
        sentDuringRefusal: during.length + halfway.length,
        answered: audit.answered,
        lost: audit.lost,
        duplicated: audit.duplicated,
        answersSent,
        helpAnswered,
        pollingBackSeconds: probeQueuedMs === undefined ? null : probeQueuedMs / 1000,
        probeAnsweredSeconds: probeAnsweredAt === undefined ? null : (probeAnsweredAt - acceptedAt) / 1000,
        // null while a photo is unanswered
        lastAnswerSecondsAfterWritesBack: maxSeconds(clock.delaysSince(acceptedAt, sent)) ?? null,
        healthzProbes: health.probes(),
        healthzFailures: health.failures().length,
        readyzRedisDuringRefusal: readyDuring.checks.redis,
        fatalLines: fatal.length,
        errorLines: {
          bot: (bot.stdout().match(/"level":"error"/g) ?? []).length,
          worker: (worker.stdout().match(/"level":"error"/g) ?? []).length,
        },
        waited,
      }),
    );
    assert.deepEqual(
      {
        fatalLines: fatal.map((l) => l.slice(0, 300)),
        lost: audit.lost,
        duplicated: audit.duplicated,
        helpAnswered,
        pollingBackWithin5s: probeQueuedMs !== undefined && probeQueuedMs <= RESUME_WITHIN_MS,
        healthzFailures: health.failures(),
        readyzSaysWhy: /^refusing writes: OOM/.test(String(readyDuring.checks.redis)),
      },
      {
        fatalLines: [],
        lost: 0,
        duplicated: 0,
        helpAnswered: true,
        pollingBackWithin5s: true,
        healthzFailures: [],
        readyzSaysWhy: true,
      },
      `${waited}\n${audit.problems.slice(0, 12).join('\n')}`,
    );

    clock.stop();
    await Promise.all([bot.stop('SIGKILL'), worker.stop('SIGKILL')]);
    await queue.close();
    reader.disconnect();
    await s.standIn.close();
    await redis.close();
  });
}
