import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Api, Bot, GrammyError, HttpError, InputFile } from 'grammy';
import sharp from 'sharp';
import { BotApiStandIn, groupChat, privateChat, user } from '../../src/playground/bot-api/stand-in.ts';
import { waitFor, waitForReplyTo } from '../support/poll.ts';

const TOKEN = '123456:TEST-token';
const NOT_MODIFIED =
  'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message';

/** A 1×1 PNG is enough: the stand-in reads its dimensions from the header. */
const PNG = Uint8Array.from(
  Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
    'base64',
  ),
);

/** Asserts a grammY call fails with this Telegram error. */
async function rejectsWith(call: Promise<unknown>, code: number, description: string | RegExp): Promise<void> {
  await assert.rejects(call, (error: unknown) => {
    assert.ok(error instanceof GrammyError, `expected GrammyError, got ${String(error)}`);
    assert.equal(error.error_code, code);
    if (typeof description === 'string') assert.equal(error.description, description);
    else assert.match(error.description, description);
    return true;
  });
}

describe('BotApiStandIn', () => {
  let standIn: BotApiStandIn;
  let api: Api;
  const alice = user(42, { firstName: 'Alice' });
  const chat = privateChat(alice);

  beforeEach(async () => {
    standIn = await BotApiStandIn.start({ token: TOKEN });
    api = new Api(TOKEN, { apiRoot: standIn.apiRoot });
  });
  afterEach(async () => {
    await standIn.close();
  });

  it('answers getMe, and 401 for a wrong token', async () => {
    const me = await api.getMe();
    assert.equal(me.id, 123456);
    assert.equal(me.is_bot, true);
    assert.equal(me.username, 'dog_breeds_test_bot');
    assert.equal(me.can_read_all_group_messages, false);
    const wrong = new Api('999:wrong', { apiRoot: standIn.apiRoot });
    await rejectsWith(wrong.getMe(), 401, 'Unauthorized');
  });

  it('refuses text that is not UTF-8 as Telegram does: half an emoji in JSON, bad bytes in a form', async () => {
    const NOT_UTF8 = 'Bad Request: strings must be encoded in UTF-8';
    standIn.sendText({ chat, from: alice, text: 'hi' });
    await rejectsWith(api.sendMessage(chat.id, `dog ${'🐕'.slice(0, 1)}`), 400, NOT_UTF8);
    const bytes = Buffer.concat([Buffer.from(`chat_id=${chat.id}&text=`), Buffer.from([0xff, 0xfe])]);
    const res = await fetch(`${standIn.apiRoot}/bot${TOKEN}/sendMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: bytes,
    });
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), { ok: false, error_code: 400, description: NOT_UTF8 });
    await api.sendMessage(chat.id, 'a whole 🐕');
    assert.deepEqual(
      standIn.botMessagesIn(chat.id).map((m) => m.text),
      ['a whole 🐕'],
      'only the whole text was sent',
    );
  });

  it('answers unknown methods with 404 and accepts form-encoded and query parameters', async () => {
    const unknown = await fetch(`${standIn.apiRoot}/bot${TOKEN}/sendTelepathy`, { method: 'POST' });
    assert.equal(unknown.status, 404);
    assert.deepEqual(await unknown.json(), { ok: false, error_code: 404, description: 'Not Found' });

    const asked = standIn.sendText({ chat, from: alice, text: 'hi' });
    const form = new URLSearchParams({
      chat_id: String(chat.id),
      text: 'form',
      reply_parameters: JSON.stringify({ message_id: asked.message_id }),
    });
    const res = await fetch(`${standIn.apiRoot}/bot${TOKEN}/sendmessage`, { method: 'POST', body: form });
    const body: unknown = await res.json();
    assert.equal(res.status, 200);
    assert.ok(typeof body === 'object' && body !== null && 'ok' in body && body.ok === true);
    const viaQuery = await fetch(`${standIn.apiRoot}/bot${TOKEN}/sendChatAction?chat_id=${chat.id}&action=typing`);
    assert.deepEqual(await viaQuery.json(), { ok: true, result: true });
    assert.deepEqual(
      standIn.chatActionsIn(chat.id).map((a) => a.action),
      ['typing'],
      'the chat action is recorded',
    );

    const [reply] = standIn.botMessagesIn(chat.id);
    assert.equal(reply?.text, 'form');
    assert.equal(reply?.reply_to_message?.message_id, asked.message_id);
    assert.deepEqual(
      standIn.calls.map((c) => c.method),
      ['sendTelepathy', 'sendMessage', 'sendChatAction'],
    );
  });

  it('runs a polling grammY bot end to end', async () => {
    const bot = new Bot(TOKEN, { client: { apiRoot: standIn.apiRoot } });
    bot.on('message:photo', (ctx) => ctx.reply('got it', { reply_parameters: { message_id: ctx.msg.message_id } }));
    let running: Promise<void> | undefined;
    await new Promise<void>((resolve) => {
      running = bot.start({ onStart: () => resolve() });
    });

    const photo = await standIn.sendPhoto({ chat, from: alice, file: PNG, caption: 'whose dog?' });
    const reply = await waitForReplyTo(standIn, chat.id, photo.message_id, (text) => text === 'got it');
    assert.equal(reply.from?.id, standIn.me.id);
    assert.ok(reply.message_id > photo.message_id, 'message ids are shared per chat and increase');

    // Telegram re-delivers an update whose offset was never confirmed; the bot must cope with seeing it twice.
    const delivered = standIn.updates.find((u) => u.message?.message_id === photo.message_id);
    assert.ok(delivered);
    standIn.pushUpdate(delivered);
    await waitFor(standIn, () => standIn.botMessagesIn(chat.id).length === 2);

    await bot.stop();
    await running;
    const methods = new Set(standIn.calls.map((c) => c.method));
    assert.ok(methods.has('deleteWebhook') && methods.has('getMe') && methods.has('getUpdates'));
  });

  it('hands out photo sizes and files up to 20 MB, and forgets deleted files', async () => {
    const photo = await standIn.sendPhoto({ chat, from: alice, file: PNG });
    const sizes = photo.photo ?? [];
    assert.equal(sizes.length, 1, 'a 1×1 photo has no smaller sizes: only itself');
    const largest = sizes.at(-1);
    assert.ok(largest);
    assert.equal(largest.width, 1);
    assert.equal(new Set(sizes.map((s) => s.file_unique_id)).size, sizes.length);

    const file = await api.getFile(largest.file_id);
    assert.equal(file.file_size, PNG.byteLength);
    const download = await fetch(`${standIn.apiRoot}/file/bot${TOKEN}/${file.file_path}`);
    assert.equal(download.status, 200);
    assert.equal(download.headers.get('content-length'), String(PNG.byteLength));
    assert.deepEqual(new Uint8Array(await download.arrayBuffer()), PNG);
    assert.equal((await fetch(`${standIn.apiRoot}/file/bot${TOKEN}/photos/nope.jpg`)).status, 404);

    const huge = standIn.addFile(PNG, { mimeType: 'image/jpeg', reportedSize: 20 * 1024 * 1024 + 1 });
    await rejectsWith(api.getFile(huge.file_id), 400, 'Bad Request: file is too big');
    const exact = standIn.addFile(PNG, { reportedSize: 20 * 1024 * 1024 });
    assert.equal((await api.getFile(exact.file_id)).file_size, 20 * 1024 * 1024);

    standIn.deleteFile(largest.file_id);
    await rejectsWith(api.getFile(largest.file_id), 400, 'Bad Request: invalid file_id');
    await rejectsWith(api.getFile('no-such-file'), 400, 'Bad Request: invalid file_id');
  });

  it("makes Telegram's sizes of a photo with sharp: long side 90, 320, 800, 1280, JPEG, each its own file", async () => {
    const camera = await sharp({ create: { width: 1600, height: 1200, channels: 3, background: '#a06040' } })
      .png()
      .toBuffer();
    const sizes = (await standIn.sendPhoto({ chat, from: alice, file: camera })).photo ?? [];
    assert.deepEqual(
      sizes.map((s) => [s.width, s.height]),
      [
        [90, 68],
        [320, 240],
        [800, 600],
        [1280, 960],
      ],
    );
    assert.equal(new Set(sizes.map((s) => s.file_id)).size, 4);
    assert.equal(new Set(sizes.map((s) => s.file_unique_id)).size, 4);
    for (const size of sizes) {
      assert.deepEqual(Object.keys(size).sort(), ['file_id', 'file_size', 'file_unique_id', 'height', 'width']);
      const file = await api.getFile(size.file_id);
      const bytes = standIn.fileContent(size.file_id)?.bytes;
      assert.ok(bytes);
      assert.equal(size.file_size, bytes.byteLength);
      assert.equal(file.file_size, bytes.byteLength);
      const { format, width, height } = await sharp(bytes).metadata();
      assert.deepEqual([format, width, height], ['jpeg', size.width, size.height]);
    }
    assert.ok((sizes[0]?.file_size ?? 0) < (sizes[3]?.file_size ?? 0));

    // Never scaled up: a 500×375 photo has 90 and 320, and itself as the largest.
    const small = await sharp({ create: { width: 500, height: 375, channels: 3, background: '#406080' } })
      .jpeg()
      .toBuffer();
    const smallSizes = (await standIn.sendPhoto({ chat, from: alice, file: small })).photo ?? [];
    assert.deepEqual(
      smallSizes.map((s) => [s.width, s.height]),
      [
        [90, 67],
        [320, 240],
        [500, 375],
      ],
    );
    assert.deepEqual(standIn.fileContent(smallSizes[2]?.file_id ?? '')?.bytes, small);
    // Expiring one size expires the photo.
    standIn.deleteFile(smallSizes[2]?.file_id ?? '');
    await rejectsWith(api.getFile(smallSizes[0]?.file_id ?? ''), 400, 'Bad Request: invalid file_id');
  });

  it('keeps edit history and refuses edits that change nothing', async () => {
    const asked = await standIn.sendPhoto({ chat, from: alice, file: PNG });
    const sent = await api.sendMessage(chat.id, 'Looking…', { reply_parameters: { message_id: asked.message_id } });
    assert.equal(sent.reply_to_message?.message_id, asked.message_id);
    const keyboard = { inline_keyboard: [[{ text: 'Wrong?', callback_data: 'wrong' }]] };
    await api.editMessageText(chat.id, sent.message_id, '<b>Labrador</b> 91%', {
      parse_mode: 'HTML',
      reply_markup: keyboard,
    });

    const [edited] = standIn.botMessagesIn(chat.id);
    assert.equal(edited?.text, 'Labrador 91%');
    assert.deepEqual(edited?.entities, [{ type: 'bold', offset: 0, length: 8 }]);
    assert.deepEqual(edited?.editHistory, ['Looking…']);

    await rejectsWith(
      api.editMessageText(chat.id, sent.message_id, '<b>Labrador</b> 91%', {
        parse_mode: 'HTML',
        reply_markup: keyboard,
      }),
      400,
      NOT_MODIFIED,
    );
    // Same text without the keyboard is a change: omitting reply_markup removes it.
    await api.editMessageText(chat.id, sent.message_id, 'Labrador 91%', {
      entities: [{ type: 'bold', offset: 0, length: 8 }],
    });
    await rejectsWith(api.editMessageText(chat.id, 9999, 'x'), 400, 'Bad Request: message to edit not found');
    await rejectsWith(
      api.sendMessage(chat.id, 'Labrador <b>91%', { parse_mode: 'HTML' }),
      400,
      /^Bad Request: can't parse entities: /,
    );
    await rejectsWith(
      api.sendMessage(chat.id, 'Labrador 91.2%', { parse_mode: 'MarkdownV2' }),
      400,
      "Bad Request: can't parse entities: Character '.' is reserved and must be escaped with the preceding '\\'",
    );
  });

  it('delivers button presses as callback queries', async () => {
    standIn.sendText({ chat, from: alice, text: '/start' });
    const sent = await api.sendMessage(chat.id, 'Pick', {
      reply_markup: { inline_keyboard: [[{ text: 'Yes', callback_data: 'yes' }]] },
    });
    assert.throws(() => standIn.pressButton({ chat, from: alice, messageId: sent.message_id, data: 'no' }));
    const query = standIn.pressButton({ chat, from: alice, messageId: sent.message_id, data: 'yes' });
    const updates = await api.getUpdates({ timeout: 0 });
    assert.equal(updates.length, 2);
    assert.equal(updates[0]?.message?.entities?.[0]?.type, 'bot_command');
    assert.equal(updates[1]?.callback_query?.data, 'yes');
    assert.equal(await api.answerCallbackQuery(query.id), true);
    await rejectsWith(api.answerCallbackQuery(query.id), 400, /query is too old/);
  });

  it('shows group bots only commands, mentions and replies (privacy mode)', async () => {
    const group = groupChat(-1001);
    await standIn.sendPhoto({ chat: group, from: alice, file: PNG });
    standIn.sendText({ chat: group, from: alice, text: 'nice dog @dog_breeds_test_bot' });
    standIn.sendText({ chat: group, from: alice, text: '/breed@other_bot' });
    const updates = await api.getUpdates({ timeout: 0 });
    assert.deepEqual(
      updates.map((u) => u.message?.text),
      ['nice dog @dog_breeds_test_bot'],
    );
    assert.equal(standIn.messagesIn(group.id).length, 3);
  });

  it('injects 429, 5xx, delays and dropped connections', async () => {
    standIn.sendText({ chat, from: alice, text: 'hi' });
    standIn.injectFault({ method: 'sendMessage', fault: { kind: 'status', status: 429, retryAfter: 1 } });
    await assert.rejects(api.sendMessage(chat.id, 'one'), (error: unknown) => {
      assert.ok(error instanceof GrammyError);
      assert.equal(error.error_code, 429);
      assert.equal(error.description, 'Too Many Requests: retry after 1');
      assert.deepEqual(error.parameters, { retry_after: 1 });
      return true;
    });

    standIn.injectFault({ method: '*', fault: { kind: 'status', status: 429, retryAfter: 3 } });
    const raw = await fetch(`${standIn.apiRoot}/bot${TOKEN}/getMe`);
    assert.equal(raw.status, 429);
    assert.deepEqual(await raw.json(), {
      ok: false,
      error_code: 429,
      description: 'Too Many Requests: retry after 3',
      parameters: { retry_after: 3 },
    });

    standIn.injectFault({ method: 'sendMessage', fault: { kind: 'drop' } });
    await assert.rejects(api.sendMessage(chat.id, 'two'), HttpError);
    standIn.injectFault({ method: 'sendMessage', fault: { kind: 'status', status: 502 } });
    await rejectsWith(api.sendMessage(chat.id, 'three'), 502, 'Bad Gateway');

    standIn.injectFault({ method: 'sendMessage', fault: { kind: 'delay', ms: 150 } });
    const before = Date.now();
    assert.equal((await api.sendMessage(chat.id, 'four')).text, 'four');
    assert.ok(Date.now() - before >= 140, 'delayed answer');
    assert.deepEqual(
      standIn.calls.filter((c) => c.method === 'sendMessage').map((c) => c.injected ?? 'none'),
      ['status', 'drop', 'status', 'delay'],
    );
    assert.deepEqual(
      standIn.botMessagesIn(chat.id).map((m) => m.text),
      ['four'],
    );
  });

  it('re-delivers a re-pushed update and forgets confirmed ones', async () => {
    const hello = standIn.sendText({ chat, from: alice, text: 'hello' });
    const [first] = await api.getUpdates({ timeout: 0 });
    assert.equal(first?.update_id, 1);
    assert.equal(first?.message?.message_id, hello.message_id);
    assert.deepEqual(await api.getUpdates({ offset: 2, timeout: 0 }), [], 'confirmed by offset 2');

    standIn.pushUpdate(first);
    const again = await api.getUpdates({ offset: 2, timeout: 0 });
    assert.deepEqual(again, [first]);
  });

  it('wakes a long poll as soon as an update arrives, and close() ends pending polls', async () => {
    const started = Date.now();
    const poll = api.getUpdates({ timeout: 30 });
    await waitFor(standIn, () => standIn.calls.some((c) => c.method === 'getUpdates'));
    standIn.sendText({ chat, from: alice, text: 'ping' });
    const updates = await poll;
    assert.equal(updates[0]?.message?.text, 'ping');
    assert.ok(Date.now() - started < 5_000);

    const pending = api.getUpdates({ offset: 2, timeout: 30 });
    await waitFor(standIn, () => standIn.calls.filter((c) => c.method === 'getUpdates').length === 2);
    await standIn.close();
    assert.deepEqual(await pending, []);
  });

  it('uploads files through multipart and reports timeouts with the recent calls', async () => {
    standIn.sendText({ chat, from: alice, text: 'send me a dog' });
    const sent = await api.sendPhoto(chat.id, new InputFile(PNG, 'dog.png'), {
      caption: '<i>a dog</i>',
      parse_mode: 'HTML',
    });
    assert.equal(sent.caption, 'a dog');
    const file = await api.getFile(sent.photo?.at(-1)?.file_id ?? '');
    const bytes = new Uint8Array(
      await (await fetch(`${standIn.apiRoot}/file/bot${TOKEN}/${file.file_path}`)).arrayBuffer(),
    );
    assert.deepEqual(bytes, PNG);

    await assert.rejects(
      waitForReplyTo(standIn, chat.id, 1, (text) => text === 'never', { timeoutMs: 100 }),
      /timed out after 100 ms[\s\S]*sendPhoto/,
    );
  });
});
