/**
 * Videos through the bot (issue 25): a video, a GIF (as Telegram delivers it: an MP4 "animation"), a round video note
 * and a video file are queued as photos are and answered once with the frame the vision core was surest of, its
 * caption the answer and "From N frames of your video"; two dogs get the frame with numbered boxes; a video that
 * cannot be read gets a kind message, and the next photo is still answered; one over 20 MB is refused with no job; in
 * groups only when asked; a worker without ffmpeg says so at start, answers videos kindly and photos as usual. All of
 * it real: the bot, BullMQ on Redis, the default vision core, ffmpeg, and the Bot API stand-in over HTTP; the videos
 * are made here with ffmpeg from the shared photos (test/support/videos.ts).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { findVideo } from '../../src/bot/photo-ref.ts';
import { htmlTextLength } from '../../src/i18n/html.ts';
import { loadTexts, type Texts } from '../../src/i18n/texts.ts';
import { groupChat } from '../../src/playground/bot-api/stand-in.ts';
import type { ChatMessage, Message } from '../../src/playground/bot-api/types.ts';
import { photoJobId } from '../../src/queue/index.ts';
import { type AnswerOptions, MAX_CAPTION_LENGTH } from '../../src/reply/render.ts';
import { renderVideoReply, videoProblemText } from '../../src/reply/video.ts';
import type { PersonalData } from '../../src/store/index.ts';
import { MAX_DOWNLOAD_BYTES } from '../../src/telegram/index.ts';
import type { Classification } from '../../src/vision/classification.ts';
import { type Breed, loadBreeds, type VideoClassification, type VideoInputProblem } from '../../src/vision/index.ts';
import { type Harness, logLinesSaying, startHarness, TEST_TOKEN } from '../support/app-harness.ts';
import { MODELS_DIR } from '../support/paths.ts';
import { poll, waitFor } from '../support/poll.ts';
import { tempDirs } from '../support/temp-dirs.ts';
import { audioOnly, ffmpeg, gif, photosOf, slideshow, truncated, twoDogs, videoNote } from '../support/videos.ts';
import { ANSWER, BEAGLE, BOXER, buttons, GOLDEN, person, personalDataOf } from './chat.ts';
import { classification, dog, guess as guessOf, oneDog } from './classifications.ts';

/** Reading a clip is several photos' work, on a machine the other tests share. */
const VIDEO_TIMEOUT_MS = 120_000;
const OVER_LIMIT = 25 * 1024 * 1024;

const temp = tempDirs();
type ClipName = 'beagle' | 'animation' | 'note' | 'twoDogs' | 'truncated' | 'audio';
/** The test videos' bytes, made once for the file. */
let clips: Record<ClipName, Buffer>;

/** A GIF as Telegram turns it into an "animation": H.264 in MP4, no sound, even sides. */
async function asTelegramAnimation(dir: string, gifFile: string): Promise<string> {
  const out = path.join(dir, 'animation.mp4');
  const even = 'scale=trunc(iw/2)*2:trunc(ih/2)*2';
  await ffmpeg(['-i', gifFile, '-vf', even, '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-an', out]);
  return out;
}

async function makeClips(): Promise<typeof clips> {
  const dir = await temp.make('bot-videos');
  const beagles = (await photosOf('beagle')).slice(0, 3);
  const goldens = (await photosOf('golden_retriever')).slice(0, 3);
  const beagleClip = await slideshow(dir, beagles, { name: 'beagle.mp4' });
  const [animation, note, pair, cut, audio] = await Promise.all([
    gif(dir, goldens).then((file) => asTelegramAnimation(dir, file)),
    videoNote(dir, [BOXER]),
    twoDogs(dir, [[BEAGLE, BOXER]], { secondsEach: 3 }),
    truncated(dir, beagleClip, 0.3),
    audioOnly(dir),
  ]);
  return {
    beagle: await readFile(beagleClip),
    animation: await readFile(animation),
    note: await readFile(note),
    twoDogs: await readFile(pair),
    truncated: await readFile(cut),
    audio: await readFile(audio),
  };
}

/** The bot's reply to message `messageId` in `chatId`, once its text or caption matches. */
function replyTo(h: Harness, chatId: number, messageId: number, pattern: RegExp): Promise<ChatMessage> {
  return waitFor(
    h.standIn,
    () =>
      h.standIn
        .botMessagesIn(chatId)
        .find((m) => m.reply_to_message?.message_id === messageId && pattern.test(m.caption ?? m.text ?? '')),
    { label: `a reply to message ${messageId} matching ${pattern}`, timeoutMs: VIDEO_TIMEOUT_MS },
  );
}

