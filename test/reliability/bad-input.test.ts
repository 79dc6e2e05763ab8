/**
 * Inputs meant to break things, each answered with a clear message while the worker keeps serving; and the security
 * promises: no token in any reply, no way for a person to make the service fetch a URL.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import sharp, { type Sharp } from 'sharp';
import { privateChat, user } from '../../src/playground/bot-api/stand-in.ts';
import { type Harness, startHarness, TEST_TOKEN } from '../support/app-harness.ts';
import { pngBomb } from '../support/images.ts';
import { image } from '../support/paths.ts';
import { poll, waitFor, waitForReplyTo } from '../support/poll.ts';

let h: Harness;
let dog: Buffer;
let lure: Server;
let lureHits = 0;
let lureUrl: string;

before(async () => {
  h = await startHarness({ RATE_LIMIT_PHOTOS: '100' });
  dog = await readFile(image('dogs/boxer-5e7846c317a2.jpg'));
  // A server that must never be called: inputs point at it.
  lure = createServer((_req, res) => {
    lureHits++;
    res.end('<svg xmlns="http://www.w3.org/2000/svg"/>');
  });
  await new Promise<void>((resolve) => lure.listen(0, '127.0.0.1', resolve));
  lureUrl = `http://127.0.0.1:${(lure.address() as AddressInfo).port}/x.svg`;
});
after(async () => {
  await h.close();
  await new Promise((resolve) => lure.close(resolve));
});

const from = user(9001);
const chat = privateChat(from);

/** Sends a file as a document and waits for the bot's final word on it. */
async function sendFile(bytes: Buffer, mimeType: string, fileName: string, reportedSize?: number): Promise<string> {
  const file = h.standIn.addFile(bytes, { mimeType, fileName, ...(reportedSize ? { reportedSize } : {}) });
  const sent = h.standIn.sendDocument({ chat, from, file, mimeType, fileName });
  const reply = await waitForReplyTo(h.standIn, chat.id, sent.message_id, () => true, { timeoutMs: 30_000 });
  return reply.text ?? '';
}

const BREED = /^🐶 \S/;
const CANNOT_READ = /could not read this image|not an image I can read/;

/** The dog and its mirror image as the two frames of an animation. */
async function twoFrames() {
  const frame = await sharp(dog).resize(160, 120).png().toBuffer();
  return sharp([frame, await sharp(frame).flop().png().toBuffer()], { join: { animated: true } });
}

/** Encodes the frames and checks the file really is animated (2 pages), so the test means what it says. */
function animated(format: 'gif' | 'webp') {
  return async (frames: Sharp): Promise<Buffer> => {
    const bytes = await frames.toFormat(format).toBuffer();
    assert.equal((await sharp(bytes).metadata()).pages, 2);
    return bytes;
  };
}

