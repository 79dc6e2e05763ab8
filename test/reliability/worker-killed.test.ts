/**
 * A worker killed with SIGKILL in the middle of a batch: its jobs stall, another worker takes them over, and every
 * photo is still answered exactly once (a job that runs twice edits the status message to the same text, which
 * Telegram answers "not modified" and the worker takes as done).
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { auditAnswers, waitForAllAnswers } from '../support/chat-audit.ts';
import { waitFor } from '../support/poll.ts';
import { ANSWER, dogPhotos, type Scenario, startScenario } from '../support/reliability-setup.ts';
import { MB, type ServiceProcess, spawnService, startBotAndWorker } from '../support/service-process.ts';

const processes: ServiceProcess[] = [];
let scenario: Scenario | undefined;
after(async () => {
  await Promise.all(processes.map((p) => p.stop('SIGKILL')));
  await scenario?.close();
});

test('SIGKILL of a busy worker: every photo answered once, by the worker that takes over', async (t) => {
  const s = await startScenario();
  scenario = s;
  const env = {
    ...s.env,
    // The Xception-shaped model: slow enough (≈60 ms a photo on 2 cores) to be killed in the middle of a batch.
    MODEL: 'xception-random',
    WORKER_CONCURRENCY: '8',
    JOB_LOCK_MS: '2000',
    STALLED_INTERVAL_MS: '1000',
  };
  const { bot, worker: first } = await startBotAndWorker(env);
  processes.push(bot, first);

  const sent = await s.sendPhotos(await dogPhotos(24), 24);
  // Kill it once it has answered some photos and holds others.
  await waitFor(s.standIn, () => auditAnswers(s.standIn, sent, ANSWER).answered >= 3, {
    timeoutMs: 60_000,
  });
  first.child.kill('SIGKILL');
  await first.exited;
  const answeredBeforeKill = auditAnswers(s.standIn, sent, ANSWER).answered;
  assert.ok(answeredBeforeKill < sent.length, 'the worker died with photos left to answer');

  const second = spawnService('worker', env);
  processes.push(second);
  const audit = await waitForAllAnswers(s.standIn, sent, 90_000);
  const finalAudit = auditAnswers(s.standIn, sent, ANSWER);
  assert.deepEqual(
    { lost: finalAudit.lost, duplicated: finalAudit.duplicated },
    { lost: 0, duplicated: 0 },
    finalAudit.problems.join('\n'),
  );
  assert.equal(audit.answered, sent.length);
  const takenOver = (second.stdout().match(/job stalled/g) ?? []).length;
  assert.ok(takenOver >= 1, 'the second worker recovered the stalled jobs');
  t.diagnostic(
    JSON.stringify({
      scenario: 'worker SIGKILL mid-batch',
      photos: sent.length,
      answeredBeforeKill,
      stalledJobsTakenOver: takenOver,
      answered: finalAudit.answered,
      lost: finalAudit.lost,
      duplicated: finalAudit.duplicated,
      peakRssMB: {
        bot: Math.round((await bot.peakRssBytes()) / MB),
        worker: Math.round((await second.peakRssBytes()) / MB),
      },
    }),
  );
});
