/**
 * A polling bot SIGKILLed with updates in hand loses none of them. The stand-in holds every "typing…" (the bot sends
 * it right after queueing the photo) so that the bot is in the middle of all of them; the bot is killed once its next
 * getUpdates has confirmed them to Telegram — from then on Telegram would not send them again. The next bot process
 * takes them over from Redis: each finds its photo queued, and every photo is answered, once. And a bot killed before
 * its next getUpdates confirmed what it had: Telegram sends that batch again, and the next bot, which takes it over
 * from Redis too, skips Telegram's copy. A bot stopped with SIGTERM finishes what it has first. Real processes, the real Redis (own
 * prefix), the Bot API stand-in over HTTP.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Redis } from 'ioredis';
import { createPhotoQueue, type PhotoQueue, photoJobId } from '../../src/queue/index.ts';
import { auditAnswers, waitForAllAnswers } from '../support/chat-audit.ts';
import { poll } from '../support/poll.ts';
import { dogPhotos, type Scenario, startScenario } from '../support/reliability-setup.ts';
import { type ServiceProcess, spawnService, startBotAndWorker } from '../support/service-process.ts';

const PHOTOS = 20;
/** Longer than the test needs: "typing…" is held until the bot is dead (the bot itself gives up after 5 s). */
const HOLD_TYPING_MS = 30_000;

const processes: ServiceProcess[] = [];
const scenarios: Scenario[] = [];
const connections: Redis[] = [];
const queues: PhotoQueue[] = [];
after(async () => {
  await Promise.all(processes.map((p) => p.stop('SIGKILL')));
  await Promise.all(queues.map((q) => q.close()));
  for (const redis of connections) redis.disconnect();
  for (const s of scenarios) await s.close();
});

/** A stand-in, a prefix, a bot and a worker process, and the queue (to read which photos reached it). */
async function startKillScenario() {
  const s = await startScenario();
  scenarios.push(s);
  const redis = new Redis(s.env.REDIS_URL ?? '', { maxRetriesPerRequest: null });
  connections.push(redis);
  const queue = createPhotoQueue({
    connection: redis,
    prefix: s.prefix,
    attempts: 1,
    retention: { count: 1, seconds: 1 },
  });
  queues.push(queue);
  const env = { ...s.env, RATE_LIMIT_PHOTOS: '1000' };
  const { bot, worker } = await startBotAndWorker(env);
  processes.push(bot, worker);
  return { s, queue, env, bot };
}

/** Kills the bot and starts the next one; resolves once that one polls. */
async function killAndRestart(bot: ServiceProcess, env: Record<string, string>): Promise<ServiceProcess> {
  bot.child.kill('SIGKILL');
  await bot.exited;
  const next = spawnService('bot', env);
  processes.push(next);
  await next.waitForLog(/"bot polling"/, 60_000);
  return next;
}

/** The log line of a bot process taking over what the last one left, if it wrote one. */
const replayLineOf = (bot: ServiceProcess) =>
  bot
    .stdout()
    .split('\n')
    .find((l) => l.includes('handling again the updates'));
