/** Operations: health, readiness, Prometheus metrics, Bull Board behind basic auth, /stats for admins only. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { privateChat, user } from '../../src/playground/bot-api/stand-in.ts';
import { type Harness, startHarness } from '../support/app-harness.ts';
import { image } from '../support/paths.ts';
import { poll, waitFor, waitForReplyTo } from '../support/poll.ts';

const ADMIN = 4242;
const BOARD = { user: 'admin', password: 'correct-horse-battery' };
let h: Harness;
let ops: string;

before(async () => {
  h = await startHarness({ ADMIN_IDS: `${ADMIN}, 77`, BOARD_USER: BOARD.user, BOARD_PASSWORD: BOARD.password });
  assert.ok(h.app.ops, 'the ops endpoint is on');
  ops = h.app.ops.url;
  // One answered photo, so the counters and the history have something in them.
  const from = user(5001);
  const chat = privateChat(from);
  const sent = await h.standIn.sendPhoto({ chat, from, file: await readFile(image('dogs/boxer-5e7846c317a2.jpg')) });
  await waitForReplyTo(h.standIn, chat.id, sent.message_id, (t) => t.startsWith('🐶'), { timeoutMs: 20_000 });
  // The reply goes out before the worker counts the job and BullMQ marks it completed: wait for both.
  await poll(
    async () => {
      const text = await metricsText();
      return (
        /^dog_breeds_jobs_total\{queue="photos",outcome="answered"\} [1-9]/m.test(text) &&
        /^dog_breeds_queue_jobs\{queue="photos",state="completed"\} [1-9]/m.test(text)
      );
    },
    { label: 'the answered, completed job in /metrics' },
  );
});
const metricsText = async () => (await fetch(`${ops}/metrics`)).text();
after(async () => {
  await h.close();
});

test('/healthz and /readyz', async () => {
  const health = await fetch(`${ops}/healthz`);
  assert.equal(health.status, 200);
  const ready = await fetch(`${ops}/readyz`);
  assert.equal(ready.status, 200);
  assert.deepEqual(await ready.json(), {
    status: 'ready',
    checks: { redis: true, model: true, bot: true, telegram: true },
  });
});

test('/metrics: process metrics, jobs, latencies, batch sizes, queue depth, device', async () => {
  const response = await fetch(`${ops}/metrics`);
  assert.equal(response.status, 200);
  const text = await response.text();
  for (const pattern of [
    /^nodejs_eventloop_lag_p99_seconds \d/m,
    /^process_resident_memory_bytes \d/m,
    /^dog_breeds_jobs_total\{queue="photos",outcome="answered"\} [1-9]/m,
    /^dog_breeds_inference_seconds_count\{model="mobilenetv2-imagenet"\} [1-9]/m,
    /^dog_breeds_preprocess_seconds_count\{model="mobilenetv2-imagenet"\} [1-9]/m,
    /^dog_breeds_batch_size_count\{model="mobilenetv2-imagenet"\} [1-9]/m,
    /^dog_breeds_queue_jobs\{queue="photos",state="waiting"\} 0/m,
    /^dog_breeds_queue_jobs\{queue="photos",state="completed"\} [1-9]/m,
    /^dog_breeds_model_device_info\{model="mobilenetv2-imagenet",device="cpu"\} 1/m,
    /^dog_breeds_photos_received_total\{action="queued"\} [1-9]/m,
  ]) {
    assert.match(text, pattern);
  }
});

test('Bull Board needs the configured credentials', async () => {
  assert.equal((await fetch(`${ops}/board/`)).status, 401);
  const wrong = Buffer.from(`${BOARD.user}:wrong-password-here`).toString('base64');
  assert.equal((await fetch(`${ops}/board/`, { headers: { authorization: `Basic ${wrong}` } })).status, 401);
  const right = Buffer.from(`${BOARD.user}:${BOARD.password}`).toString('base64');
  const page = await fetch(`${ops}/board/`, { headers: { authorization: `Basic ${right}` } });
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<html/i);
});

test('/stats answers admins with queue, answers, latency and workers; others get no hint it exists', async () => {
  const adminUser = user(ADMIN);
  const adminChat = privateChat(adminUser);
  h.standIn.sendText({ chat: adminChat, from: adminUser, text: '/stats' });
  const stats = await waitFor(h.standIn, () =>
    h.standIn.botMessagesIn(adminChat.id).find((m) => /Queue/.test(m.text ?? '')),
  );
  assert.match(stats.text ?? '', /waiting 0/);
  assert.match(stats.text ?? '', /last hour: [1-9]\d* · \d+\.\d\d s/);
  assert.match(stats.text ?? '', /mobilenetv2-imagenet on cpu/);

  const someone = user(5002);
  const chat = privateChat(someone);
  h.standIn.sendText({ chat, from: someone, text: '/stats' });
  const reply = await waitFor(h.standIn, () => h.standIn.botMessagesIn(chat.id)[0]);
  assert.doesNotMatch(reply.text ?? '', /stat|queue|admin/i);
  assert.match(reply.text ?? '', /Send me a photo of a dog/);
});

test('the history keeps what was answered — file id, model, top-3, latency — and no photo', async () => {
  const records = await h.app.history.since(0);
  assert.ok(records.length >= 1);
  const record = records.find((r) => r.userId === 5001);
  assert.ok(record);
  assert.equal(record.model, 'mobilenetv2-imagenet');
  assert.equal(record.top[0]?.breed, 'boxer');
  assert.equal(record.top.length, 3);
  assert.ok(record.ms > 0);
  assert.ok(JSON.stringify(record).length < 600);
});
