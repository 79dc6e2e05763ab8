/**
 * The Bot API misbehaving in bursts — 429 with retry_after, 500/502, slow answers, dropped connections, on every
 * method and on file downloads: answers are delayed, not lost, not duplicated, and the bot does not hot-loop.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { auditAnswers, waitForAllAnswers } from '../support/chat-audit.ts';
import { ANSWER, dogPhotos, type Scenario, startScenario } from '../support/reliability-setup.ts';
import { MB, type ServiceProcess, startBotAndWorker } from '../support/service-process.ts';

const processes: ServiceProcess[] = [];
let scenario: Scenario | undefined;
after(async () => {
  await Promise.all(processes.map((p) => p.stop('SIGKILL')));
  await scenario?.close();
});

test('bursts of 429, 5xx, slow answers and dropped connections: every photo answered once', async (t) => {
  const s = await startScenario();
  scenario = s;
  const { bot, worker } = await startBotAndWorker(s.env, { WORKER_CONCURRENCY: '4' });
  processes.push(bot, worker);

  // Faults are consumed in order by whichever calls come next (getUpdates included).
  const burst = [
    { kind: 'status', status: 500 },
    { kind: 'drop' },
    { kind: 'status', status: 429, retryAfter: 1 },
    { kind: 'status', status: 502 },
    { kind: 'delay', ms: 1500 },
  ] as const;
  for (const fault of burst) s.standIn.injectFault({ method: '*', times: 3, fault });
  s.standIn.injectFault({ method: 'file', times: 2, fault: { kind: 'status', status: 500 } });
  s.standIn.injectFault({ method: 'file', times: 2, fault: { kind: 'drop' } });
  const started = Date.now();

  const sent = await s.sendPhotos(await dogPhotos(12), 12);
  await waitForAllAnswers(s.standIn, sent, 120_000).catch((error: Error) => {
    throw new Error(
      `${error.message}\nbot: ${bot.stdout().slice(-3000)}\ncalls: ${JSON.stringify(s.standIn.calls.slice(0, 30).map((c) => [c.method, c.injected, c.error]))}`,
    );
  });
  const seconds = (Date.now() - started) / 1000;
  const audit = auditAnswers(s.standIn, sent, ANSWER);
  assert.deepEqual(
    { lost: audit.lost, duplicated: audit.duplicated },
    { lost: 0, duplicated: 0 },
    audit.problems.join('\n'),
  );

  const injected = s.standIn.calls.filter((c) => c.injected !== undefined).length;
  assert.ok(injected >= 15, `the faults were hit (${injected})`);
  // No hot loop: failed getUpdates calls are retried with a pause, never back to back.
  const polls = s.standIn.calls.filter((c) => c.method === 'getUpdates').map((c) => c.at);
  const failedPolls = s.standIn.calls.filter((c) => c.method === 'getUpdates' && c.injected !== undefined);
  const busiestSecond = Math.max(
    ...polls.map((at) => polls.filter((other) => other >= at && other < at + 1000).length),
  );
  assert.ok(busiestSecond <= 6, `at most a handful of getUpdates in any second (saw ${busiestSecond})`);
  t.diagnostic(
    JSON.stringify({
      scenario: 'Bot API faults in bursts',
      photos: sent.length,
      faultsInjected: injected,
      failedPolls: failedPolls.length,
      busiestSecondOfPolling: busiestSecond,
      seconds: Math.round(seconds),
      answered: audit.answered,
      lost: audit.lost,
      duplicated: audit.duplicated,
      peakRssMB: {
        bot: Math.round((await bot.peakRssBytes()) / MB),
        worker: Math.round((await worker.peakRssBytes()) / MB),
      },
    }),
  );
});