/** A second answer would come within a job's time: give it that long before counting. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 3000));

test(`a bot SIGKILLed with ${PHOTOS} photos in hand: the next bot answers every one, once`, async (t) => {
  const { s, queue, env, bot } = await startKillScenario();
  s.standIn.injectFault({ method: 'sendChatAction', times: PHOTOS, fault: { kind: 'delay', ms: HOLD_TYPING_MS } });
  const sent = await s.sendPhotos(await dogPhotos(PHOTOS), PHOTOS);
  const lastUpdateId = Math.max(...s.standIn.updates.map((u) => u.update_id));
  const typingCalls = () => s.standIn.calls.filter((c) => c.method === 'sendChatAction').length;
  await poll(
    () =>
      typingCalls() >= PHOTOS &&
      s.standIn.calls.some((c) => c.method === 'getUpdates' && Number(c.params.offset) > lastUpdateId),
    { timeoutMs: 30_000, label: 'every photo in hand (its "typing…" held) and confirmed to Telegram' },
  );
  const next = await killAndRestart(bot, env);
  const queuedBeforeTheKill = (
    await Promise.all(sent.map((p) => queue.getJob(photoJobId(p.chatId, p.messageId))))
  ).filter((job) => job !== undefined).length;
  assert.equal(queuedBeforeTheKill, PHOTOS, 'each photo was queued before anything else was sent for it');
  await waitForAllAnswers(s.standIn, sent, 90_000);
  await settle();
  const audit = auditAnswers(s.standIn, sent);
  const replayLine = replayLineOf(next);
  t.diagnostic(JSON.stringify({ queuedBeforeTheKill, ...audit, replayLine }));
  assert.deepEqual(audit.problems, [], 'every photo answered exactly once');
  assert.match(replayLine ?? '', new RegExp(`"count":${PHOTOS}\\b`), 'all of them were taken over');
});

test("a bot killed before its next getUpdates confirmed its batch: Telegram's copy is skipped, each photo handled once", async (t) => {
  const { s, env, bot } = await startKillScenario();
  // The bot's long poll already waiting gets the first photo(s); every getUpdates after it is dropped, so what the
  // bot has is never confirmed, and "typing…" is held so that it is still in hand when the bot is killed.
  s.standIn.injectFault({ method: 'getUpdates', times: 5, fault: { kind: 'drop' } });
  s.standIn.injectFault({ method: 'sendChatAction', times: PHOTOS, fault: { kind: 'delay', ms: HOLD_TYPING_MS } });
  const sent = await s.sendPhotos(await dogPhotos(PHOTOS), PHOTOS, 200_000);
  await poll(
    () =>
      s.standIn.calls.some((c) => c.method === 'sendChatAction') &&
      s.standIn.calls.some((c) => c.method === 'getUpdates' && c.injected === 'drop'),
    { timeoutMs: 30_000, label: 'a photo in hand and the next getUpdates dropped' },
  );
  const next = await killAndRestart(bot, env);
  await waitForAllAnswers(s.standIn, sent, 90_000);
  await settle();
  const audit = auditAnswers(s.standIn, sent);
  const replayLine = replayLineOf(next);
  // Each update taken over finds its photo queued (the killed bot queued it before its "typing…"); Telegram's copy of
  // the same update, were it not skipped, would find it a second time.
  const foundQueued = next
    .stdout()
    .split('\n')
    .filter((l) => l.includes('photo already queued'));
  const replayed = Number(/"count":(\d+)/.exec(replayLine ?? '')?.[1] ?? 0);
  t.diagnostic(JSON.stringify({ ...audit, replayLine, foundQueued: foundQueued.length }));
  assert.ok(replayed > 0, 'the next bot took over what the killed one had in hand');
  assert.equal(foundQueued.length, replayed, "Telegram's copy of the batch taken over was skipped");
  assert.deepEqual(audit.problems, [], 'every photo answered exactly once');
});

test('a bot told to stop (SIGTERM) with photos in hand finishes them first: the next bot has nothing to take over', async () => {
  const { s, queue, env, bot } = await startKillScenario();
  // "typing…" held for a while (shorter than the bot's own patience with it): the photos are in hand at the SIGTERM.
  s.standIn.injectFault({ method: 'sendChatAction', times: PHOTOS, fault: { kind: 'delay', ms: 2000 } });
  const sent = await s.sendPhotos(await dogPhotos(PHOTOS), PHOTOS, 300_000);
  await poll(() => s.standIn.calls.filter((c) => c.method === 'sendChatAction').length >= PHOTOS, {
    timeoutMs: 30_000,
    label: 'every photo in hand',
  });
  assert.equal(await bot.stop('SIGTERM'), 0, 'the bot stopped cleanly');
  const jobs = await Promise.all(sent.map((p) => queue.getJob(photoJobId(p.chatId, p.messageId))));
  assert.equal(jobs.filter((job) => job !== undefined).length, PHOTOS, 'each photo in hand was queued before the exit');
  const next = spawnService('bot', env);
  processes.push(next);
  await next.waitForLog(/"bot polling"/, 60_000);
  assert.equal(replayLineOf(next), undefined, 'nothing left to take over');
  await waitForAllAnswers(s.standIn, sent, 90_000);
  await settle();
  assert.deepEqual(auditAnswers(s.standIn, sent).problems, [], 'every photo answered exactly once');
});
