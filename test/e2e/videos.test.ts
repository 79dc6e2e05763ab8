/**
 * Videos end to end, the service as deployed: a bot process and a worker process (`src/main.ts bot|worker`) against
 * the Bot API stand-in and Redis. Videos that cannot be read, or are heavy — ten hours long, 4K at 120 fps, random
 * bytes, black — each get their kind message (or, read, an answer) and the worker keeps serving: a dog's video sent
 * after them is answered. A 20 MB video is read with the worker's peak memory measured and bounded (the decoding is
 * ffmpeg's, in its own bounded process; the worker holds the file and a few frames): measured first, before the 4K
 * clip, whose frames would raise the high-water mark. A worker without ffmpeg says so
 * once on start, answers a video with a kind note and photos as usual. The bot token is in no output.
 */
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { privateChat, user } from '../../src/playground/bot-api/stand-in.ts';
import type { ChatMessage } from '../../src/playground/bot-api/types.ts';
import { MAX_DOWNLOAD_BYTES } from '../../src/telegram/index.ts';
import { TEST_TOKEN } from '../support/app-harness.ts';
import { image } from '../support/paths.ts';
import { waitFor } from '../support/poll.ts';
import { type Scenario, startScenario } from '../support/reliability-setup.ts';
import { MB, type ServiceProcess, startBotAndWorker } from '../support/service-process.ts';
import { tempDirs } from '../support/temp-dirs.ts';
import { blackClip, ffmpeg, fourK120, longClip, photosOf, randomFile, slideshow } from '../support/videos.ts';

const REPLY_TIMEOUT_MS = 180_000;
/**
 * The most the worker's peak resident memory may grow while it reads a 20 MB video, after a first video warmed it
 * up: the file, its frames and their crops are a few tens of MB; the decoding itself happens in ffmpeg's process.
 */
const MAX_PEAK_GROWTH_BYTES = 200 * MB;

const temp = tempDirs();
let dir: string;
let nextUserId = 77_000;

before(async () => {
  dir = await temp.make('e2e-videos');
});
after(() => temp.removeAll());

function person() {
  const from = user(nextUserId++);
  return { from, chat: privateChat(from) };
}

/** The bot's reply to `messageId` in the person's chat, once its text or caption matches. */
function replyTo(s: Scenario, chatId: number, messageId: number, pattern: RegExp): Promise<ChatMessage> {
  return waitFor(
    s.standIn,
    () =>
      s.standIn
        .botMessagesIn(chatId)
        .find((m) => m.reply_to_message?.message_id === messageId && pattern.test(m.caption ?? m.text ?? '')),
    { label: `a reply to ${messageId} matching ${pattern}`, timeoutMs: REPLY_TIMEOUT_MS },
  );
}

/**
 * A video of about 18 MB, under the Bot API's 20 MB: a beagle at 1920×1080 for 9 s, with moving film grain so that
 * every frame costs its bits (16 Mbit/s).
 */
