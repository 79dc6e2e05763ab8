/**
 * The webhook server on its own, over real HTTP, with a real grammY bot whose handlers the test controls: what each
 * outcome of a request is answered with (200, 401, 404, 400, 503 for "come back later", 500 outside the bot's error
 * boundary), a slow update answered 200 after the answer time while its handling goes on, and a graceful stop that
 * refuses new requests but lets the one in flight finish.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Bot } from 'grammy';
import type { Update } from 'grammy/types';
import { startWebhookServer, type WebhookServer } from '../../src/bot/index.ts';
import { RetryDeliveryLater } from '../../src/bot/update-claim.ts';
import { configSchema } from '../../src/config/index.ts';
import { Metrics } from '../../src/ops/index.ts';
import { BotApiStandIn, privateChat, user } from '../../src/playground/bot-api/stand-in.ts';
import { capturingLogger, TEST_TOKEN, webhookSecret } from '../support/app-harness.ts';
import { poll } from '../support/poll.ts';

const SECRET = webhookSecret();
const PATH = '/hook';

/** A gate a handler waits at until the test opens it. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

let nextUpdateId = 1;
const alice = user(5);
const textUpdate = (text: string): Update => ({
  update_id: nextUpdateId++,
  message: { message_id: nextUpdateId, date: 0, chat: privateChat(alice), from: alice, text },
});

describe('the webhook server', () => {
  const events: string[] = [];
  let slow = gate();
  const metrics = new Metrics();
  const { logger, logLines } = capturingLogger(configSchema.parse({ BOT_TOKEN: TEST_TOKEN, WEBHOOK_SECRET: SECRET }));
  let bot: Bot;
  let standIn: BotApiStandIn;
  let server: WebhookServer;
  let url: string;

  /** POSTs to the webhook; `secret: null` sends no secret header. */
  const post = (body: string, secret: string | null = SECRET, path = PATH, to = server) =>
    fetch(`http://127.0.0.1:${to.port}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(secret ? { 'x-telegram-bot-api-secret-token': secret } : {}) },
      body,
    });
  const metric = async (outcome: string) => {
    const text = await metrics.registry.metrics();
    return Number(
      new RegExp(`dog_breeds_webhook_requests_total\\{outcome="${outcome}"\\} (\\d+)`).exec(text)?.[1] ?? 0,
    );
  };

  const serve = (answerWithinMs: number) =>
    startWebhookServer({
      bot,
      host: '127.0.0.1',
      port: 0,
      path: PATH,
      secret: SECRET,
      logger,
      metrics,
      answerWithinMs,
    });

  before(async () => {
    standIn = await BotApiStandIn.start({ token: TEST_TOKEN });
    bot = new Bot(TEST_TOKEN, { client: { apiRoot: standIn.apiRoot } });
    await bot.init();
    bot.on('message:text', async (ctx) => {
      const text = ctx.msg.text;
      events.push(`started ${text}`);
      if (text === 'slow') await slow.wait;
      if (text === 'busy') throw new RetryDeliveryLater('being handled elsewhere');
      if (text === 'boom') throw new Error('a bug outside the error boundary');
      events.push(`handled ${text}`);
    });
    server = await serve(300);
    url = `http://127.0.0.1:${server.port}${PATH}`;
  });
  after(async () => {
    slow.open();
    await server.close();
    await standIn.close();
  });

  it('answers each kind of request with its status', async () => {
    assert.equal((await post(JSON.stringify(textUpdate('hi')))).status, 200);
    assert.ok(events.includes('handled hi'));
    assert.equal((await post(JSON.stringify(textUpdate('busy')))).status, 503);
    assert.equal((await post(JSON.stringify(textUpdate('boom')))).status, 500);
    assert.ok(logLines.some((l) => l.includes('"level":"error"') && l.includes('a bug outside the error boundary')));
    assert.equal((await post('{not json')).status, 400);
    assert.equal((await post(JSON.stringify(textUpdate('no secret')), null)).status, 401);
    assert.equal((await post(JSON.stringify(textUpdate('wrong secret')), 'nope')).status, 401);
    assert.ok(!events.some((e) => e.includes('secret')), 'refused requests never reach the bot');
    assert.equal((await post(JSON.stringify(textUpdate('elsewhere')), SECRET, '/other')).status, 404);
    assert.equal((await fetch(url)).status, 404, 'GET');
    assert.deepEqual(
      await Promise.all(['answered', 'retry-later', 'failed', 'bad-request', 'unauthorized'].map(metric)),
      [1, 1, 1, 1, 2],
    );
    assert.ok(!logLines.some((l) => l.includes(SECRET)));
  });

  it('a slow update is answered 200 after the answer time, and its handling goes on', async () => {
    slow = gate();
    const response = await post(JSON.stringify(textUpdate('slow')));
    assert.equal(response.status, 200);
    assert.ok(events.includes('started slow') && !events.includes('handled slow'), 'answered before it finished');
    assert.equal(await metric('timeout'), 1);
    assert.ok(logLines.some((l) => l.includes('"level":"warn"') && l.includes('still being handled')));
    slow.open();
    await poll(() => events.includes('handled slow'), { label: 'the slow update handled' });
  });

  it('a body over the limit (5 MB, with the right secret) is refused 413 unread; the next update is served', async () => {
    events.length = 0;
    const update = JSON.stringify(textUpdate('huge'));
    // Valid JSON, padded: only its size is wrong.
    const huge = `${update.slice(0, -1)},"padding":"${'x'.repeat(5 * 1024 * 1024)}"}`;
    assert.equal((await post(huge)).status, 413);
    assert.equal(await metric('too-large'), 1);
    assert.ok(!events.includes('started huge'), 'never reaches the bot');
    assert.equal(
      logLines.filter((l) => l.includes('"level":"warn"') && l.includes('413')).length,
      1,
      'one warning line',
    );
    // Sent without a length (chunked), it is cut off as it passes the limit too.
    const chunked = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 5; i++) controller.enqueue(new TextEncoder().encode('x'.repeat(1024 * 1024)));
        controller.close();
      },
    });
    const streamed = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET },
      body: chunked,
      duplex: 'half',
    } as RequestInit);
    assert.equal(streamed.status, 413);
    assert.equal((await post(JSON.stringify(textUpdate('after')))).status, 200);
    assert.ok(events.includes('handled after'));
  });

  it('stop refuses new requests, lets the one in flight finish, then closes', async () => {
    events.length = 0;
    slow = gate();
    // Its own server, whose answer time is long: the request stays in flight until the gate opens.
    const stopping = await serve(60_000);
    const inFlight = post(JSON.stringify(textUpdate('slow')), SECRET, PATH, stopping);
    await poll(() => events.includes('started slow'));
    let closed = false;
    const closing = stopping.close().then(() => {
      closed = true;
    });
    await assert.rejects(post(JSON.stringify(textUpdate('late')), SECRET, PATH, stopping), 'a new request is refused');
    assert.equal(closed, false, 'still waiting for the request in flight');
    slow.open();
    assert.equal((await inFlight).status, 200);
    await closing;
    assert.ok(events.includes('handled slow'));
    assert.ok(!events.includes('started late'));
  });
});
