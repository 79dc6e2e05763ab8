/**
 * The stand-in's webhook side, over real HTTP: setWebhook makes getUpdates answer 409 and the updates arrive by POST
 * (with the secret header, up to max_connections at once, a chat's in order), failed deliveries are re-sent until
 * accepted, getWebhookInfo tells the truth, and deleteWebhook gives the updates back to getUpdates.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Api, GrammyError } from 'grammy';
import type { Update } from 'grammy/types';
import { BotApiStandIn, privateChat, user } from '../../src/playground/bot-api/stand-in.ts';
import { poll } from '../support/poll.ts';

const TOKEN = '123456:TEST-token';
const SECRET = 'the-secret_123';

interface Received {
  update: Update;
  secret: string | undefined;
}

/** A webhook receiver: records each POST and answers with what `answer` says (a status, or 'drop'). */
async function startReceiver(answer: (update: Update, n: number) => number | 'drop' | Promise<number>): Promise<{
  url: string;
  received: Received[];
  maxConcurrent: () => number;
  close: () => Promise<void>;
}> {
  const received: Received[] = [];
  let concurrent = 0;
  let maxConcurrent = 0;
  const server: Server = createServer((req: IncomingMessage, res) => {
    concurrent++;
    maxConcurrent = Math.max(maxConcurrent, concurrent);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const update = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Update;
      const header = req.headers['x-telegram-bot-api-secret-token'];
      received.push({ update, secret: Array.isArray(header) ? header[0] : header });
      const outcome = await answer(update, received.length);
      concurrent--;
      if (outcome === 'drop') return void req.socket.destroy();
      res.writeHead(outcome).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    maxConcurrent: () => maxConcurrent,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe('BotApiStandIn webhooks', () => {
  let standIn: BotApiStandIn;
  let api: Api;
  const alice = user(42, { firstName: 'Alice' });
  const chat = privateChat(alice);
  const closers: Array<() => Promise<void>> = [];

  beforeEach(async () => {
    standIn = await BotApiStandIn.start({ token: TOKEN });
    api = new Api(TOKEN, { apiRoot: standIn.apiRoot });
  });
  afterEach(async () => {
    await standIn.close();
    for (const close of closers.splice(0)) await close();
  });

  it('answers getUpdates with 409 while a webhook is set; deleteWebhook gives the pending updates back', async () => {
    const closed = await startReceiver(() => 'drop');
    closers.push(closed.close);
    await api.setWebhook(closed.url, { secret_token: SECRET });
    await assert.rejects(api.getUpdates(), (error: unknown) => {
      assert.ok(error instanceof GrammyError);
      assert.equal(error.error_code, 409);
      assert.match(error.description, /can't use getUpdates method while webhook is active/);
      return true;
    });
    const sent = standIn.sendText({ chat, from: alice, text: 'hello' });
    await poll(() => standIn.webhookInfo().last_error_message, { label: 'a failed delivery' });
    const info = await api.getWebhookInfo();
    assert.equal(info.url, closed.url);
    assert.equal(info.pending_update_count, 1);
    assert.equal(info.max_connections, 40);
    assert.ok((info.last_error_date ?? 0) > 0);

    assert.equal(await api.deleteWebhook(), true);
    assert.equal((await api.getWebhookInfo()).url, '');
    const updates = await poll(async () => {
      const got = await api.getUpdates({ timeout: 0 });
      return got.length > 0 ? got : undefined;
    });
    assert.deepEqual(
      updates.map((u) => u.message?.message_id),
      [sent.message_id],
    );
  });

  it('POSTs each update with the secret, re-sends failed deliveries until accepted, then forgets it', async () => {
    // The first delivery is dropped, the second gets 500, the third 503; the fourth is accepted.
    const receiver = await startReceiver((_update, n) => (n === 1 ? 'drop' : n === 2 ? 500 : n === 3 ? 503 : 200));
    closers.push(receiver.close);
    await api.setWebhook(receiver.url, { secret_token: SECRET, allowed_updates: ['message'] });
    const sent = standIn.sendText({ chat, from: alice, text: 'hello' });
    await poll(() => standIn.webhookDeliveries.some((d) => d.status === 200), { label: 'an accepted delivery' });

    assert.deepEqual(
      standIn.webhookDeliveries.map((d) => [d.updateId, d.status]),
      [
        [1, 0],
        [1, 500],
        [1, 503],
        [1, 200],
      ],
    );
    assert.ok(receiver.received.every((r) => r.secret === SECRET && r.update.message?.message_id === sent.message_id));
    const info = await api.getWebhookInfo();
    assert.equal(info.pending_update_count, 0);
    assert.deepEqual(info.allowed_updates, ['message']);
    assert.match(info.last_error_message ?? '', /Wrong response from the webhook: 503/);
  });

  it('delivers up to max_connections at once, one at a time per chat, in order', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const receiver = await startReceiver(async () => {
      await held;
      return 200;
    });
    closers.push(receiver.close);
    await api.setWebhook(receiver.url, { max_connections: 3 });
    const people = [1, 2, 3, 4, 5].map((id) => user(100 + id));
    for (const from of people) {
      standIn.sendText({ chat: privateChat(from), from, text: 'one' });
      standIn.sendText({ chat: privateChat(from), from, text: 'two' });
    }
    await poll(() => receiver.received.length === 3, { label: 'three deliveries in flight' });
    const chats = receiver.received.map((r) => r.update.message?.chat.id);
    assert.equal(new Set(chats).size, 3, 'three different chats, not two updates of one chat at once');
    release();
    await poll(() => standIn.webhookInfo().pending_update_count === 0, { label: 'every update accepted' });
    assert.equal(receiver.maxConcurrent(), 3);
    for (const from of people) {
      const texts = receiver.received
        .filter((r) => r.update.message?.chat.id === from.id)
        .map((r) => r.update.message?.text);
      assert.deepEqual(texts, ['one', 'two'], `chat ${from.id} in order`);
    }
  });

  it('redeliver sends an update again, several copies at once, each until accepted', async () => {
    const receiver = await startReceiver((_update, n) => (n === 3 ? 503 : 200));
    closers.push(receiver.close);
    await api.setWebhook(receiver.url, { secret_token: SECRET });
    standIn.sendText({ chat, from: alice, text: 'hello' });
    await poll(() => standIn.webhookInfo().pending_update_count === 0, { label: 'the first delivery' });
    const [update] = standIn.updates;
    assert.ok(update);
    await standIn.redeliver(update.update_id, 2);
    // First delivery, then two copies at once (one of them told 503 and sent again).
    assert.deepEqual(standIn.webhookDeliveries.map((d) => d.status).sort(), [200, 200, 200, 503]);
    assert.ok(receiver.received.every((r) => r.update.update_id === update.update_id));
    assert.throws(() => standIn.redeliver(999), /no update 999/);
  });

  it('setWebhook ends a pending long poll with 409 and refuses a bad secret token', async () => {
    const pending = assert.rejects(
      api.getUpdates({ timeout: 30 }),
      (error: unknown) => error instanceof GrammyError && error.error_code === 409,
    );
    await poll(() => standIn.calls.some((c) => c.method === 'getUpdates'));
    const receiver = await startReceiver(() => 200);
    closers.push(receiver.close);
    await api.setWebhook(receiver.url);
    await pending;
    await assert.rejects(
      api.setWebhook(receiver.url, { secret_token: 'not allowed!' }),
      (error: unknown) => error instanceof GrammyError && error.error_code === 400,
    );
  });
});
