/**
 * Webhook mode with several bot replicas, end to end: two bot-only apps in webhook mode, each on its own port, behind
 * a round-robin proxy that the stand-in's webhook URL points to, and a worker app; the real Redis, models and HTTP.
 * Every photo is answered exactly once whichever replica got it; forged requests are refused without a job or a log
 * flood; an update delivered again — after its answer, or while it is still being handled, to both replicas at once
 * — makes one job and one answer.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Update } from 'grammy/types';
import { type RunningApp, startApp } from '../../src/app/index.ts';
import { readLabelsCsv } from '../../src/cli/labelled-files.ts';
import { type Config, configSchema } from '../../src/config/index.ts';
import { OperatorError } from '../../src/operator-error.ts';
import { privateChat, user } from '../../src/playground/bot-api/stand-in.ts';
import { freePort } from '../../src/playground/private-redis.ts';
import { photoJobId } from '../../src/queue/index.ts';
import { capturingLogger, logLinesSaying, webhookSecret } from '../support/app-harness.ts';
import { auditAnswers, type SentPhoto, waitForAllAnswers } from '../support/chat-audit.ts';
import { IMAGES_DIR, LABELS_CSV, MODELS_DIR, readImage } from '../support/paths.ts';
import { poll, waitFor, waitForReplyTo } from '../support/poll.ts';
import { type Scenario, startScenario } from '../support/reliability-setup.ts';
import { type RoundRobinProxy, startRoundRobinProxy } from '../support/round-robin-proxy.ts';

const PHOTOS = 200;
const PEOPLE = 36;
const WEBHOOK_PATH = '/telegram';

interface Process {
  app: RunningApp;
  config: Config;
  logLines: string[];
}

let s: Scenario;
let proxy: RoundRobinProxy;
let secret: string;
let worker: Process;
let replicas: Process[];
/** The webhook settings every replica shares (each adds its WEBHOOK_PORT). */
let webhook: Record<string, string>;
const processes: Process[] = [];

async function startProcess(roles: ('bot' | 'worker')[], env: Record<string, string>): Promise<Process> {
  const config = configSchema.parse({
    ...s.env,
    MODELS_DIR,
    DEVICE: 'cpu',
    OPS_PORT: '0',
    RATE_LIMIT_PHOTOS: '50',
    WORKER_CONCURRENCY: '8',
    ...env,
  });
  const { logger, logLines } = capturingLogger(config);
  const started = { app: await startApp(config, roles, logger), config, logLines };
  processes.push(started);
  return started;
}

const queuedLines = (chatId: number, messageId: number) =>
  replicas.flatMap((r) =>
    logLinesSaying(r.logLines, 'photo queued').filter((l) =>
      l.includes(`"chatId":${chatId},"messageId":${messageId},`),
    ),
  );

before(async () => {
  s = await startScenario();
  const ports = [await freePort(), await freePort()];
  proxy = await startRoundRobinProxy(ports);
  secret = webhookSecret();
  worker = await startProcess(['worker'], {});
  webhook = { BOT_MODE: 'webhook', WEBHOOK_URL: `${proxy.origin}${WEBHOOK_PATH}`, WEBHOOK_SECRET: secret };
  replicas = [];
  for (const port of ports) replicas.push(await startProcess(['bot'], { ...webhook, WEBHOOK_PORT: String(port) }));
});
after(async () => {
  for (const started of processes.splice(0).reverse()) await started.app.stop();
  await proxy?.close();
  await s?.close();
});