/** The first three lines of an answer about one dog: its top-3 breeds. */
const topThree = (answer: ChatMessage) => (answer.caption ?? answer.text ?? '').split('\n').slice(0, 3).join('\n');

/** The job of message `messageId`, once it completed. */
function jobFinished(h: Harness, chatId: number, messageId: number) {
  return poll(
    async () => {
      const job = await h.app.queue.getJob(photoJobId(chatId, messageId));
      return job?.finishedOn !== undefined ? job : undefined;
    },
    { label: `the job of message ${messageId} finished`, timeoutMs: VIDEO_TIMEOUT_MS },
  );
}

const sentPhotosTo = (h: Harness, chatId: number) =>
  h.standIn.calls.filter((c) => c.method === 'sendPhoto' && String(c.params.chat_id) === String(chatId) && !c.error);

describe('which messages hold a video (findVideo)', () => {
  const base = { message_id: 1, date: 0, chat: { id: 1, type: 'private', first_name: 'A' } } as const;
  const file = { file_id: 'f', file_unique_id: 'u', file_size: 1000 };
  const clip = { ...file, width: 640, height: 360, duration: 5 };
  const found = (message: object) => findVideo({ ...base, ...message } as Message);

  test('a video, an animation (before the document Telegram sends beside it), a video note', () => {
    const ref = { fileId: 'f', fileUniqueId: 'u', fileSize: 1000 };
    assert.deepEqual(found({ video: clip }), { kind: 'video', ref, videoKind: 'video' });
    const document = { ...file, file_id: 'doc', mime_type: 'video/mp4' };
    assert.deepEqual(found({ animation: clip, document }), { kind: 'video', ref, videoKind: 'animation' });
    assert.deepEqual(found({ video_note: { ...file, length: 240, duration: 5 } }), {
      kind: 'video',
      ref,
      videoKind: 'video-note',
    });
  });

  test('a document: by its video MIME type, or without one by its extension; anything else is no video', () => {
    for (const mime_type of ['video/mp4', 'video/quicktime', 'video/webm', 'video/x-matroska']) {
      assert.equal(found({ document: { ...file, mime_type } })?.kind, 'video', mime_type);
    }
    assert.equal(found({ document: { ...file, file_name: 'dog.MOV' } })?.kind, 'video');
    assert.equal(found({ document: { ...file, mime_type: 'image/gif', file_name: 'dog.gif' } }), undefined);
    assert.equal(found({ document: { ...file, mime_type: 'application/pdf', file_name: 'dog.mp4' } }), undefined);
    assert.equal(found({ text: 'hi' }), undefined);
  });

  test('over 20 MB: too big, whatever kind', () => {
    const big = { ...clip, file_size: MAX_DOWNLOAD_BYTES + 1 };
    assert.deepEqual(found({ video: big }), { kind: 'video-too-big' });
    assert.deepEqual(found({ video_note: { ...big, length: 240 } }), { kind: 'video-too-big' });
  });
});

