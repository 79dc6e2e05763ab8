/**
 * The bot end to end: the Bot API stand-in over real HTTP → grammY bot → BullMQ on the real Redis → worker → the real
 * default model → "typing…" (a chat action), then one answer replying to the photo; the photo size downloaded is the
 * smallest the models can use. Each test runs twice: the bot polling, and the bot serving a webhook that the stand-in
 * POSTs updates to.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { Api } from 'grammy';
import sharp from 'sharp';
import { groupChat, privateChat, user } from '../../src/playground/bot-api/stand-in.ts';
import { photoJobId } from '../../src/queue/index.ts';
import { BOT_MODES, type Harness, startHarness, TEST_TOKEN } from '../support/app-harness.ts';
import { image } from '../support/paths.ts';
import { poll, waitFor, waitForReplyTo } from '../support/poll.ts';

const BEAGLE = 'dogs/beagle-4aea27da2a0b.jpg';
const BOXER = 'dogs/boxer-5e7846c317a2.jpg';
const GOLDEN = 'dogs/golden_retriever-778c607c7b99.jpg';
const NOT_DOG = 'not-dogs/not_dog-049114f16c64.jpg';

const ANSWER = /🐶 .+ — \d+%\n2\. .+ — <?\d+%\n3\. .+ — <?\d+%/;

let h: Harness;
let nextUserId = 1000;
/** A fresh person (and so a fresh rate-limit budget) for each test. */
function person(languageCode = 'en') {
  const from = user(nextUserId++, { languageCode });
  return { from, chat: privateChat(from) };
}

const photoBytes = (relative: string) => readFile(image(relative));

/** The bot's message replying to `messageId`, once its text matches. */
const answerTo = (chatId: number, messageId: number, pattern: RegExp, timeoutMs = 20_000) =>
  waitForReplyTo(h.standIn, chatId, messageId, (text) => pattern.test(text), { timeoutMs });

