/**
 * `dog-breeds export-feedback`: feedback given through the buttons becomes a Kaggle-layout training set — the photos
 * downloaded again through the Bot API (the stand-in's file download), `labels.csv` with the confirmed breeds; for one
 * dog of several, that dog's crop.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { exportFeedbackCommand, selectLabels } from '../../src/cli/commands/export-feedback.ts';
import { type FeedbackRecord, FeedbackStore, type PersonalData } from '../../src/store/index.ts';
import { deleteKeysWithPrefix, type Harness, startHarness } from '../support/app-harness.ts';
import { captureCli } from '../support/cli-context.ts';
import { sideBySide } from '../support/compose.ts';
import { poll } from '../support/poll.ts';
import { tempDirs } from '../support/temp-dirs.ts';
import { ANSWER, BEAGLE, BOXER, buttons, GOLDEN, person, personalDataOf, photoBytes } from './chat.ts';

let h: Harness;
let stored: PersonalData;

before(async () => {
  h = await startHarness({ RATE_LIMIT_PHOTOS: '20' });
  stored = personalDataOf(h);
});
const temp = tempDirs();
after(async () => {
  await h.close();
  await temp.removeAll();
});

/** A CLI context on the harness's configuration, capturing what the command prints. */
const cli = () => captureCli(h.config);

const feedbackCount = (n: number) =>
  poll(async () => ((await stored.feedback.since(0)).length === n ? true : undefined));

