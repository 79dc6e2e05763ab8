/**
 * The playground's web API over real HTTP, with the Bot API stand-in and a grammY Api standing in for the bot: what
 * the page sends becomes the person's messages, and what the bot does streams back as Server-Sent Events.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { Api } from 'grammy';
import { BotApiStandIn } from '../../src/playground/bot-api/stand-in.ts';
import { type ChatItem, MAX_UPLOAD_BYTES, PlaygroundWeb } from '../../src/playground/web-server.ts';
import { image } from '../support/paths.ts';
import { waitFor } from '../support/poll.ts';
import { tempDirs } from '../support/temp-dirs.ts';
import { gif, slideshow } from '../support/videos.ts';

const TOKEN = '123456:PLAYGROUND-web-test-token';
const BOXER = image('dogs/boxer-5e7846c317a2.jpg');
const BEAGLE = image('dogs/beagle-4aea27da2a0b.jpg');

let standIn: BotApiStandIn;
let web: PlaygroundWeb;
let api: Api;
let base: string;
const temp = tempDirs();

before(async () => {
  standIn = await BotApiStandIn.start({ token: TOKEN });
  web = PlaygroundWeb.attach(standIn);
  api = new Api(TOKEN, { apiRoot: standIn.apiRoot });
  base = standIn.apiRoot;
});
after(async () => {
  web.close();
  await standIn.close();
  await temp.removeAll();
});

/** Reads a Server-Sent Events stream into a list of {event, data}. */
function openEvents(): { events: Array<{ event: string; data: unknown }>; close(): void; ready: Promise<void> } {
  const controller = new AbortController();
  const events: Array<{ event: string; data: unknown }> = [];
  const ready = (async () => {
    const res = await fetch(`${base}/playground/events`, { signal: controller.signal });
    assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const reader = res.body?.getReader();
    assert.ok(reader);
    const decoder = new TextDecoder();
    let buffer = '';
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buffer += decoder.decode(value, { stream: true });
          let end = buffer.indexOf('\n\n');
          while (end !== -1) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event = /^event: (.+)$/m.exec(block)?.[1];
            const data = /^data: (.+)$/m.exec(block)?.[1];
            if (event && data) events.push({ event, data: JSON.parse(data) });
            end = buffer.indexOf('\n\n');
          }
        }
      } catch (error) {
        // close() aborts the read; anything else (a malformed event) must fail the test, not vanish.
        if (!controller.signal.aborted) throw error;
      }
    })();
  })();
  return { events, ready, close: () => controller.abort() };
}

const itemsOf = (events: Array<{ event: string; data: unknown }>, kind = 'message') =>
  events.filter((e) => e.event === kind).map((e) => e.data as ChatItem);

const postJson = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

function form(files: Array<{ bytes: Uint8Array; name: string; type: string }>): FormData {
  const data = new FormData();
  files.forEach((f, i) => {
    data.append(`file${i}`, new Blob([f.bytes], { type: f.type }), f.name);
  });
  return data;
}