describe('the kind messages for videos that cannot be read', () => {
  test('every problem has its words in both languages; too long says the limit', async () => {
    const breeds = await loadBreeds(path.join(MODELS_DIR, 'breeds.json'));
    const texts = await loadTexts(MODELS_DIR, breeds);
    const problems: VideoInputProblem[] = [
      'empty',
      'not-a-video',
      'no-frames',
      'too-long',
      'too-large',
      'too-heavy',
      'no-clear-frame',
    ];
    for (const locale of ['en', 'ru'] as const) {
      for (const problem of problems) {
        const text = videoProblemText(texts, locale, problem, { maxDurationS: 600 });
        assert.doesNotMatch(text, /^\{|\{\$/, `${locale} ${problem}: ${text}`);
      }
    }
    assert.match(videoProblemText(texts, 'en', 'too-long', { maxDurationS: 600 }), /longer than 10 minutes/);
    assert.match(videoProblemText(texts, 'en', 'too-long', { maxDurationS: 45 }), /longer than 45 seconds/);
    assert.match(videoProblemText(texts, 'ru', 'too-long', { maxDurationS: 600 }), /длиннее 10 мин/);
  });
});

describe('the answer about a video (renderVideoReply)', () => {
  const options: AnswerOptions = { sureThreshold: 0.7, unsureThreshold: 0.5, mix: { pairShare: 0.6, minShare: 0.25 } };
  let texts: Texts;
  let breeds: readonly Breed[];
  before(async () => {
    breeds = await loadBreeds(path.join(MODELS_DIR, 'breeds.json'));
    texts = await loadTexts(MODELS_DIR, breeds);
  });
  const guess = (breed: string, p: number) => guessOf(breeds, breed, p);
  const fromVideo = (result: Classification, framesRead = 6): VideoClassification => ({
    ...result,
    video: { framesRead, framesSampled: 8, durationS: 12, shownFrame: { atS: 4.5, jpeg: Buffer.alloc(0) } },
  });

  test('one dog: the usual answer, then the frames line; buttons as for a photo; no boxes', () => {
    const result = fromVideo(oneDog([guess('beagle', 0.9), guess('basset', 0.05), guess('bloodhound', 0.02)]));
    const reply = renderVideoReply(result, 'video', options, texts, 'en', true);
    assert.match(reply.caption ?? '', /^🐶 .*Beagle.* — 90%\n2\. Basset.*\n\n🎬 From 6 frames of your video\.$/s);
    assert.equal(reply.text, reply.caption);
    assert.deepEqual(reply.marks, []);
    assert.deepEqual(buttons({ reply_markup: reply.markup } as ChatMessage), ['fb:y', 'fb:n', 'card:beagle']);
    const one = renderVideoReply(fromVideo(result, 1), 'animation', options, texts, 'en', true);
    assert.match(one.caption ?? '', /From 1 frame of your GIF\.$/);
    const ru = renderVideoReply(result, 'video-note', options, texts, 'ru', true);
    assert.match(ru.caption ?? '', /Ответ по 6 кадрам вашего кружка\.$/);
  });

  test('no dog: says so of the video', () => {
    const reply = renderVideoReply(fromVideo(classification([])), 'video', options, texts, 'en', true);
    assert.match(reply.text, /^🙂 I don't see a dog in this video\./);
  });

  test('sixteen dogs of long names: the caption shortened to leave room for the frames line, within 1024', () => {
    const box = { left: 0, top: 0, width: 10, height: 10 };
    const long = () =>
      dog(
        [
          guess('american_staffordshire_terrier', 0.3),
          guess('staffordshire_bullterrier', 0.25),
          guess('black-and-tan_coonhound', 0.2),
        ],
        box,
        { group: { group: 'fci-3', p: 0.9 } },
      );
    for (const locale of ['en', 'ru'] as const) {
      const crowd = fromVideo(classification(Array.from({ length: 16 }, long), { moreDogs: 14 }));
      const reply = renderVideoReply(crowd, 'video', options, texts, locale, true);
      assert.ok(reply.caption, `${locale}: a caption`);
      assert.ok(htmlTextLength(reply.caption) <= MAX_CAPTION_LENGTH, `${locale}: ${htmlTextLength(reply.caption)}`);
      assert.match(reply.caption, /🎬 .+\.$/);
      assert.equal(reply.marks.length, 16);
    }
  });
});

describe('videos, with ffmpeg', () => {
  let h: Harness;
  let stored: PersonalData;

  before(async () => {
    clips = await makeClips();
    h = await startHarness({ RATE_LIMIT_PHOTOS: '30' });
    stored = personalDataOf(h);
  });
  after(async () => {
    await h?.close();
    await temp.removeAll();
  });

  test('a video of one dog: one reply, the surest frame as a photo, the breed in the top-3, "from N frames"', async () => {
    const p = person(h);
    const sent = h.standIn.sendVideo({ chat: p.chat, from: p.from, file: clips.beagle, duration: 6 });
    const answer = await replyTo(h, p.chat.id, sent.message_id, /From \d+ frames? of your video\.$/);
    assert.ok(answer.photo, 'the answer is the frame, as a photo');
    assert.match(topThree(answer), /Beagle/, `the beagle within the top-3: ${answer.caption}`);
    assert.match(answer.caption ?? '', ANSWER);
    const frames = Number(/From (\d+) frames?/.exec(answer.caption ?? '')?.[1]);
    assert.ok(frames >= 1 && frames <= 8, `frames read: ${frames} (VIDEO_MAX_FRAMES 8)`);
    // Buttons once their context is stored; the feedback is about the frame Telegram stored, not the video.
    const withButtons = await p.keyboard(answer.message_id, (data) => data.includes('fb:y'));
    assert.deepEqual(buttons(withButtons).slice(0, 2), ['fb:y', 'fb:n']);
    const context = await stored.answers.get(p.chat.id, answer.message_id);
    assert.equal(context?.fileId, answer.photo.at(-1)?.file_id, 'the answer context points at the frame sent');
    assert.equal(h.standIn.botMessagesIn(p.chat.id).length, 1, 'one reply');
    // The history knows it was a video (for `reprocess`).
    const [record] = await poll(async () => {
      const records = await h.app.history.recentOf(p.from.id, p.chat.id, 1);
      return records.length > 0 ? records : undefined;
    });
    assert.equal(record?.media, 'video');
    assert.equal(record?.fileId, sent.video?.file_id);
  });

  test('a GIF (Telegram’s MP4 animation, with its document beside it): answered once, "of your GIF"', async () => {
    const p = person(h);
    const sent = h.standIn.sendAnimation({
      chat: p.chat,
      from: p.from,
      file: clips.animation,
      width: 320,
      height: 240,
    });
    assert.ok(sent.document, 'Telegram sends an animation as a document too');
    const answer = await replyTo(h, p.chat.id, sent.message_id, /of your GIF\.$/);
    assert.ok(answer.photo);
    assert.match(topThree(answer), /Golden Retriever/, `${answer.caption}`);
    assert.equal(h.standIn.botMessagesIn(p.chat.id).length, 1);
  });

  test('a round 240×240 video note: answered, "of your video note"; in Russian too', async () => {
    const p = person(h, 'ru');
    const sent = h.standIn.sendVideoNote({ chat: p.chat, from: p.from, file: clips.note, width: 240 });
    const answer = await replyTo(h, p.chat.id, sent.message_id, /кадр\S* вашего кружка\.$/);
    assert.ok(answer.photo);
    assert.match(topThree(answer), /Боксёр|Boxer/i, `${answer.caption}`);
  });

  test('a video file (a document with a video MIME type) is read as a video', async () => {
    const p = person(h);
    const sent = h.standIn.sendDocument({
      chat: p.chat,
      from: p.from,
      file: clips.beagle,
      mimeType: 'video/mp4',
      fileName: 'my dog.mp4',
    });
    const answer = await replyTo(h, p.chat.id, sent.message_id, /of your video\.$/);
    assert.match(topThree(answer), /Beagle/);
  });

  test('two dogs: the frame with numbered boxes, both counted', async () => {
    const p = person(h);
    const sent = h.standIn.sendVideo({ chat: p.chat, from: p.from, file: clips.twoDogs, width: 960, height: 400 });
    const answer = await replyTo(h, p.chat.id, sent.message_id, /of your video\.$/);
    assert.match(answer.caption ?? '', /^🐶 I see 2 dogs/, `${answer.caption}`);
    assert.ok(answer.photo, 'the frame with the numbered boxes');
    const withButtons = await p.keyboard(answer.message_id, (data) => data.includes('fb:y:2'));
    assert.ok(buttons(withButtons).includes('fb:y:1'));
    const context = await stored.answers.get(p.chat.id, answer.message_id);
    assert.equal(context?.dogs?.length, 2);
  });

  test('a truncated video and a sound-only file: kind messages; a photo sent right after is answered', async () => {
    const p = person(h);
    const cut = h.standIn.sendVideo({ chat: p.chat, from: p.from, file: clips.truncated });
    const sound = h.standIn.sendDocument({
      chat: p.chat,
      from: p.from,
      file: clips.audio,
      mimeType: 'video/mp4',
      fileName: 'sound.mp4',
    });
    const kind = /or a photo|MP4 video/;
    const [cutReply, soundReply] = await Promise.all([
      replyTo(h, p.chat.id, cut.message_id, kind),
      replyTo(h, p.chat.id, sound.message_id, kind),
    ]);
    assert.match(cutReply.text ?? '', /^😕/);
    assert.match(soundReply.text ?? '', /could not find any picture/);
    const { answer } = await p.photo(GOLDEN);
    assert.match(answer.text ?? '', /Golden Retriever/);
    assert.equal(logLinesSaying(h.logLines, 'bad video').length, 2, 'each logged as a bad video');
  });

  test('over 20 MB: the kind too-big message, and no job', async () => {
    const p = person(h);
    const file = h.standIn.addFile(Buffer.from('x'), { mimeType: 'video/mp4', reportedSize: OVER_LIMIT });
    const sent = h.standIn.sendVideo({ chat: p.chat, from: p.from, file });
    const reply = await replyTo(h, p.chat.id, sent.message_id, /over 20 MB/);
    assert.match(reply.text ?? '', /That video is over 20 MB.*shorter clip/);
    assert.equal(await h.app.queue.getJob(photoJobId(p.chat.id, sent.message_id)), undefined);
    assert.ok(!h.standIn.calls.some((c) => c.method === 'getFile' && c.params.file_id === file.file_id));
  });

  test('a video Telegram no longer has: asked to send it again', async () => {
    const p = person(h);
    const file = h.standIn.addFile(clips.beagle, { mimeType: 'video/mp4' });
    h.standIn.deleteFile(file.file_id);
    const sent = h.standIn.sendVideo({ chat: p.chat, from: p.from, file });
    const reply = await replyTo(h, p.chat.id, sent.message_id, /send it again/);
    assert.match(reply.text ?? '', /could not download that video/);
  });

  test('in a group: a video without a mention is ignored; /breed as a reply to it, or a mention, is answered', async () => {
    const p = person(h);
    const group = groupChat(-700_000 - p.from.id);
    const video = h.standIn.sendVideo({ chat: group, from: p.from, file: clips.beagle });
    // Privacy mode, as BotFather leaves it: the bot never hears of it, and nothing is queued.
    assert.ok(!h.standIn.updates.some((u) => u.message?.chat.id === group.id));
    assert.equal(await h.app.queue.getJob(photoJobId(group.id, video.message_id)), undefined);
    h.standIn.sendText({ chat: group, from: p.from, text: '/breed', replyTo: video.message_id });
    const answer = await replyTo(h, group.id, video.message_id, /of your video\.$/);
    assert.match(topThree(answer), /Beagle/);
    const mention = `@${h.standIn.me.username} what is it?`;
    const gif = h.standIn.sendAnimation({ chat: group, from: p.from, file: clips.animation, caption: mention });
    await replyTo(h, group.id, gif.message_id, /of your GIF\.$/);
    assert.equal(h.standIn.botMessagesIn(group.id).length, 2);
  });

  test('the same video update delivered twice is answered once', async () => {
    const p = person(h);
    const sent = h.standIn.sendVideo({ chat: p.chat, from: p.from, file: clips.beagle });
    const update = h.standIn.updates.findLast((u) => u.message?.message_id === sent.message_id);
    assert.ok(update);
    h.standIn.pushUpdate(structuredClone(update));
    await waitFor(h.standIn, () =>
      logLinesSaying(h.logLines, 'photo already queued (update delivered again)').some(
        (line) => (JSON.parse(line) as { messageId?: number }).messageId === sent.message_id,
      ),
    );
    const answer = await replyTo(h, p.chat.id, sent.message_id, /of your video\.$/);
    await jobFinished(h, p.chat.id, sent.message_id);
    assert.equal(sentPhotosTo(h, p.chat.id).length, 1);
    assert.equal(h.standIn.botMessagesIn(p.chat.id).length, 1);
    assert.ok(answer.photo);
  });

  test('the bot token is in no log line', () => {
    assert.ok(h.logLines.length > 0);
    assert.deepEqual(
      h.logLines.filter((line) => line.includes(TEST_TOKEN) || line.includes(TEST_TOKEN.split(':')[1] ?? '')),
      [],
    );
  });
});

describe('videos, without ffmpeg (FFMPEG_PATH points nowhere)', () => {
  let h: Harness;

  before(async () => {
    clips ??= await makeClips();
    h = await startHarness({ FFMPEG_PATH: '/nowhere/ffmpeg', FFPROBE_PATH: '/nowhere/ffprobe' });
  });
  after(async () => {
    await h?.close();
    await temp.removeAll();
  });

  test('one start-up warning; a video gets a kind note; photos are answered as usual', async () => {
    const warnings = h.logLines.filter((line) => /ffmpeg\/ffprobe not found/.test(line));
    assert.equal(warnings.length, 1, 'said once');
    assert.match(warnings[0] ?? '', /"level":"warn"/, 'a warning');
    assert.match(warnings[0] ?? '', /photos are answered as usual/);
    const p = person(h);
    const sent: Message = h.standIn.sendVideo({ chat: p.chat, from: p.from, file: clips.beagle });
    const reply = await replyTo(h, p.chat.id, sent.message_id, /can't watch videos right now/);
    assert.equal(reply.photo, undefined);
    const { answer } = await p.photo(BEAGLE);
    assert.match(answer.text ?? '', /Beagle/);
    const finished = await jobFinished(h, p.chat.id, sent.message_id);
    assert.equal(finished.returnvalue?.outcome, 'no-video-decoder');
  });
});
