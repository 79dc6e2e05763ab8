/**
 * A burst of 1,000 photo updates from 200 people through the stand-in, bot and worker as separate processes: all
 * answered, each person's rate limit counted, memory bounded, and Redis back to its retention bound afterwards.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Redis } from 'ioredis';
import { REDIS_URL } from '../support/app-harness.ts';
import { auditAnswers, waitForAllAnswers } from '../support/chat-audit.ts';
import { ANSWER, dogPhotos, type Scenario, startScenario } from '../support/reliability-setup.ts';
import { MB, type ServiceProcess, startBotAndWorker } from '../support/service-process.ts';

const PHOTOS = 1000;
const PEOPLE = 200;
const RETENTION = 100;
const HISTORY = 300;

const processes: ServiceProcess[] = [];
let scenario: Scenario | undefined;
after(async () => {
  await Promise.all(processes.map((p) => p.stop('SIGKILL')));
  await scenario?.close();
});

/** Keys under the prefix: how many, and how many of them will not expire by themselves. */
async function keyCounts(
  prefix: string,
): Promise<{ all: number; lasting: number; rateLimitedPeople: number; rateLimitCount: number }> {
  const redis = new Redis(REDIS_URL);
  try {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...found);
    } while (cursor !== '0');
    const ttls = await Promise.all(keys.map((k) => redis.pttl(k)));
    // Rate-limit keys are <prefix>:ratelimit:<user>, a sorted set of the photos let through in the sliding window.
    const rateKeys = keys.filter((k) => k.includes(':ratelimit:'));
    const counts = await Promise.all(rateKeys.map((k) => redis.zcard(k)));
    return {
      all: keys.length,
      lasting: ttls.filter((ttl) => ttl < 0).length,
      rateLimitedPeople: new Set(rateKeys.map((k) => k.split(':ratelimit:')[1])).size,
      rateLimitCount: counts.reduce((sum, c) => sum + c, 0),
    };
  } finally {
    redis.disconnect();
  }
}

test(`${PHOTOS} photos from ${PEOPLE} people at once`, async (t) => {
  const s = await startScenario();
  scenario = s;
  const env = {
    ...s.env,
    WORKER_CONCURRENCY: '16',
    MAX_BATCH: '16',
    JOB_RETENTION_COUNT: String(RETENTION),
    HISTORY_MAX_RECORDS: String(HISTORY),
    // 5 photos each, under the limit; a window longer than the run, so the counts are still there when checked
    // however slow a shared machine is (with the default 60 s, a 2-minute run found expired keys).
    RATE_LIMIT_PHOTOS: '10',
    RATE_LIMIT_WINDOW_SECONDS: '3600',
  };
  const { bot, worker } = await startBotAndWorker(env);
  processes.push(bot, worker);

  const photos = await dogPhotos(151);
  const started = Date.now();
  const sent = await s.sendPhotos(
    Array.from({ length: PHOTOS }, (_, i) => photos[i % photos.length] as Buffer),
    PEOPLE,
  );
  await waitForAllAnswers(s.standIn, sent, 300_000);
  const seconds = (Date.now() - started) / 1000;
  const audit = auditAnswers(s.standIn, sent, ANSWER);
  assert.deepEqual(
    { lost: audit.lost, duplicated: audit.duplicated },
    { lost: 0, duplicated: 0 },
    audit.problems.slice(0, 5).join('\n'),
  );
  const peak = { bot: (await bot.peakRssBytes()) / MB, worker: (await worker.peakRssBytes()) / MB };
  // Bounded: nothing like a copy of every photo is kept (1,000 photos here are ~80 MB of JPEG).
  assert.ok(peak.bot < 400, `bot peak RSS ${peak.bot} MB`);
  assert.ok(peak.worker < 1200, `worker peak RSS ${peak.worker} MB`);

  // Every person's photos were counted by the shared limiter (5 each, under the limit of 10), each once.
  const keys = await keyCounts(s.prefix);
  assert.equal(keys.rateLimitedPeople, PEOPLE);
  assert.equal(keys.rateLimitCount, PHOTOS);
  // What does not expire by itself is bounded by the retention settings, not by the 1,000 photos.
  const settled = await (async () => {
    for (let i = 0; i < 40; i++) {
      const k = await keyCounts(s.prefix);
      if (k.lasting <= RETENTION + 20) return k;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return keyCounts(s.prefix);
  })();
  assert.ok(settled.lasting <= RETENTION + 20, `${settled.lasting} lasting keys after ${PHOTOS} photos`);
  t.diagnostic(
    JSON.stringify({
      scenario: 'load: burst of photo updates',
      photos: PHOTOS,
      people: PEOPLE,
      seconds: Math.round(seconds),
      photosPerSecond: Math.round(PHOTOS / seconds),
      answered: audit.answered,
      lost: audit.lost,
      duplicated: audit.duplicated,
      peakRssMB: { bot: Math.round(peak.bot), worker: Math.round(peak.worker) },
      redisKeys: settled,
    }),
  );
});