describe('the page and its files', () => {
  test('GET / is the chat page, with a strict content security policy', async () => {
    const res = await fetch(`${base}/`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    const html = await res.text();
    assert.match(html, /<script type="module" src="\/playground\/static\/app.js">/);
    for (const asset of ['app.js', 'style.css', 'favicon.svg']) {
      assert.equal((await fetch(`${base}/playground/static/${asset}`)).status, 200, asset);
    }
  });

  test('nothing outside the web folder, and no Bot API without the token', async () => {
    for (const path of ['/playground/static/..%2Fweb-server.ts', '/playground/static/../../package.json', '/nope']) {
      assert.equal((await fetch(`${base}${path}`)).status, 404, path);
    }
    assert.equal((await fetch(`${base}/bot123:wrong/getMe`)).status, 401);
  });

  test('info names the bot and its command menu', async () => {
    await api.setMyCommands([{ command: 'breeds', description: 'The 120 breeds it knows' }]);
    const info = (await (await fetch(`${base}/playground/info`)).json()) as {
      bot: { name: string };
      commands: Array<{ command: string }>;
      maxUploadBytes: number;
    };
    assert.equal(info.bot.name, standIn.me.first_name);
    assert.deepEqual(
      info.commands.map((c) => c.command),
      ['start', 'breeds'],
    );
    assert.equal(info.maxUploadBytes, 20 * 1024 * 1024);
  });
});

describe('the chat', () => {
  test('a text from the page reaches the bot; its HTML answer and edits stream back as entities', async () => {
    const stream = openEvents();
    await stream.ready;
    const res = await postJson('/playground/text', { text: '/breeds' });
    assert.equal(res.status, 200);
    const { messageId } = (await res.json()) as { messageId: number };
    const [update] = await api.getUpdates({ timeout: 0 });
    assert.equal(update?.message?.text, '/breeds');
    assert.equal(update?.message?.chat.id, web.chat.id);

    const sent = await api.sendMessage(web.chat.id, '🔍 Looking <i>&lt;here&gt;</i>…', {
      parse_mode: 'HTML',
      reply_parameters: { message_id: messageId },
    });
    await api.editMessageText(
      web.chat.id,
      sent.message_id,
      '🐶 <b><a href="https://en.wikipedia.org/wiki/Boxer_(dog)">Boxer</a></b> — 91%',
      { parse_mode: 'HTML', reply_markup: { inline_keyboard: [[{ text: 'Next ▶️', callback_data: 'breeds:2' }]] } },
    );
    await waitFor(standIn, () => itemsOf(stream.events).some((i) => i.id === sent.message_id && i.edited));
    const versions = itemsOf(stream.events).filter((i) => i.id === sent.message_id);
    assert.equal(versions[0]?.text, '🔍 Looking <here>…', 'markup became plain text + entities');
    assert.deepEqual(versions[0]?.entities, [{ type: 'italic', offset: 11, length: 6 }]);
    const answer = versions.at(-1);
    assert.equal(answer?.text, '🐶 Boxer — 91%');
    assert.deepEqual(answer?.entities.map((e) => e.type).sort(), ['bold', 'text_link']);
    const link = answer?.entities.find((e) => e.type === 'text_link');
    assert.equal(link?.type === 'text_link' ? link.url : undefined, 'https://en.wikipedia.org/wiki/Boxer_(dog)');
    assert.deepEqual(answer?.replyTo, { id: messageId, from: 'person', text: '/breeds' });
    assert.deepEqual(answer?.keyboard, [[{ text: 'Next ▶️', data: 'breeds:2' }]]);
    // Buttons added to a message whose text never changed: not marked "edited" (Telegram's apps hide that too).
    const plain = await api.sendMessage(web.chat.id, '🐶 Beagle — 84%');
    await api.editMessageReplyMarkup(web.chat.id, plain.message_id, {
      reply_markup: { inline_keyboard: [[{ text: '👍 Right', callback_data: 'fb:y' }]] },
    });
    await waitFor(standIn, () => itemsOf(stream.events).some((i) => i.id === plain.message_id && i.keyboard));
    assert.equal(
      itemsOf(stream.events)
        .filter((i) => i.id === plain.message_id)
        .at(-1)?.edited,
      false,
    );

    // A page opened later gets the whole chat at once.
    const late = openEvents();
    await late.ready;
    await waitFor(standIn, () => late.events.length > 0);
    const [first] = late.events;
    assert.equal(first?.event, 'reset');
    assert.deepEqual(
      (first.data as ChatItem[]).map((i) => i.id),
      [messageId, sent.message_id, plain.message_id],
    );

    await api.deleteMessage(web.chat.id, sent.message_id);
    await waitFor(standIn, () => stream.events.some((e) => e.event === 'remove'));
    stream.close();
    late.close();
  });

  test('pressing a button sends a callback query; a button that is gone is refused', async () => {
    const sent = await api.sendMessage(web.chat.id, 'Pick', {
      reply_markup: { inline_keyboard: [[{ text: 'Yes', callback_data: 'yes' }]] },
    });
    const pressed = await postJson('/playground/button', { messageId: sent.message_id, data: 'yes' });
    assert.equal(pressed.status, 200);
    assert.equal(standIn.updates.at(-1)?.callback_query?.data, 'yes');
    assert.equal((await postJson('/playground/button', { messageId: sent.message_id, data: 'no' })).status, 409);
    assert.equal((await postJson('/playground/button', { messageId: 'x' })).status, 400);
  });

  test("answerCallbackQuery's text reaches the page that pressed, once, as a toast (an alert with show_alert)", async () => {
    const stream = openEvents();
    await stream.ready;
    const sent = await api.sendMessage(web.chat.id, 'Rate', {
      reply_markup: { inline_keyboard: [[{ text: '👍', callback_data: 'up' }]] },
    });
    const toasts = () => stream.events.filter((e) => e.event === 'toast').map((e) => e.data);
    for (const [text, showAlert] of [
      ['Thanks!', false],
      ['Careful', true],
    ] as const) {
      assert.equal((await postJson('/playground/button', { messageId: sent.message_id, data: 'up' })).status, 200);
      const query = standIn.updates.at(-1)?.callback_query;
      assert.ok(query);
      assert.equal(standIn.callbackAnswer(query.id), undefined, 'not answered yet');
      assert.equal(await api.answerCallbackQuery(query.id, { text, show_alert: showAlert }), true);
      assert.deepEqual(standIn.callbackAnswer(query.id), { text, showAlert });
      await waitFor(
        standIn,
        () => toasts().length > 0 && JSON.stringify(toasts().at(-1)) === JSON.stringify({ text, alert: showAlert }),
      );
      // Telegram allows one answer.
      await assert.rejects(api.answerCallbackQuery(query.id, { text: 'again' }), /query is too old/);
    }
    // A press answered without text shows nothing; an answer over 200 characters is refused, as Telegram does.
    await postJson('/playground/button', { messageId: sent.message_id, data: 'up' });
    const silent = standIn.updates.at(-1)?.callback_query;
    assert.ok(silent);
    await assert.rejects(api.answerCallbackQuery(silent.id, { text: 'x'.repeat(201) }), /MESSAGE_TOO_LONG/);
    await api.answerCallbackQuery(silent.id);
    await api.sendMessage(web.chat.id, 'after');
    await waitFor(standIn, () => itemsOf(stream.events).some((i) => i.text === 'after'));
    assert.equal(toasts().length, 2);
    stream.close();
  });

  test('one photo is a photo message, served back to the page; several are an album; other files are documents', async () => {
    const boxer = new Uint8Array(await readFile(BOXER));
    const beagle = new Uint8Array(await readFile(BEAGLE));
    const one = await fetch(`${base}/playground/photos`, {
      method: 'POST',
      body: form([{ bytes: boxer, name: 'boxer.jpg', type: 'image/jpeg' }]),
    });
    assert.equal(one.status, 200);
    const [photoId] = ((await one.json()) as { messageIds: number[] }).messageIds;
    const item = web.items().find((i) => i.id === photoId);
    assert.ok(item?.photo, 'a photo message');
    assert.equal(item.photo.name, 'boxer.jpg');
    const served = await fetch(`${base}${item.photo.url}`);
    assert.equal(served.headers.get('content-type'), 'image/jpeg');
    assert.deepEqual(new Uint8Array(await served.arrayBuffer()), boxer);

    const two = await fetch(`${base}/playground/photos`, {
      method: 'POST',
      body: form([
        { bytes: beagle, name: 'beagle.jpg', type: 'image/jpeg' },
        { bytes: boxer, name: 'boxer.jpg', type: 'image/jpeg' },
        { bytes: new TextEncoder().encode('not a dog'), name: 'notes.txt', type: 'text/plain' },
      ]),
    });
    const { messageIds } = (await two.json()) as { messageIds: number[] };
    assert.equal(messageIds.length, 3);
    const items = web.items().filter((i) => messageIds.includes(i.id));
    const albums = new Set(items.filter((i) => i.photo).map((i) => i.albumId));
    assert.equal(albums.size, 1, 'the two photos share one media group');
    assert.ok(items[0]?.albumId);
    const doc = items.find((i) => i.document);
    assert.deepEqual(doc?.document, { name: 'notes.txt', mimeType: 'text/plain', size: 9 });
  });

  test('with asFile, photos go as files, without compression: documents, each a message, shown as images', async () => {
    const boxer = new Uint8Array(await readFile(BOXER));
    const body = form([
      { bytes: boxer, name: 'boxer.jpg', type: 'image/jpeg' },
      { bytes: boxer, name: 'boxer-again.jpg', type: 'image/jpeg' },
    ]);
    body.append('asFile', '1');
    const sent = await fetch(`${base}/playground/photos`, { method: 'POST', body });
    assert.equal(sent.status, 200);
    const { messageIds } = (await sent.json()) as { messageIds: number[] };
    const items = web.items().filter((i) => messageIds.includes(i.id));
    assert.deepEqual(
      items.map((i) => [i.photo, i.document?.name, i.document?.mimeType, i.document?.size, i.albumId]),
      [
        [undefined, 'boxer.jpg', 'image/jpeg', boxer.byteLength, undefined],
        [undefined, 'boxer-again.jpg', 'image/jpeg', boxer.byteLength, undefined],
      ],
    );
    const served = await fetch(`${base}${items[0]?.document?.url}`);
    assert.deepEqual(new Uint8Array(await served.arrayBuffer()), boxer, 'the file as sent, byte for byte');
  });

  test('a video is a video message with what the page read of it; a GIF an MP4 animation, as Telegram makes it', async () => {
    const dir = await temp.make('playground-web-video');
    const clip = new Uint8Array(await readFile(await slideshow(dir, ['dogs/boxer-5e7846c317a2.jpg'])));
    const gifBytes = new Uint8Array(await readFile(await gif(dir, ['dogs/beagle-4aea27da2a0b.jpg'])));
    const body = form([
      { bytes: clip, name: 'walk.mp4', type: 'video/mp4' },
      { bytes: gifBytes, name: 'beagle.gif', type: 'image/gif' },
    ]);
    body.append('meta0', JSON.stringify({ width: 640, height: 480, duration: 1.9 }));
    body.append('meta1', JSON.stringify({ width: 320, height: 240, duration: 'long' }));
    const sent = await fetch(`${base}/playground/photos`, { method: 'POST', body });
    assert.equal(sent.status, 200);
    const { messageIds } = (await sent.json()) as { messageIds: number[] };
    assert.equal(messageIds.length, 2, 'a message each, no album');
    const [video, animation] = messageIds.map((id) => standIn.messagesIn(web.chat.id).find((m) => m.message_id === id));
    assert.deepEqual(
      [video?.video?.width, video?.video?.height, video?.video?.duration, video?.video?.file_name],
      [640, 480, 2, 'walk.mp4'],
    );
    assert.equal(animation?.animation?.mime_type, 'video/mp4');
    assert.deepEqual([animation.animation.width, animation.animation.height], [320, 240]);
    assert.equal(animation.animation.duration, 5, 'a duration the page could not read is the default');

    const items = web.items().filter((i) => messageIds.includes(i.id));
    assert.deepEqual(
      items.map((i) => [i.video?.kind, i.video?.mimeType, i.document]),
      [
        ['video', 'video/mp4', undefined],
        ['animation', 'video/mp4', undefined], // its `document` (as Telegram sends one) is not shown twice
      ],
    );
    const served = await fetch(`${base}${items[0]?.video?.url}`);
    assert.equal(served.headers.get('content-type'), 'video/mp4');
    assert.deepEqual(new Uint8Array(await served.arrayBuffer()), clip);
    const mp4 = new Uint8Array(await (await fetch(`${base}${items[1]?.video?.url}`)).arrayBuffer());
    assert.equal(Buffer.from(mp4.subarray(4, 8)).toString('latin1'), 'ftyp', 'the GIF became an MP4');

    const policy = (await fetch(`${base}/`)).headers.get('content-security-policy') ?? '';
    assert.match(policy, /media-src 'self' blob:/, 'the page may play videos, and read a chosen one');
  });

  test('uploads over 20 MB get 413; cross-site posts get 403', async () => {
    const big = new Uint8Array(MAX_UPLOAD_BYTES + 1);
    const res = await fetch(`${base}/playground/photos`, {
      method: 'POST',
      body: form([{ bytes: big, name: 'huge.jpg', type: 'image/jpeg' }]),
    });
    assert.equal(res.status, 413);
    assert.match(((await res.json()) as { error: string }).error, /huge\.jpg is over 20 MB/);
    const before = standIn.updates.length;
    const forged = await postJson('/playground/text', { text: 'hi' }, { origin: 'https://evil.example' });
    assert.equal(forged.status, 403);
    assert.equal(standIn.updates.length, before);
    assert.equal((await postJson('/playground/text', { text: '   ' })).status, 400);
  });
});