// Every test in both ways of taking updates: polling, and the stand-in posting to the bot's webhook.
for (const botMode of BOT_MODES) {
  describe(`taking updates by ${botMode}`, () => {
    before(async () => {
      const env = { RATE_LIMIT_PHOTOS: '4', RATE_LIMIT_WINDOW_SECONDS: '60', WORKER_CONCURRENCY: '4' };
      h = await startHarness(env, { botMode });
    });
    after(async () => {
      await h.close();
    });

    describe('a person in a private chat', () => {
      test('a dog photo: "typing…", then one top-3 answer naming the breed, linked to Wikipedia', async () => {
        const { from, chat } = person();
        const sent = await h.standIn.sendPhoto({ chat, from, file: await photoBytes(BOXER) });
        const reply = await answerTo(chat.id, sent.message_id, ANSWER);
        assert.match(reply.text ?? '', /^🐶 Boxer — \d+%/);
        assert.deepEqual(reply.editHistory, [], 'sent as the answer, not edited from a status message');
        const answeredAt = h.standIn.calls.find((c) => c.method === 'sendMessage' && c.params.chat_id === chat.id)?.at;
        const typing = h.standIn.chatActionsIn(chat.id);
        assert.equal(typing[0]?.action, 'typing');
        assert.ok(answeredAt !== undefined && (typing[0]?.at ?? Infinity) <= answeredAt, '"typing…" before the answer');
        const link = reply.entities?.find((e) => e.type === 'text_link');
        assert.equal(link?.type === 'text_link' ? link.url : undefined, 'https://en.wikipedia.org/wiki/Boxer_(dog)');
        assert.equal(h.standIn.botMessagesIn(chat.id).length, 1, 'one message: the answer');
      });

      test("a phone-sized photo: the worker downloads the smallest of Telegram's sizes that covers the models", async () => {
        const { from, chat } = person();
        // 1600×1200, as a camera's photo after Telegram: sizes of 90, 320, 800 and 1280 px on the long side.
        const camera = await sharp(await photoBytes(BOXER))
          .resize(1600, 1200, { fit: 'fill' })
          .jpeg()
          .toBuffer();
        const sent = await h.standIn.sendPhoto({ chat, from, file: camera });
        const reply = await answerTo(chat.id, sent.message_id, ANSWER);
        assert.match(reply.text ?? '', /^🐶 Boxer/);
        const sizes = sent.photo ?? [];
        assert.deepEqual(
          sizes.map((s) => s.width),
          [90, 320, 800, 1280],
        );
        // The default models need 416 px (the detector's input): 800×600 is the smallest with a shorter side that long.
        const chosen = sizes[2];
        assert.ok(chosen);
        const ids = new Set(sizes.map((s) => s.file_id));
        const asked = h.standIn.calls.filter((c) => c.method === 'getFile' && ids.has(String(c.params.file_id)));
        assert.deepEqual(
          asked.map((c) => c.params.file_id),
          [chosen.file_id],
          'only the chosen size was asked for',
        );
        const { file_path } = await new Api(TEST_TOKEN, { apiRoot: h.standIn.apiRoot }).getFile(chosen.file_id);
        assert.equal(h.standIn.downloads.filter((d) => d.filePath === file_path && d.status === 200).length, 1);
      });

      test('a photo smaller than the models need: its largest size, the photo itself, is downloaded', async () => {
        const { from, chat } = person();
        const bytes = await photoBytes(BOXER); // 333×500: no size reaches 416 px on its shorter side
        const sent = await h.standIn.sendPhoto({ chat, from, file: bytes });
        await answerTo(chat.id, sent.message_id, ANSWER);
        const largest = sent.photo?.at(-1);
        assert.ok(largest);
        assert.deepEqual([largest.width, largest.height], [333, 500]);
        const ids = new Set((sent.photo ?? []).map((s) => s.file_id));
        const asked = h.standIn.calls.filter((c) => c.method === 'getFile' && ids.has(String(c.params.file_id)));
        assert.deepEqual(
          asked.map((c) => c.params.file_id),
          [largest.file_id],
        );
      });

      test('a photo without a dog: says so kindly', async () => {
        const { from, chat } = person();
        const sent = await h.standIn.sendPhoto({ chat, from, file: await photoBytes(NOT_DOG) });
        const reply = await answerTo(chat.id, sent.message_id, /don't see a dog/);
        assert.doesNotMatch(reply.text ?? '', /🐶/);
      });

      test('an album of three: each photo answered as a reply to its own message', async () => {
        const { from, chat } = person();
        const files = await Promise.all([BEAGLE, BOXER, GOLDEN].map(photoBytes));
        const album = await h.standIn.sendAlbum({ chat, from, files });
        const replies = await Promise.all(album.map((m) => answerTo(chat.id, m.message_id, ANSWER)));
        assert.deepEqual(
          replies.map((r) => /^🐶 (.+?) —/.exec(r.text ?? '')?.[1]),
          ['Beagle', 'Boxer', 'Golden Retriever'],
        );
        // The worker answers them as they are classified, in any order: each quotes its own photo.
        assert.equal(h.standIn.botMessagesIn(chat.id).length, 3, 'one answer each');
      });

      test('an image sent as a file (document) is answered like a photo', async () => {
        const { from, chat } = person();
        const sent = h.standIn.sendDocument({
          chat,
          from,
          file: await photoBytes(BEAGLE),
          mimeType: 'image/jpeg',
          fileName: 'my-dog.jpg',
        });
        const reply = await answerTo(chat.id, sent.message_id, ANSWER);
        assert.match(reply.text ?? '', /^🐶 Beagle/);
      });

      test('a corrupt JPEG gets a friendly message, and the worker keeps serving', async () => {
        const { from, chat } = person();
        const good = await photoBytes(BEAGLE);
        const corrupt = Buffer.concat([good.subarray(0, 600), Buffer.alloc(4000, 0x55)]);
        const bad = h.standIn.sendDocument({
          chat,
          from,
          file: corrupt,
          mimeType: 'image/jpeg',
          fileName: 'broken.jpg',
        });
        const reply = await answerTo(chat.id, bad.message_id, /could not read this image|not an image I can read/);
        assert.doesNotMatch(reply.text ?? '', /Error:|\n\s+at /);
        const next = await h.standIn.sendPhoto({ chat, from, file: good });
        assert.match((await answerTo(chat.id, next.message_id, ANSWER)).text ?? '', /^🐶 Beagle/);
      });

      test('a re-delivered update is answered once', async () => {
        const { from, chat } = person();
        const sent = await h.standIn.sendPhoto({ chat, from, file: await photoBytes(BOXER) });
        const update = h.standIn.updates.find(
          (u) => u.message?.message_id === sent.message_id && u.message.chat.id === chat.id,
        );
        assert.ok(update);
        await answerTo(chat.id, sent.message_id, ANSWER);
        h.standIn.pushUpdate(update);
        // Let the re-delivered update be polled and handled, then check nothing new was said.
        await waitFor(h.standIn, () =>
          h.logLines.some((l) => l.includes('update delivered again') && l.includes(`"chatId":${chat.id}`)),
        );
        assert.equal(h.standIn.botMessagesIn(chat.id).length, 1);
        const sends = h.standIn.calls.filter((c) => c.method === 'sendMessage' && c.params.chat_id === chat.id);
        assert.equal(sends.length, 1);
      });

      test('a 429 from the Bot API delays the answer but it still arrives', async () => {
        const { from, chat } = person();
        // The next sendMessage is the worker's answer (the bot only shows "typing…").
        h.standIn.injectFault({
          method: 'sendMessage',
          times: 1,
          fault: { kind: 'status', status: 429, retryAfter: 1 },
        });
        const sent = await h.standIn.sendPhoto({ chat, from, file: await photoBytes(BEAGLE) });
        const reply = await answerTo(chat.id, sent.message_id, ANSWER);
        assert.match(reply.text ?? '', /^🐶 Beagle/);
        assert.ok(h.standIn.calls.some((c) => c.method === 'sendMessage' && c.injected === 'status'));
        assert.equal(h.standIn.botMessagesIn(chat.id).length, 1, 'one answer');
      });

      test('over the rate limit: the rest wait for their slot, the person told once, never silence', async () => {
        const { from, chat } = person();
        const bytes = await photoBytes(BEAGLE);
        const sent: { message_id: number }[] = [];
        for (let i = 0; i < 6; i++) sent.push(await h.standIn.sendPhoto({ chat, from, file: bytes }));
        await Promise.all(sent.slice(0, 4).map((m) => answerTo(chat.id, m.message_id, ANSWER)));
        await answerTo(chat.id, (sent[4] as { message_id: number }).message_id, /lot of photos at once/);
        // The 5th and 6th wait, delayed until the window frees a slot for each (a minute here), then are answered.
        const waiting = await poll(async () => {
          const jobs = await Promise.all(
            sent.slice(4).map((m) => h.app.queue.getJob(photoJobId(chat.id, m.message_id))),
          );
          const states = await Promise.all(jobs.map((job) => job?.getState()));
          return states.every((state) => state === 'delayed') && jobs;
        });
        assert.equal(waiting.length, 2);
        const texts = h.standIn.botMessagesIn(chat.id).map((m) => m.text ?? '');
        assert.equal(texts.filter((t) => /lot of photos at once/.test(t)).length, 1, 'told once');
        assert.equal(texts.length, 5, '4 answers and the notice; the other 2 wait for their turn');
      });

      test('a command whose reply fails gets the plain apology, not one about a photo', async () => {
        const { from, chat } = person();
        h.standIn.injectFault({
          method: 'sendMessage',
          times: 1,
          fault: { kind: 'status', status: 400, description: 'Bad Request: injected for the test' },
        });
        const sent = h.standIn.sendText({ chat, from, text: '/help' });
        const apology = await waitFor(h.standIn, () =>
          h.standIn.botMessagesIn(chat.id).find((m) => m.message_id > sent.message_id),
        );
        assert.equal(apology.text, '😞 Sorry, something went wrong on my side. Please try again in a minute.');
      });

      test('stickers, text, non-image files and files over 20 MB get a short hint, never silence', async () => {
        const { from, chat } = person();
        const hints = () =>
          h.standIn.botMessagesIn(chat.id).filter((m) => /Send me a photo of a dog/.test(m.text ?? ''));
        h.standIn.sendSticker({ chat, from });
        await waitFor(h.standIn, () => hints().length === 1);
        const text = h.standIn.sendText({ chat, from, text: 'hello?' });
        await waitFor(h.standIn, () => hints().length === 2);
        const pdf = h.standIn.sendDocument({
          chat,
          from,
          file: Buffer.from('%PDF-1.4'),
          mimeType: 'application/pdf',
          fileName: 'a.pdf',
        });
        await answerTo(chat.id, pdf.message_id, /not an image/);
        const huge = h.standIn.addFile(Buffer.from('x'), { mimeType: 'image/jpeg', reportedSize: 25 * 1024 * 1024 });
        const big = h.standIn.sendDocument({ chat, from, file: huge, mimeType: 'image/jpeg', fileName: 'big.jpg' });
        await answerTo(chat.id, big.message_id, /over 20 MB/);
        assert.ok(text.message_id > 0);
      });

      test('a photo whose file expired before the worker fetched it: asks to send it again', async () => {
        const { from, chat } = person();
        const file = h.standIn.addFile(await photoBytes(BEAGLE), { mimeType: 'image/jpeg' });
        h.standIn.deleteFile(file.file_id);
        const sent = await h.standIn.sendPhoto({ chat, from, file });
        await answerTo(chat.id, sent.message_id, /could not download/);
      });

      test('/start, /help and /breeds (paged)', async () => {
        const { from, chat } = person();
        h.standIn.sendText({ chat, from, text: '/start' });
        h.standIn.sendText({ chat, from, text: '/help' });
        await waitFor(h.standIn, () => h.standIn.botMessagesIn(chat.id).length >= 2);
        const [start, help] = h.standIn.botMessagesIn(chat.id);
        assert.match(start?.text ?? '', /Send me a photo of a dog/);
        assert.match(help?.text ?? '', /not kept/);
        h.standIn.sendText({ chat, from, text: '/breeds' });
        const list = await waitFor(h.standIn, () =>
          h.standIn.botMessagesIn(chat.id).find((m) => /page 1\/4/.test(m.text ?? '')),
        );
        assert.match(list.text ?? '', /Affenpinscher/);
        h.standIn.pressButton({ chat, from, messageId: list.message_id, data: 'breeds:2' });
        await waitFor(h.standIn, () => h.standIn.botMessagesIn(chat.id).find((m) => /page 2\/4/.test(m.text ?? '')));
      });
    });

    describe('a group', () => {
      test('photos are answered only when asked: /breed as a reply, or a caption that mentions the bot', async () => {
        const from = user(nextUserId++);
        const chat = groupChat(-500_000 - nextUserId);
        const bytes = await photoBytes(BOXER);
        h.standIn.sendText({ chat, from, text: 'look at my dog' });
        const plain = await h.standIn.sendPhoto({ chat, from, file: bytes });
        const asked = h.standIn.sendText({ chat, from, text: '/breed', replyTo: plain.message_id });
        assert.ok(asked.message_id > plain.message_id);
        const reply = await answerTo(chat.id, plain.message_id, ANSWER);
        assert.match(reply.text ?? '', /^🐶 Boxer/);
        const mentioned = await h.standIn.sendPhoto({
          chat,
          from,
          file: bytes,
          caption: `what breed, @${h.standIn.me.username}?`,
        });
        await answerTo(chat.id, mentioned.message_id, ANSWER);
        assert.equal(h.standIn.botMessagesIn(chat.id).length, 2, 'no answer to the photo nobody asked about');
      });
    });

    describe('secrets', () => {
      test('the bot token (and the webhook secret) appear in no log line', async () => {
        assert.ok(h.logLines.length > 20, 'the tests above produced logs');
        assert.ok(!h.logLines.some((l) => l.includes(TEST_TOKEN)));
        assert.ok(!h.logLines.some((l) => l.includes(TEST_TOKEN.split(':')[1] as string)));
        const secret = h.config.WEBHOOK_SECRET;
        assert.equal(secret === undefined, botMode === 'polling');
        if (secret !== undefined) assert.ok(!h.logLines.some((l) => l.includes(secret)));
      });
    });

    describe('the queue contract', () => {
      test('jobs carry references only, with an idempotent id', async () => {
        const { from, chat } = person();
        const sent = await h.standIn.sendPhoto({ chat, from, file: await sharp(await photoBytes(BEAGLE)).toBuffer() });
        await answerTo(chat.id, sent.message_id, ANSWER);
        const jobId = photoJobId(chat.id, sent.message_id);
        // The answer is edited just before the job is marked complete.
        const job = await poll(async () => {
          const found = await h.app.queue.getJob(jobId);
          return found?.finishedOn !== undefined ? found : undefined;
        });
        assert.ok(job, 'the finished job is kept within the retention bound');
        assert.deepEqual(Object.keys(job.data).sort(), [
          'answerMessageId',
          'chatId',
          'fileId',
          'fileSize',
          'fileUniqueId',
          'languageCode',
          'locale',
          'messageId',
          'userId',
        ]);
        assert.ok(JSON.stringify(job.data).length < 400, 'no image bytes in Redis');
        assert.equal(job.returnvalue?.outcome, 'answered');
      });
    });
  });
}
