/**
 * A crash loop: the bot process SIGKILLed again and again, each time soon after it started polling, and started
 * again as an orchestrator does, while bursts of photos come in and "typing…" answers slowly (Telegram having a bad
 * minute). No innocent photo is dropped: each is queued before anything else is sent for it, and a replay drops only
 * an update that was being handled at every crash — none of these is.
 *
 * 100 photos from 20 people (one each per burst, five bursts), the bot killed 5 times, each bot 1.5 s after it
 * polls; then the sixth bot left running. Real bot and worker processes, the real Redis (own prefix), the Bot API
 * stand-in over HTTP answering sendChatAction after 1.5 s. Asserted: 100 of 100 answered, none twice.
 *
 * Before this was made to hold (issue 22): the bot waited for "typing…" before it queued a photo, so the same
 * updates were in hand at each kill, and after three replays they were dropped as if they were poison (about 40 of
 * 100 lost).
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { auditAnswers, type SentPhoto, waitForAllAnswers } from '../support/chat-audit.ts';
import { ANSWER, dogPhotos, type Scenario, startScenario } from '../support/reliability-setup.ts';
import { type ServiceProcess, spawnService, startBotAndWorker } from '../support/service-process.ts';

const PEOPLE = 20;
const BURSTS = 5;
const KILLS = 5;
/** How long after it polls each bot is killed. */
const BOT_LIFE_MS = 1500;
/** How late Telegram answers sendChatAction ("typing…"). */
const TYPING_DELAY_MS = 1500;
/** A second answer would come within a job's time: give it that long before counting. */
const SETTLE_MS = 3000;

const processes: ServiceProcess[] = [];
let scenario: Scenario | undefined;
after(async () => {
  await Promise.all(processes.map((p) => p.stop('SIGKILL')));
  await scenario?.close();
});

test(`a crash loop: the bot SIGKILLed ${KILLS} times ${BOT_LIFE_MS / 1000} s after it polls, ${PEOPLE * BURSTS} photos in bursts, slow "typing…": every photo answered once`, async (t) => {
  const s = await startScenario();
  scenario = s;
  const env = { ...s.env, MODEL: 'xception-random', RATE_LIMIT_PHOTOS: '1000' };
  s.standIn.injectFault({ method: 'sendChatAction', times: 100_000, fault: { kind: 'delay', ms: TYPING_DELAY_MS } });
  const started = await startBotAndWorker(env);
  let bot = started.bot;
  processes.push(bot, started.worker);
  const bots = [bot];

  const photos = await dogPhotos(PEOPLE);
  const sent: SentPhoto[] = [];
  const killedAt: number[] = [];
  for (let burst = 0; burst < BURSTS; burst++) {
    const polledAt = Date.now();
    sent.push(...(await s.sendPhotos(photos, PEOPLE, 100_000)));
    if (killedAt.length >= KILLS) continue;
    await sleep(Math.max(0, polledAt + BOT_LIFE_MS - Date.now()));
    bot.child.kill('SIGKILL');
    await bot.exited;
    killedAt.push(Date.now());
    bot = spawnService('bot', env);
    processes.push(bot);
    bots.push(bot);
    await bot.waitForLog(/"bot polling"/, 60_000);
  }
  // The last bot is left running.
  const waited = await waitForAllAnswers(s.standIn, sent, 90_000, ANSWER).then(
    () => 'all answered',
    (error: unknown) => (error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error)),
  );
  await sleep(SETTLE_MS);
  const audit = auditAnswers(s.standIn, sent, ANSWER);
  const lines = (pattern: RegExp) => bots.flatMap((b) => b.stdout().split('\n')).filter((l) => pattern.test(l));
  const droppedUpdateIds = lines(/"msg":"updates dropped/).flatMap(
    (l) => (JSON.parse(l) as { updateIds?: number[] }).updateIds ?? [],
  );
  const replayLines = lines(/handling again the updates/);
  t.diagnostic(
    JSON.stringify({
      scenario: 'crash loop: bot SIGKILLed while "typing…" is slow',
      photos: sent.length,
      people: PEOPLE,
      botKills: killedAt.length,
      botLifeMs: BOT_LIFE_MS,
      typingDelayMs: TYPING_DELAY_MS,
      answered: audit.answered,
      lost: audit.lost,
      duplicated: audit.duplicated,
      updatesDroppedAsPoison: droppedUpdateIds.length,
      replays: replayLines.length,
      waited,
    }),
  );
  assert.equal(killedAt.length, KILLS);
  assert.deepEqual(
    { answered: audit.answered, lost: audit.lost, duplicated: audit.duplicated },
    { answered: sent.length, lost: 0, duplicated: 0 },
    `${waited}; ${droppedUpdateIds.length} updates dropped as poison\n${audit.problems.slice(0, 10).join('\n')}`,
  );
});