test('export-feedback writes train/<id>.jpg and labels.csv with the confirmed breeds; a re-run skips what is there', async () => {
  const a = person(h);
  const b = person(h);
  // 👍 on a Golden Retriever: labelled golden_retriever.
  const golden = await a.photo(GOLDEN);
  a.press(golden.answer.message_id, 'fb:y');
  // 👎 on a Boxer, corrected to the model's second guess: labelled with the correction.
  const boxer = await a.photo(BOXER);
  a.press(boxer.answer.message_id, 'fb:n');
  const offered = await a.keyboard(boxer.answer.message_id, (data) => data.includes('fbp:1'));
  const correction = (buttons(offered)[0] as string).slice('fb:b:'.length);
  a.press(boxer.answer.message_id, `fb:b:${correction}`);
  // 👎 without a correction: nothing to learn, skipped.
  const beagle = await b.photo(BEAGLE);
  b.press(beagle.answer.message_id, 'fb:n');
  // 👍 on a PNG sent as a file: exported as JPEG all the same.
  const png = await sharp(await photoBytes(GOLDEN))
    .png()
    .toBuffer();
  const document = h.standIn.sendDocument({
    chat: b.chat,
    from: b.from,
    file: png,
    mimeType: 'image/png',
    fileName: 'dog.png',
  });
  const pngAnswer = await b.replyTo(document.message_id, ANSWER);
  b.press(pngAnswer.message_id, 'fb:y');
  await feedbackCount(4);
  await poll(async () =>
    (await stored.feedback.get(a.from.id, a.chat.id, boxer.answer.message_id))?.correctBreed ? true : undefined,
  );
  const pngId = document.document?.file_unique_id as string;

  const dir = await temp.make('export');
  const first = cli();
  const downloadsBefore = h.standIn.downloads.length;
  assert.equal(await exportFeedbackCommand({ out: dir }, first), 0);
  assert.equal(h.standIn.downloads.length - downloadsBefore, 3, 'each exported photo downloaded once');
  assert.match(
    first.printed(),
    /exported 3 photos .*\(3 downloaded, 0 already there, 0 failed; 1 👎 without a correction skipped\)/,
  );

  const expected = [
    [golden.fileUniqueId, 'golden_retriever'],
    [boxer.fileUniqueId, correction],
    [pngId, 'golden_retriever'],
  ].sort((x, y) => (x[0] as string).localeCompare(y[0] as string));
  assert.equal(
    await readFile(path.join(dir, 'labels.csv'), 'utf8'),
    `id,breed\n${expected.map((row) => row.join(',')).join('\n')}\n`,
  );
  assert.deepEqual((await readdir(path.join(dir, 'train'))).sort(), expected.map(([id]) => `${id}.jpg`).sort());
  // The JPEG photos are the very bytes people sent; the PNG became a JPEG of the same picture.
  const sentJpeg = h.standIn.fileContent(golden.fileId)?.bytes;
  assert.ok(sentJpeg);
  assert.deepEqual(await readFile(path.join(dir, 'train', `${golden.fileUniqueId}.jpg`)), Buffer.from(sentJpeg));
  const converted = await readFile(path.join(dir, 'train', `${pngId}.jpg`));
  assert.equal((await sharp(converted).metadata()).format, 'jpeg');

  // Resumable: a second run downloads nothing and writes the same labels.
  const second = cli();
  const downloadsBetween = h.standIn.downloads.length;
  assert.equal(await exportFeedbackCommand({ out: dir }, second), 0);
  assert.equal(h.standIn.downloads.length, downloadsBetween);
  assert.match(second.printed(), /exported 3 photos .*\(0 downloaded, 3 already there, 0 failed/);

  // --only-wrong: just the correction.
  const wrongDir = await temp.make('export-wrong');
  const third = cli();
  assert.equal(await exportFeedbackCommand({ out: wrongDir, onlyWrong: true }, third), 0);
  assert.equal(
    await readFile(path.join(wrongDir, 'labels.csv'), 'utf8'),
    `id,breed\n${boxer.fileUniqueId},${correction}\n`,
  );
  assert.match(third.printed(), /2 👍 left out/);
});

test('labels: 👍 takes the top-1, 👎 the correction, 👎 alone is skipped, the latest word on a photo wins', () => {
  const base = { chatId: 1, messageId: 1, ownerId: 1, fileId: 'f', model: 'm' };
  const top = [
    { breed: 'boxer', p: 0.6 },
    { breed: 'bull_mastiff', p: 0.3 },
  ];
  const records: FeedbackRecord[] = [
    { ...base, userId: 1, fileUniqueId: 'A', top, verdict: 'right', at: 1 },
    { ...base, userId: 2, fileUniqueId: 'A', top, verdict: 'wrong', correctBreed: 'bull_mastiff', at: 2 },
    { ...base, userId: 1, fileUniqueId: 'B', top, verdict: 'wrong', at: 3 },
    { ...base, userId: 1, fileUniqueId: 'C', top, verdict: 'right', at: 4 },
  ];
  const all = selectLabels(records);
  assert.deepEqual(
    all.photos.map((p) => [p.id, p.breed]),
    [
      ['A', 'bull_mastiff'],
      ['C', 'boxer'],
    ],
  );
  assert.equal(all.withoutCorrection, 1);
  assert.deepEqual(
    selectLabels(records, true).photos.map((p) => p.id),
    ['A'],
  );
});

test('feedback on dogs of an answer about several: each dog’s crop with its label, the photo downloaded once', async () => {
  // Records as the 👍/👎 rows of a two-dog answer store them (test/bot/several-dogs.test.ts presses those buttons),
  // under a prefix of their own so this export holds only them.
  const prefix = `${h.config.QUEUE_PREFIX}-dogs`;
  const store = new FeedbackStore({ redis: h.app.redis, prefix, retentionSeconds: 3600 });
  try {
    const { bytes, width, height, spans } = await sideBySide([BEAGLE, BOXER]);
    const photo = { width, height };
    const file = h.standIn.addFile(bytes, { mimeType: 'image/jpeg' });
    const boxes = spans.map((s) => ({ left: s.left + 10, top: 15, width: s.right - s.left - 20, height: height - 30 }));
    const top = [
      { breed: 'boxer', p: 0.9 },
      { breed: 'bull_mastiff', p: 0.05 },
    ];
    const base = { userId: 7, chatId: 7, messageId: 70, ownerId: 7, fileId: file.file_id, model: 'm', top, photo };
    const unique = file.file_unique_id;
    await store.put({ ...base, fileUniqueId: unique, dog: 1, box: boxes[0] ?? null, verdict: 'right', at: Date.now() });
    await store.put({
      ...base,
      fileUniqueId: unique,
      dog: 2,
      box: boxes[1] ?? null,
      verdict: 'wrong',
      correctBreed: 'bull_mastiff',
      at: Date.now(),
    });
    // A dog without a box cannot be cut out: no label rather than the whole photo under its breed.
    await store.put({
      ...base,
      fileUniqueId: unique,
      messageId: 71,
      dog: 1,
      box: null,
      verdict: 'right',
      at: Date.now(),
    });

    const dir = await temp.make('export-dogs');
    const context = { ...cli(), config: { ...h.config, QUEUE_PREFIX: prefix } };
    const downloadsBefore = h.standIn.downloads.length;
    assert.equal(await exportFeedbackCommand({ out: dir }, context), 0);
    assert.equal(h.standIn.downloads.length - downloadsBefore, 1, 'one download for both crops');
    assert.equal(
      await readFile(path.join(dir, 'labels.csv'), 'utf8'),
      `id,breed\n${unique}-1,boxer\n${unique}-2,bull_mastiff\n`,
    );
    for (const [i, box] of boxes.entries()) {
      const crop = await readFile(path.join(dir, 'train', `${unique}-${i + 1}.jpg`));
      const meta = await sharp(crop).metadata();
      assert.equal(meta.format, 'jpeg');
      assert.deepEqual([meta.width, meta.height], [box.width, box.height], `crop ${i + 1} is its box`);
      // The crop is that part of the photo: compare their mean colours.
      const cropMean = (await sharp(crop).stats()).channels.map((c) => c.mean);
      const part = await sharp(bytes).extract(box).png().toBuffer();
      const partMean = (await sharp(part).stats()).channels.map((c) => c.mean);
      for (const [c, mean] of cropMean.entries()) {
        assert.ok(Math.abs(mean - (partMean[c] ?? 0)) < 3, `crop ${i + 1} channel ${c}`);
      }
    }
    // Resumable per crop.
    const again = cli();
    assert.equal(
      await exportFeedbackCommand({ out: dir }, { ...again, config: { ...h.config, QUEUE_PREFIX: prefix } }),
      0,
    );
    assert.match(again.printed(), /exported 2 photos .*\(0 downloaded, 2 already there/);
  } finally {
    await deleteKeysWithPrefix(h.config.REDIS_URL, prefix);
  }
});

test('labels for dogs of several: the latest word on each dog wins, a dog without a box is skipped', () => {
  const base = { chatId: 1, messageId: 1, ownerId: 1, fileId: 'f', model: 'm', photo: { width: 100, height: 50 } };
  const top = [{ breed: 'boxer', p: 0.6 }];
  const box = { left: 0, top: 0, width: 50, height: 50 };
  const records: FeedbackRecord[] = [
    { ...base, userId: 1, fileUniqueId: 'A', top, dog: 1, box, verdict: 'right', at: 1 },
    { ...base, userId: 2, fileUniqueId: 'A', top, dog: 1, box, verdict: 'wrong', correctBreed: 'pug', at: 2 },
    { ...base, userId: 1, fileUniqueId: 'A', top, dog: 2, box, verdict: 'right', at: 3 },
    { ...base, userId: 1, fileUniqueId: 'A', top, verdict: 'right', at: 4 },
    { ...base, userId: 1, fileUniqueId: 'B', top, dog: 1, box: null, verdict: 'right', at: 5 },
  ];
  assert.deepEqual(
    selectLabels(records).photos.map((p) => [p.id, p.breed, p.crop?.box.width ?? null]),
    [
      ['A-1', 'pug', 50],
      ['A-2', 'boxer', 50],
      ['A', 'boxer', null],
    ],
  );
});

test('export-feedback without BOT_TOKEN says what it needs', async () => {
  const context = { ...cli(), config: { ...h.config, BOT_TOKEN: undefined } };
  const dir = await temp.make('export-none');
  assert.equal(await exportFeedbackCommand({ out: dir }, context), 2);
});
