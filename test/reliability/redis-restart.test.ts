/**
 * Redis restarted (a private redis-server with AOF, on its own port) while photos are queued and in flight: the bot
 * and the worker reconnect by themselves, and no photo is lost or answered twice.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { loadModelFileManifest, verifyModelFile } from '../../src/vision/index.ts';
import { auditAnswers, waitForAllAnswers } from '../support/chat-audit.ts';
import { MODELS_DIR } from '../support/paths.ts';
import { waitFor } from '../support/poll.ts';
import { TestRedisServer } from '../support/redis-server.ts';
import { ANSWER, dogPhotos, type Scenario, startScenario } from '../support/reliability-setup.ts';
import { MB, type ServiceProcess, startBotAndWorker } from '../support/service-process.ts';

// The worker's model missing fails both tests here, in one line, before any process starts.
before(async () => verifyModelFile(await loadModelFileManifest('xception-random', MODELS_DIR)));

for (const how of ['shutdown', 'kill'] as const) {
  test(`Redis ${how === 'kill' ? 'killed (SIGKILL)' : 'shut down'} and restarted under load: nothing lost, nothing twice`, async (t) => {
    // Each test cleans up its own, also when it fails (a leftover server or stand-in kept the file from ending).
    const processes: ServiceProcess[] = [];
    let redis: TestRedisServer | undefined;
    let scenario: Scenario | undefined;
    t.after(async () => {
      await Promise.all(processes.map((p) => p.stop('SIGKILL')));
      await scenario?.standIn.close();
      await redis?.close(); // its data goes with it
    });
    redis = await TestRedisServer.start();
    const s = await startScenario(redis.url);
    scenario = s;
    const env = {
      ...s.env,
      MODEL: 'xception-random',
      WORKER_CONCURRENCY: '4',
      JOB_LOCK_MS: '3000',
      STALLED_INTERVAL_MS: '1000',
    };
    const { bot, worker } = await startBotAndWorker(env);
    processes.push(bot, worker);

    const photos = await dogPhotos(20);
    const before = await s.sendPhotos(photos.slice(0, 16), 16);
    await waitFor(s.standIn, () => auditAnswers(s.standIn, before, ANSWER).answered >= 2, { timeoutMs: 60_000 });
    await redis.restart(1500, how);
    const during = await s.sendPhotos(photos.slice(16), 4, 200_000); // sent while the bot is reconnecting
    const sent = [...before, ...during];
    await waitForAllAnswers(s.standIn, sent, 120_000);
    const audit = auditAnswers(s.standIn, sent, ANSWER);
    assert.deepEqual(
      { lost: audit.lost, duplicated: audit.duplicated },
      { lost: 0, duplicated: 0 },
      audit.problems.join('\n'),
    );

    // And it keeps serving afterwards.
    const afterwards = await s.sendPhotos(photos.slice(0, 2), 2, 300_000);
    await waitForAllAnswers(s.standIn, afterwards, 60_000);
    for (const p of [bot, worker]) {
      assert.match(p.stdout(), /"Redis connection lost: reconnecting"/, `${p.role} says Redis went away`);
      assert.match(p.stdout(), /"Redis connection back"/, `${p.role} says it is back`);
    }
    t.diagnostic(
      JSON.stringify({
        scenario: `Redis ${how} + restart`,
        photos: sent.length + afterwards.length,
        answered: audit.answered + afterwards.length,
        lost: audit.lost,
        duplicated: audit.duplicated,
        peakRssMB: {
          bot: Math.round((await bot.peakRssBytes()) / MB),
          worker: Math.round((await worker.peakRssBytes()) / MB),
        },
      }),
    );
  });
}