async function heavyVideo(): Promise<string> {
  const [beagle] = await photosOf('beagle');
  assert.ok(beagle);
  const out = path.join(dir, 'heavy.mp4');
  const fit = 'scale=1920:1080:force_original_aspect_ratio=decrease,pad=1920:1080:(ow-iw)/2:(oh-ih)/2';
  await ffmpeg([
    ...['-loop', '1', '-t', '9', '-i', image(beagle), '-vf', `${fit},noise=alls=20:allf=t,format=yuv420p`],
    ...['-r', '25', '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '16M', '-maxrate', '16M', '-bufsize', '16M'],
    out,
  ]);
  return out;
}

describe('videos through a bot process and a worker process', () => {
  let s: Scenario;
  let worker: ServiceProcess;
  let bot: ServiceProcess;

  before(async () => {
    s = await startScenario();
    ({ bot, worker } = await startBotAndWorker({ ...s.env, RATE_LIMIT_PHOTOS: '30' }));
  });
  after(async () => {
    await Promise.all([bot?.stop(), worker?.stop()]);
    await s?.close();
  });

  test('a 20 MB video: answered, the worker’s peak memory bounded', async () => {
    const file = await heavyVideo();
    const { size } = await stat(file);
    assert.ok(size > 12 * MB && size <= MAX_DOWNLOAD_BYTES, `the video has ${(size / MB).toFixed(1)} MB`);
    // A first, small video warms the worker up (the models' buffers, ffmpeg's first run): then the high-water mark.
    const p = person();
    const warmUp = await slideshow(dir, (await photosOf('beagle')).slice(0, 2), { name: 'warm-up.mp4' });
    const first = s.standIn.sendVideo({ ...p, file: await readFile(warmUp) });
    await replyTo(s, p.chat.id, first.message_id, /of your video\.$/);
    const before = await worker.peakRssBytes();
    const sent = s.standIn.sendVideo({ ...p, file: await readFile(file), width: 1920, height: 1080, duration: 9 });
    const answer = await replyTo(s, p.chat.id, sent.message_id, /of your video\.$/);
    assert.ok(answer.photo);
    const peak = await worker.peakRssBytes();
    const growth = peak - before;
    // The figure, for the README: printed with the test's output.
    console.log(
      `worker peak RSS: ${(before / MB).toFixed(0)} MB before, ${(peak / MB).toFixed(0)} MB after a ` +
        `${(size / MB).toFixed(1)} MB video (+${(growth / MB).toFixed(0)} MB)`,
    );
    assert.ok(growth <= MAX_PEAK_GROWTH_BYTES, `peak grew by ${(growth / MB).toFixed(0)} MB`);
  });

  test('hard videos each get their kind message or an answer; the worker keeps serving', async () => {
    const p = person();
    const clips = [
      { file: await longClip(dir), expect: /longer than 10 minutes/ },
      { file: await randomFile(dir), expect: /could not find any picture/ },
      { file: await blackClip(dir), expect: /too dark or blurred/ },
      // Heavy but within the bounds: read, and answered (a test pattern: no dog).
      { file: await fourK120(dir), expect: /From \d+ frames? of your video\.$/ },
    ];
    const sent = await Promise.all(
      clips.map(async (clip) => ({ clip, message: s.standIn.sendVideo({ ...p, file: await readFile(clip.file) }) })),
    );
    await Promise.all(sent.map(({ clip, message }) => replyTo(s, p.chat.id, message.message_id, clip.expect)));
    const dogs = await slideshow(dir, (await photosOf('beagle')).slice(1, 3), { name: 'after.mp4' });
    const after = s.standIn.sendVideo({ ...p, file: await readFile(dogs) });
    const answer = await replyTo(s, p.chat.id, after.message_id, /of your video\.$/);
    assert.match(answer.caption ?? '', /Beagle/);
    assert.equal(worker.child.exitCode, null, 'the worker runs on');
  });

  test('the bot token is in no output of either process', () => {
    for (const service of [bot, worker]) {
      assert.ok(!service.stdout().includes(TEST_TOKEN) && !service.stderr().includes(TEST_TOKEN), service.role);
    }
  });
});

describe('a worker without ffmpeg', () => {
  let s: Scenario;
  let worker: ServiceProcess;
  let bot: ServiceProcess;

  before(async () => {
    s = await startScenario();
    ({ bot, worker } = await startBotAndWorker(s.env, { FFMPEG_PATH: '/nowhere/ffmpeg' }));
  });
  after(async () => {
    await Promise.all([bot?.stop(), worker?.stop()]);
    await s?.close();
  });

  test('says so once on start; a video gets a kind note, a photo its answer', async () => {
    // Said once the models are loaded, as the worker looks for ffmpeg.
    await worker.waitForLog(/ffmpeg\/ffprobe not found/);
    const warnings = worker
      .stdout()
      .split('\n')
      .filter((line) => line.includes('ffmpeg/ffprobe not found'));
    assert.equal(warnings.length, 1, 'one start-up line');
    assert.match(warnings[0] ?? '', /"level":"warn"/);
    const p = person();
    const [beagle] = await photosOf('beagle');
    assert.ok(beagle);
    const clip = await slideshow(dir, [beagle], { name: 'no-ffmpeg.mp4' });
    const video = s.standIn.sendVideo({ ...p, file: await readFile(clip) });
    await replyTo(s, p.chat.id, video.message_id, /can't watch videos right now/);
    const photo = await s.standIn.sendPhoto({ ...p, file: await readFile(image(beagle)) });
    await replyTo(s, p.chat.id, photo.message_id, /Beagle/);
  });
});
