/**
 * A 5 s Redis outage is told in two lines per process — one when Redis goes, one when it is back — not once per
 * reconnect try of each connection, and never as raw (non-JSON) stack traces; the photo sent afterwards is answered,
 * and the stop that follows says nothing about Redis.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { auditAnswers, waitForAllAnswers } from '../support/chat-audit.ts';
import { nonJsonLines, outputMark, redisLogLines, writtenSince } from '../support/log-lines.ts';
import { TestRedisServer } from '../support/redis-server.ts';
import { ANSWER, dogPhotos, type Scenario, startScenario } from '../support/reliability-setup.ts';
import { type ServiceProcess, startBotAndWorker } from '../support/service-process.ts';

const processes: ServiceProcess[] = [];
let redis: TestRedisServer | undefined;
let scenario: Scenario | undefined;
after(async () => {
  await Promise.all(processes.map((p) => p.stop('SIGKILL')));
  await scenario?.standIn.close();
  await redis?.close();
});

test('Redis killed for 5 s: two log lines per process about it, all JSON, and the photo after it answered', async (t) => {
  redis = await TestRedisServer.start();
  scenario = await startScenario(redis.url);
  const s = scenario;
  const { bot, worker } = await startBotAndWorker({ ...s.env, MODEL: 'xception-random' });
  processes.push(bot, worker);
  const [photo] = await dogPhotos(1);
  assert.ok(photo);
  await waitForAllAnswers(s.standIn, await s.sendPhotos([photo], 1), 30_000); // both processes past their start-up

  // Only what the outage made them write counts: the start-up's lines are before these marks.
  const marks = new Map([bot, worker].map((p) => [p, outputMark(p)]));
  await redis.restart(5000, 'kill');
  const sent = await s.sendPhotos([photo], 1, 200_000);
  await waitForAllAnswers(s.standIn, sent, 30_000);
  for (const p of [bot, worker]) await p.waitForLog(/"Redis connection back"/, 10_000);

  const figures: Record<string, { redisLines: string[]; rawLines: string[] }> = {};
  for (const p of [bot, worker]) {
    const written = writtenSince(p, marks.get(p) ?? { out: 0, err: 0 });
    figures[p.role] = { redisLines: redisLogLines(written), rawLines: nonJsonLines(written) };
  }
  const counts = Object.entries(figures).map(([role, f]) => ({
    role,
    redisLines: f.redisLines.length,
    rawLines: f.rawLines.length,
  }));
  t.diagnostic(JSON.stringify({ scenario: 'Redis killed 5 s', counts }));
  for (const [role, f] of Object.entries(figures)) {
    assert.deepEqual(f.rawLines.slice(0, 8), [], `${role} writes only JSON lines (${f.rawLines.length} are not)`);
    assert.deepEqual(
      f.redisLines.map((line) => (JSON.parse(line) as { msg?: string }).msg),
      ['Redis connection lost: reconnecting', 'Redis connection back'],
      `${role}: one line when Redis goes, one when it is back`,
    );
  }
  const audit = auditAnswers(s.standIn, sent, ANSWER);
  assert.deepEqual({ lost: audit.lost, duplicated: audit.duplicated }, { lost: 0, duplicated: 0 });

  // A stop closes the connection for good: not an outage.
  const stopping = new Map([bot, worker].map((p) => [p, outputMark(p)]));
  assert.deepEqual(await Promise.all([bot.stop('SIGTERM'), worker.stop('SIGTERM')]), [0, 0]);
  for (const p of [bot, worker]) {
    assert.deepEqual(
      redisLogLines(writtenSince(p, stopping.get(p) ?? { out: 0, err: 0 })),
      [],
      `${p.role} at its stop`,
    );
  }
});