const cases: {
  name: string;
  make: () => Promise<Buffer> | Buffer;
  mime: string;
  file: string;
  expect: RegExp;
  size?: number;
}[] = [
  { name: '0-byte file', make: () => Buffer.alloc(0), mime: 'image/jpeg', file: 'empty.jpg', expect: CANNOT_READ },
  {
    name: 'truncated JPEG',
    make: () => dog.subarray(0, Math.floor(dog.length * 0.6)),
    mime: 'image/jpeg',
    file: 'cut.jpg',
    expect: CANNOT_READ,
  },
  {
    name: 'a text file named .jpg',
    make: () => Buffer.from('hello, this is not a photo'),
    mime: 'image/jpeg',
    file: 'dog.jpg',
    expect: CANNOT_READ,
  },
  {
    name: 'a PNG sent with a lying MIME type',
    make: () => sharp(dog).png().toBuffer(),
    mime: 'image/jpeg',
    file: 'dog.jpg',
    expect: /^🐶 Boxer/,
  },
  {
    name: 'a PNG decompression bomb (30000×30000)',
    make: () => pngBomb(30_000),
    mime: 'image/png',
    file: 'bomb.png',
    expect: /too large/,
  },
  {
    name: 'a 1×1 image',
    make: () =>
      sharp({ create: { width: 1, height: 1, channels: 3, background: '#888' } })
        .png()
        .toBuffer(),
    mime: 'image/png',
    file: 'dot.png',
    expect: /too small/,
  },
  {
    name: 'a huge but legal photo (7000×5000)',
    make: () => sharp(dog).resize(7000, 5000, { fit: 'fill' }).jpeg({ quality: 70 }).toBuffer(),
    mime: 'image/jpeg',
    file: 'huge.jpg',
    expect: /^🐶 Boxer/,
  },
  {
    name: 'an animated GIF (first frame)',
    make: () => twoFrames().then(animated('gif')),
    mime: 'image/gif',
    file: 'anim.gif',
    expect: BREED,
  },
  {
    name: 'an animated WebP (first frame)',
    make: () => twoFrames().then(animated('webp')),
    mime: 'image/webp',
    file: 'anim.webp',
    expect: BREED,
  },
  {
    name: 'a CMYK JPEG',
    make: () => sharp(dog).toColourspace('cmyk').jpeg().toBuffer(),
    mime: 'image/jpeg',
    file: 'cmyk.jpg',
    expect: /^🐶 Boxer/,
  },
  {
    name: 'a 16-bit PNG',
    make: () => sharp(dog).toColourspace('rgb16').png().toBuffer(),
    mime: 'image/png',
    file: 'deep.png',
    expect: /^🐶 Boxer/,
  },
  {
    name: 'an SVG referencing a URL, sent as image/png',
    make: () =>
      Buffer.from(
        `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="400" height="400"><image xlink:href="${lureUrl}" width="400" height="400"/></svg>`,
      ),
    mime: 'image/png',
    file: 'trap.png',
    expect: /not an image I can read/,
  },
  {
    name: 'an SVG sent as image/svg+xml',
    make: () => Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'),
    mime: 'image/svg+xml',
    file: 'a.svg',
    expect: /not an image I can read/,
  },
  {
    name: 'a file over 20 MB',
    make: () => Buffer.from('x'),
    mime: 'image/jpeg',
    file: 'big.jpg',
    expect: /over 20 MB/,
    size: 21 * 1024 * 1024,
  },
];

for (const c of cases) {
  test(c.name, async () => {
    const text = await sendFile(await c.make(), c.mime, c.file, c.size);
    assert.match(text, c.expect);
  });
}

test('a file deleted before the worker fetched it', async () => {
  const file = h.standIn.addFile(dog, { mimeType: 'image/jpeg' });
  h.standIn.deleteFile(file.file_id);
  const sent = await h.standIn.sendPhoto({ chat, from, file });
  await waitForReplyTo(h.standIn, chat.id, sent.message_id, (t) => /could not download/.test(t), { timeoutMs: 20_000 });
});

test('after all that, the worker still answers a photo', async () => {
  const sent = await h.standIn.sendPhoto({ chat, from, file: dog });
  await waitForReplyTo(h.standIn, chat.id, sent.message_id, (t) => /^🐶 Boxer/.test(t), { timeoutMs: 20_000 });
});

test('a URL in a message is never fetched, and nothing anyone was told contains the token', async () => {
  const sent = h.standIn.sendText({ chat, from, text: lureUrl });
  await waitFor(h.standIn, () => h.standIn.botMessagesIn(chat.id).find((m) => m.message_id > sent.message_id));
  await poll(async () => {
    const counts = await h.app.queue.getJobCounts('active', 'waiting', 'prioritized', 'delayed');
    return Object.values(counts).every((n) => n === 0);
  });
  assert.equal(lureHits, 0, 'the service fetched a URL a person gave it');
  const everything = h.standIn.botMessagesIn(chat.id).flatMap((m) => [m.text ?? '', ...m.editHistory]);
  assert.ok(everything.length > cases.length);
  assert.ok(!everything.some((t) => t.includes(TEST_TOKEN) || t.includes(TEST_TOKEN.split(':')[1] as string)));
  assert.ok(!h.logLines.some((l) => l.includes(TEST_TOKEN.split(':')[1] as string)), 'the token in a log line');
  // The problems were logged for the admin, as structured lines.
  assert.ok(h.logLines.some((l) => /"msg":"bad image"/.test(l) && /"problem":"too-large"/.test(l)));
});