describe('two bot replicas behind a load balancer', () => {
  test('each replica registered the webhook and is ready; getUpdates is refused meanwhile', async () => {
    for (const replica of replicas) {
      const ready = await fetch(`${replica.app.ops?.url}/readyz`);
      assert.equal(ready.status, 200);
      const body = (await ready.json()) as { checks: Record<string, boolean> };
      assert.equal(body.checks.bot, true);
    }
    const registrations = s.standIn.calls.filter((c) => c.method === 'setWebhook');
    assert.equal(registrations.length, 2, 'each replica calls setWebhook at start');
    for (const call of registrations) {
      assert.equal(call.params.url, `${proxy.origin}${WEBHOOK_PATH}`);
      assert.equal(call.params.secret_token, secret);
      assert.deepEqual(call.params.allowed_updates, ['message', 'callback_query']);
    }
    assert.equal(s.standIn.webhookInfo().url, `${proxy.origin}${WEBHOOK_PATH}`);
    assert.ok(!s.standIn.calls.some((c) => c.method === 'getUpdates'), 'no replica polls');
  });

  test(`${PHOTOS} photos from ${PEOPLE} people: every one answered exactly once, by both replicas`, async () => {
    const rows = (await readLabelsCsv(LABELS_CSV)).slice(0, PHOTOS);
    assert.equal(rows.length, PHOTOS, `${LABELS_CSV} lists at least ${PHOTOS} photos`);
    const photos = await Promise.all(rows.map((row) => readImage(path.relative(IMAGES_DIR, row.file))));
    const sent: SentPhoto[] = await s.sendPhotos(photos, PEOPLE, 200_000);

    const audit = await waitForAllAnswers(s.standIn, sent, 240_000);
    assert.deepEqual(audit.problems, []);
    assert.equal(audit.answered, PHOTOS);
    for (const photo of sent) {
      assert.equal(queuedLines(photo.chatId, photo.messageId).length, 1, 'one job queued for the photo');
      assert.ok(await worker.app.queue.getJob(photoJobId(photo.chatId, photo.messageId)), 'its job is kept');
    }
    const queuedBy = replicas.map((r) => logLinesSaying(r.logLines, 'photo queued').length);
    assert.equal(
      queuedBy.reduce((a, b) => a + b, 0),
      PHOTOS,
    );
    assert.ok(
      queuedBy.every((n) => n > 0),
      `both replicas queued photos (${queuedBy.join(' and ')})`,
    );
    await poll(() => s.standIn.webhookInfo().pending_update_count === 0, { label: 'every delivery accepted' });
  });

  test('forged deliveries, without the secret or with a wrong one: 401, no job, one warning per replica', async () => {
    const from = user(300_001);
    const chat = privateChat(from);
    const photo = s.standIn.addFile(await readImage('dogs/beagle-4aea27da2a0b.jpg'));
    const forged: Update = {
      update_id: 900_000_001,
      message: {
        message_id: 77,
        date: Math.floor(Date.now() / 1000),
        chat,
        from,
        photo: [{ file_id: photo.file_id, file_unique_id: photo.file_unique_id, width: 500, height: 375 }],
      },
    };
    // The secret with its last character changed (to another one: it is random).
    const wrongSecret = `${secret.slice(0, -1)}${secret.endsWith('x') ? 'y' : 'x'}`;
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (i % 2 === 1) headers['x-telegram-bot-api-secret-token'] = wrongSecret;
      const response = await fetch(`${proxy.origin}${WEBHOOK_PATH}`, {
        method: 'POST',
        headers,
        body: JSON.stringify(forged),
      });
      statuses.push(response.status);
    }
    assert.deepEqual(new Set(statuses), new Set([401]));
    for (const replica of replicas) {
      const warnings = replica.logLines.filter((l) => l.includes('without the right secret token'));
      assert.equal(warnings.length, 1, 'one warning line for ten forged requests');
      assert.match(warnings[0] ?? '', /"level":"warn"/);
      const metrics = await (await fetch(`${replica.app.ops?.url}/metrics`)).text();
      assert.match(metrics, /dog_breeds_webhook_requests_total\{outcome="unauthorized"\} 10\b/);
    }
    assert.equal(await worker.app.queue.getJob(photoJobId(chat.id, 77)), undefined, 'no job');
    assert.deepEqual(s.standIn.botMessagesIn(chat.id), [], 'nothing said to the chat');
    const elsewhere = await fetch(`${proxy.origin}/other-path`, {
      method: 'POST',
      headers: { 'x-telegram-bot-api-secret-token': secret },
      body: '{}',
    });
    assert.equal(elsewhere.status, 404);
    for (const started of processes) assert.ok(!started.logLines.some((l) => l.includes(secret)), 'secret not logged');
  });

  test('an update delivered again after its answer, to both replicas: acknowledged, nothing said twice', async () => {
    const from = user(300_002);
    const chat = privateChat(from);
    const sent = await s.standIn.sendPhoto({ chat, from, file: await readImage('dogs/boxer-5e7846c317a2.jpg') });
    await waitForReplyTo(s.standIn, chat.id, sent.message_id, (t) => t.startsWith('🐶'), { timeoutMs: 30_000 });
    const update = s.standIn.updates.find(
      (u) => u.message?.message_id === sent.message_id && u.message.chat.id === chat.id,
    );
    assert.ok(update);
    await s.standIn.redeliver(update.update_id, 2);
    assert.equal(s.standIn.botMessagesIn(chat.id).length, 1);
    assert.equal(queuedLines(chat.id, sent.message_id).length, 1);
    const again = replicas.flatMap((r) => logLinesSaying(r.logLines, 'update delivered again: already handled'));
    assert.equal(again.filter((l) => l.includes(`"updateId":${update.update_id},`)).length, 2);
  });

  test('an update delivered again while it is still being handled, to both replicas at once: one answer, one job', async () => {
    const from = user(300_003);
    const chat = privateChat(from);
    // The bot's "typing…" is answered late, so the first delivery is still being handled when the copies arrive.
    s.standIn.injectFault({ method: 'sendChatAction', fault: { kind: 'delay', ms: 1500 } });
    const sent = await s.standIn.sendPhoto({ chat, from, file: await readImage('dogs/beagle-4aea27da2a0b.jpg') });
    const update = s.standIn.updates.find(
      (u) => u.message?.message_id === sent.message_id && u.message.chat.id === chat.id,
    );
    assert.ok(update);
    await waitFor(s.standIn, () =>
      s.standIn.calls.find(
        (c) => c.method === 'sendChatAction' && c.injected === 'delay' && c.params.chat_id === chat.id,
      ),
    );
    const redelivered = s.standIn.redeliver(update.update_id, 2);
    await waitForReplyTo(s.standIn, chat.id, sent.message_id, (t) => t.startsWith('🐶'), { timeoutMs: 30_000 });
    await redelivered;

    const audit = auditAnswers(s.standIn, [{ chatId: chat.id, messageId: sent.message_id }]);
    assert.deepEqual(audit.problems, []);
    const sends = s.standIn.calls.filter((c) => c.method === 'sendMessage' && c.params.chat_id === chat.id);
    assert.equal(sends.length, 1, 'one message sent: the answer');
    assert.equal(queuedLines(chat.id, sent.message_id).length, 1, 'one job');
    const refusedMeanwhile = replicas.flatMap((r) =>
      logLinesSaying(r.logLines, 'update delivered again while being handled: Telegram is asked to retry').filter((l) =>
        l.includes(`"updateId":${update.update_id},`),
      ),
    );
    assert.ok(refusedMeanwhile.length >= 2, 'both copies were told to come back later, then acknowledged');
    const deliveries = s.standIn.webhookDeliveries.filter((d) => d.updateId === update.update_id);
    assert.ok(deliveries.some((d) => d.status === 503));
    assert.equal(deliveries.filter((d) => d.status === 200).length, 3, 'the first delivery and both copies, accepted');
  });

  test('Telegram refusing setWebhook: the start fails with one line naming WEBHOOK_URL, the port let go', async () => {
    const description = 'Bad Request: bad webhook: Failed to resolve host: Name or service not known';
    s.standIn.injectFault({ method: 'setWebhook', fault: { kind: 'status', status: 400, description } });
    const port = await freePort();
    await assert.rejects(startProcess(['bot'], { ...webhook, WEBHOOK_PORT: String(port) }), (error: Error) => {
      assert.ok(error instanceof OperatorError, 'an operator error: main.ts prints its message as one line');
      assert.equal(error.message, `Telegram refused WEBHOOK_URL ${proxy.origin}${WEBHOOK_PATH}: ${description}`);
      return true;
    });
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });

  // Last: it stops one replica.
  test('a replica stopping finishes the update it handles, then takes no more; the webhook stays for the other', async () => {
    const [leaving, staying] = replicas as [Process, Process];
    const people = [user(300_005), user(300_006)];
    // Both "typing…" calls are answered late: one update is in flight at each replica (the proxy alternates).
    s.standIn.injectFault({ method: 'sendChatAction', times: 2, fault: { kind: 'delay', ms: 1500 } });
    const photo = await readImage('dogs/beagle-4aea27da2a0b.jpg');
    const inFlight = await Promise.all(
      people.map((from) => s.standIn.sendPhoto({ chat: privateChat(from), from, file: photo })),
    );
    const chatIds = people.map((p) => p.id);
    await waitFor(
      s.standIn,
      () =>
        s.standIn.calls.filter((c) => c.injected === 'delay' && chatIds.includes(Number(c.params.chat_id))).length ===
        2,
    );
    const stopped = leaving.app.stop();
    processes.splice(processes.indexOf(leaving), 1);
    await stopped;

    const later = user(300_007);
    const afterStop = await s.standIn.sendPhoto({ chat: privateChat(later), from: later, file: photo });
    const sent = [...inFlight, afterStop].map((m) => ({ chatId: m.chat.id, messageId: m.message_id }));
    const audit = await waitForAllAnswers(s.standIn, sent, 60_000);
    assert.deepEqual(audit.problems, []);
    for (const message of inFlight) {
      const update = s.standIn.updates.find(
        (u) => u.message?.message_id === message.message_id && u.message.chat.id === message.chat.id,
      );
      const deliveries = s.standIn.webhookDeliveries.filter((d) => d.updateId === update?.update_id);
      assert.deepEqual(
        deliveries.map((d) => d.status),
        [200],
        'the update in flight at the stopping replica was answered, not cut off',
      );
    }
    assert.equal(logLinesSaying(leaving.logLines, 'photo queued').length > 0, true);
    assert.ok(
      staying.logLines.some((l) => l.includes('photo queued') && l.includes(`"chatId":${later.id},`)),
      'the photo sent after the stop was queued by the other replica',
    );
    assert.ok(!s.standIn.calls.some((c) => c.method === 'deleteWebhook'), 'stop leaves the webhook to the others');
    assert.equal(s.standIn.webhookInfo().url, `${proxy.origin}${WEBHOOK_PATH}`);
  });

  test('back to polling: a polling bot deletes the webhook at start and gets the updates by getUpdates', async () => {
    for (const replica of replicas) {
      const i = processes.indexOf(replica);
      if (i >= 0) await processes.splice(i, 1)[0]?.app.stop();
    }
    await startProcess(['bot'], {});
    assert.equal(s.standIn.webhookInfo().url, '');
    const from = user(300_008);
    const sent = await s.standIn.sendPhoto({
      chat: privateChat(from),
      from,
      file: await readImage('dogs/boxer-5e7846c317a2.jpg'),
    });
    await waitForReplyTo(s.standIn, from.id, sent.message_id, (t) => t.startsWith('🐶'), { timeoutMs: 30_000 });
    assert.ok(s.standIn.calls.some((c) => c.method === 'getUpdates' && c.error === undefined));
  });
});
