/**
 * Which file of a message the bot queues: of Telegram's photo sizes, the smallest whose shorter side covers what the
 * models need, else the largest; an image sent as a file as it is; the 20 MB limit checked on what is chosen.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Message, PhotoSize } from 'grammy/types';
import { choosePhotoSize, findPhoto } from '../../src/bot/photo-ref.ts';
import { MAX_DOWNLOAD_BYTES } from '../../src/telegram/index.ts';

/** Telegram's sizes of a width × height photo: the long side scaled to 90, 320, 800, 1280, never up. */
function telegramSizes(width: number, height: number): PhotoSize[] {
  const long = Math.max(width, height);
  const sides = [90, 320, 800, 1280].filter((side) => side < long);
  const scaled = sides.map((side) => [Math.round((width * side) / long), Math.round((height * side) / long)]);
  if (long <= 1280) scaled.push([width, height]);
  return scaled.map(([w = 0, h = 0]) => ({
    file_id: `id-${w}x${h}`,
    file_unique_id: `u-${w}x${h}`,
    width: w,
    height: h,
    file_size: w * h,
  }));
}

const photoMessage = (photo: PhotoSize[]) =>
  ({ message_id: 1, date: 0, chat: { id: 1, type: 'private' }, photo }) as Message;
const chosenSide = (sizes: PhotoSize[], needed: number) => {
  const size = choosePhotoSize(sizes, needed);
  return size && [size.width, size.height];
};

describe('choosePhotoSize', () => {
  it('a camera photo (4:3, portrait or landscape): the 800 px size, the smallest with a shorter side ≥ 416', () => {
    assert.deepEqual(chosenSide(telegramSizes(4032, 3024), 416), [800, 600]);
    assert.deepEqual(chosenSide(telegramSizes(3024, 4032), 416), [600, 800]);
  });

  it('what each model set needs decides: 256 px takes the 320 px size of a square photo, 299 takes 320 too', () => {
    assert.deepEqual(chosenSide(telegramSizes(2000, 2000), 256), [320, 320]);
    assert.deepEqual(chosenSide(telegramSizes(2000, 2000), 299), [320, 320]);
    assert.deepEqual(chosenSide(telegramSizes(2000, 2000), 321), [800, 800]);
    assert.deepEqual(chosenSide(telegramSizes(2000, 2000), 320), [320, 320], 'exactly the side needed is enough');
  });

  it('a panorama: no size has a shorter side of 416, so the largest', () => {
    assert.deepEqual(chosenSide(telegramSizes(6000, 1000), 416), [1280, 213]);
  });

  it('a tiny photo (one size only): that one', () => {
    assert.deepEqual(chosenSide(telegramSizes(60, 40), 416), [60, 40]);
  });

  it('a photo below 1280 px: itself as the largest when no smaller size will do', () => {
    assert.deepEqual(chosenSide(telegramSizes(500, 375), 416), [500, 375]);
    assert.deepEqual(chosenSide(telegramSizes(700, 500), 416), [700, 500]);
  });

  it('the order Telegram lists sizes in does not matter', () => {
    assert.deepEqual(chosenSide(telegramSizes(4032, 3024).reverse(), 416), [800, 600]);
  });

  it('no sizes: nothing', () => {
    assert.equal(choosePhotoSize([], 416), undefined);
  });
});

describe('findPhoto', () => {
  it('queues the chosen size with its ids and size', () => {
    assert.deepEqual(findPhoto(photoMessage(telegramSizes(4032, 3024)), 416), {
      kind: 'photo',
      ref: { fileId: 'id-800x600', fileUniqueId: 'u-800x600', fileSize: 480_000 },
    });
  });

  it('checks the 20 MB limit on the size chosen, not on the largest', () => {
    const sizes = telegramSizes(4032, 3024);
    const largest = sizes.at(-1);
    assert.ok(largest);
    largest.file_size = MAX_DOWNLOAD_BYTES + 1;
    assert.equal(findPhoto(photoMessage(sizes), 416).kind, 'photo');
    assert.equal(findPhoto(photoMessage(sizes), 2000).kind, 'too-big', 'when only the largest will do');
  });

  it('an image sent as a file is taken as it is; other files are refused', () => {
    const document = { file_id: 'doc', file_unique_id: 'udoc', mime_type: 'image/png', file_size: 10 };
    assert.deepEqual(findPhoto({ ...photoMessage([]), photo: undefined, document } as Message, 416), {
      kind: 'photo',
      ref: { fileId: 'doc', fileUniqueId: 'udoc', fileSize: 10 },
    });
    const pdf = { ...document, mime_type: 'application/pdf' };
    assert.equal(
      findPhoto({ ...photoMessage([]), photo: undefined, document: pdf } as Message, 416).kind,
      'not-an-image',
    );
    assert.equal(findPhoto({ ...photoMessage([]), photo: undefined } as Message, 416).kind, 'none');
  });
});
