/**
 * A managed Redis failing over under load: a primary and its replica (private redis-servers), and one address in
 * front of them (a TCP forwarder, as a managed endpoint's DNS name). Mid-run the replica is promoted, the address
 * moved to it for new connections, and the old primary demoted to a replica of it — so the connections still open
 * to it get READONLY for their writes. The bot and the worker must move to the new primary by themselves: every
 * photo answered, once, and they keep serving afterwards.
 *
 * The writes are paused on the old primary while it happens (`CLIENT PAUSE WRITE`, as a planned managed failover
 * and Redis' own FAILOVER do), so no acknowledged write is lost in the replication lag: what is tested is the
 * clients' move, not the data loss of an unplanned one.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { auditAnswers, waitForAllAnswers } from '../support/chat-audit.ts';
import { nonJsonLines, outputMark, redisLogLines, writtenSince } from '../support/log-lines.ts';
import { poll, waitFor } from '../support/poll.ts';
import { TestRedisServer } from '../support/redis-server.ts';
import { ANSWER, dogPhotos, type Scenario, startScenario } from '../support/reliability-setup.ts';
import { type ServiceProcess, startBotAndWorker } from '../support/service-process.ts';
import { TcpForwarder } from '../support/tcp-forwarder.ts';

const processes: ServiceProcess[] = [];
const servers: TestRedisServer[] = [];
let forwarder: TcpForwarder | undefined;
let scenario: Scenario | undefined;
after(async () => {
  await Promise.all(processes.map((p) => p.stop('SIGKILL')));
  await scenario?.standIn.close();
  await forwarder?.close();
  await Promise.all(servers.map((s) => s.close()));
});

/** A field of `INFO replication` (`role`, `master_repl_offset`, `master_link_status`…). */
async function replicationField(server: TestRedisServer, field: string): Promise<string | undefined> {
  const info = String(await server.command('INFO', 'replication'));
  return new RegExp(`^${field}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

/** Promotes `replica` and demotes `primary` behind `endpoint`, with no acknowledged write lost on the way. */
async function failOver(primary: TestRedisServer, replica: TestRedisServer, endpoint: TcpForwarder): Promise<void> {
  await primary.command('CLIENT', 'PAUSE', '10000', 'WRITE');
  const offset = await replicationField(primary, 'master_repl_offset');
  await poll(async () => (await replicationField(replica, 'master_repl_offset')) === offset, {
    timeoutMs: 5000,
    label: 'the replica caught up',
  });
  await replica.command('REPLICAOF', 'NO', 'ONE');
  endpoint.switchTo(replica.port);
  await primary.command('REPLICAOF', '127.0.0.1', String(replica.port));
  // The writes held meanwhile now meet a replica: READONLY, on the connections opened before the switch.
  await primary.command('CLIENT', 'UNPAUSE');
}

test('managed Redis fails over under load (replica promoted, old primary demoted): nothing lost, nothing twice', async (t) => {
  const primary = await TestRedisServer.start();
  servers.push(primary);
  const replica = await TestRedisServer.start(['--replicaof', '127.0.0.1', String(primary.port)]);
  servers.push(replica);
  await poll(async () => (await replicationField(replica, 'master_link_status')) === 'up', {
    timeoutMs: 10_000,
    label: 'the replica in sync',
  });
  forwarder = await TcpForwarder.start(primary.port);
  const s = await startScenario(forwarder.url);
  scenario = s;
  const env = { ...s.env, MODEL: 'xception-random', WORKER_CONCURRENCY: '4', JOB_LOCK_MS: '3000' };
  const { bot, worker } = await startBotAndWorker({ ...env, STALLED_INTERVAL_MS: '1000' });
  processes.push(bot, worker);
  const marks = new Map([bot, worker].map((p) => [p, outputMark(p)]));

  const photos = await dogPhotos(20);
  const figures: Record<string, unknown> = { scenario: 'managed Redis failover' };
  try {
    const before = await s.sendPhotos(photos.slice(0, 16), 16);
    await waitFor(s.standIn, () => auditAnswers(s.standIn, before, ANSWER).answered >= 2, { timeoutMs: 60_000 });
    await failOver(primary, replica, forwarder);
    const during = await s.sendPhotos(photos.slice(16), 4, 200_000);
    const sent = [...before, ...during];
    await waitForAllAnswers(s.standIn, sent, 60_000);
    const audit = auditAnswers(s.standIn, sent, ANSWER);
    Object.assign(figures, { photos: sent.length, lost: audit.lost, duplicated: audit.duplicated });
    assert.deepEqual(
      { lost: audit.lost, duplicated: audit.duplicated },
      { lost: 0, duplicated: 0 },
      audit.problems.join('\n'),
    );

    // And it keeps serving afterwards, on the new primary.
    const afterwards = await s.sendPhotos(photos.slice(0, 2), 2, 300_000);
    await waitForAllAnswers(s.standIn, afterwards, 30_000);
    assert.equal(await replicationField(replica, 'role'), 'master');
    assert.equal(await replicationField(primary, 'role'), 'slave');
    for (const p of [bot, worker]) {
      const written = writtenSince(p, marks.get(p) ?? { out: 0, err: 0 });
      assert.deepEqual(nonJsonLines(written), [], `${p.role} writes only JSON lines`);
      // Before reconnectOnError: the worker wrote "worker error: READONLY…" some 5 000 times a second.
      assert.ok(!/"(batch )?worker error"/.test(written), `${p.role}: no worker error at the failover`);
    }
  } finally {
    figures.connectionsTo = {
      oldPrimary: forwarder.connections.get(primary.port),
      newPrimary: forwarder.connections.get(replica.port),
    };
    for (const p of [bot, worker]) {
      const written = writtenSince(p, marks.get(p) ?? { out: 0, err: 0 });
      figures[p.role] = {
        rawLines: nonJsonLines(written).length,
        aboutRedis: countBy(redisLogLines(written).map((line) => logMessage(line))),
      };
    }
    t.diagnostic(JSON.stringify(figures));
  }
});

/** A JSON line's message (with its error's, if any), or the raw line itself. */
function logMessage(line: string): string {
  try {
    const { msg, err } = JSON.parse(line) as { msg?: string; err?: { message?: string } };
    return err?.message ? `${msg}: ${err.message}` : (msg ?? line);
  } catch {
    return line;
  }
}

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}
