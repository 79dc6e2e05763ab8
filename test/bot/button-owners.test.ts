/**
 * Buttons belong to whoever may press them: /forget's Yes/No and /language's choices to the person who sent the
 * command, the feedback buttons under an answer (👍, 👎, a pick, the pages, Back) to the photo's sender. A press by
 * anyone else — in a group, or forged across private chats — is answered with a toast and changes nothing; buttons
 * sent before owners were encoded still work for the person of a private chat.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Api, InlineKeyboard } from 'grammy';
import { groupChat } from '../../src/playground/bot-api/stand-in.ts';
import type { User, UserChat } from '../../src/playground/bot-api/types.ts';
import type { PersonalData } from '../../src/store/index.ts';
import { type Harness, startHarness, TEST_TOKEN } from '../support/app-harness.ts';
import { poll, waitFor } from '../support/poll.ts';
import { ANSWER, BOXER, buttons, complete, GOLDEN, person, personalDataOf, photoBytes } from './chat.ts';

let h: Harness;
let stored: PersonalData;

before(async () => {
  h = await startHarness({ RATE_LIMIT_PHOTOS: '20' });
  stored = personalDataOf(h);
});
after(async () => {
  await h.close();
});

const NOT_YOURS = /This button is for the person who asked/;
const NOT_YOURS_RU = /Эта кнопка — для того, кто спрашивал/;
const OWNER_UNKNOWN = /older message: send the command again/;

type Person = ReturnType<typeof person>;

let nextGroupId = -700_000;
const group = () => groupChat(nextGroupId--);

/** What a bot message shows: its text and its buttons. */
function shown(chat: UserChat, messageId: number) {
  const message = h.standIn.botMessagesIn(chat.id).find((m) => m.message_id === messageId);
  return { text: message?.text ?? message?.caption, buttons: buttons(message) };
}

/** Once every update sent so far in `chat` has been handled: the bot has answered a /help sent after them. */
async function settled(chat: UserChat, from: User): Promise<void> {
  const help = h.standIn.sendText({ chat, from, text: '/help' });
  await waitFor(h.standIn, () => h.standIn.botMessagesIn(chat.id).some((m) => m.message_id > help.message_id));
}

/**
 * Presses each of `data` as `intruder` under a message that is not theirs: each is answered with `toast`, and once
 * the chat has settled the message shows what it showed before.
 */
async function refused(chat: UserChat, intruder: Person, messageId: number, data: string[], toast = NOT_YOURS) {
  const before = shown(chat, messageId);
  for (const one of data) {
    const query = h.standIn.pressButton({ chat, from: intruder.from, messageId, data: one });
    assert.match(await intruder.toast(query.id), toast, `the press on ${one}`);
  }
  await settled(chat, intruder.from);
  assert.deepEqual(shown(chat, messageId), before, 'the message is unchanged');
}

/** The bot's newest message in `chat` after `afterId` whose buttons include `data`. */
function promptWith(chat: UserChat, afterId: number, data: string) {
  return waitFor(h.standIn, () =>
    h.standIn.botMessagesIn(chat.id).find((m) => m.message_id > afterId && buttons(m).includes(data)),
  );
}

/** Two people, each with a language choice kept (what /forget would delete). */
async function twoPeopleWithData() {
  const owner = person(h);
  const other = person(h);
  await stored.languages.set(owner.from.id, 'en');
  await stored.languages.set(other.from.id, 'ru');
  return { owner, other };
}

/** The bot as it sent buttons before they carried an owner: a message with legacy callback data, in `member`'s chat. */
async function legacyPrompt(chat: UserChat, member: User, text: string, keyboard: InlineKeyboard) {
  await settled(chat, member);
  const api = new Api(TEST_TOKEN, { apiRoot: h.standIn.apiRoot });
  return api.sendMessage(chat.id, text, { reply_markup: keyboard });
}

describe('/forget', () => {
  test('in a group, another member pressing Yes or No is refused: nobody’s data goes, the prompt stays', async () => {
    const { owner, other } = await twoPeopleWithData();
    const chat = group();
    const command = h.standIn.sendText({ chat, from: owner.from, text: '/forget' });
    const yes = `forget:y:${owner.from.id}`;
    const prompt = await promptWith(chat, command.message_id, yes);
    assert.deepEqual(buttons(prompt), [yes, `forget:n:${owner.from.id}`]);

    // The other member speaks Russian (their kept choice): so does their toast.
    await refused(chat, other, prompt.message_id, [yes, `forget:n:${owner.from.id}`], NOT_YOURS_RU);
    assert.equal(await stored.languages.get(other.from.id), 'ru', 'the presser’s data is kept');
    assert.equal(await stored.languages.get(owner.from.id), 'en', 'the owner’s data is kept');

    h.standIn.pressButton({ chat, from: owner.from, messageId: prompt.message_id, data: yes });
    await waitFor(h.standIn, () => /Done/.test(shown(chat, prompt.message_id).text ?? ''));
    assert.equal(await stored.languages.get(owner.from.id), undefined, 'the owner’s press still works');
    assert.equal(await stored.languages.get(other.from.id), 'ru');
  });

  test('a press forged across private chats is refused; the owner’s No still works', async () => {
    const { owner, other } = await twoPeopleWithData();
    const command = owner.text('/forget');
    const prompt = await promptWith(owner.chat, command.message_id, `forget:y:${owner.from.id}`);
    await refused(owner.chat, other, prompt.message_id, [`forget:y:${owner.from.id}`], NOT_YOURS_RU);
    assert.equal(await stored.languages.get(owner.from.id), 'en');
    assert.equal(await stored.languages.get(other.from.id), 'ru');

    owner.press(prompt.message_id, `forget:n:${owner.from.id}`);
    await waitFor(h.standIn, () => /nothing was deleted/.test(shown(owner.chat, prompt.message_id).text ?? ''));
    assert.equal(await stored.languages.get(owner.from.id), 'en');
  });

  test('a press forged with the presser’s own id on someone else’s prompt is refused: the prompt stays', async () => {
    const { owner, other } = await twoPeopleWithData();
    const chat = group();
    const command = h.standIn.sendText({ chat, from: owner.from, text: '/forget' });
    const prompt = await promptWith(chat, command.message_id, `forget:y:${owner.from.id}`);
    const before = shown(chat, prompt.message_id);
    for (const data of [`forget:y:${other.from.id}`, `forget:n:${other.from.id}`]) {
      const query = h.standIn.pressButton({ chat, from: other.from, messageId: prompt.message_id, data, forged: true });
      assert.match(await other.toast(query.id), NOT_YOURS_RU, `the press on ${data}`);
    }
    await settled(chat, other.from);
    assert.deepEqual(shown(chat, prompt.message_id), before, 'the prompt is unchanged, its buttons there');
    assert.equal(await stored.languages.get(owner.from.id), 'en');
    assert.equal(await stored.languages.get(other.from.id), 'ru', 'a forged press deletes not even the presser’s data');

    h.standIn.pressButton({ chat, from: owner.from, messageId: prompt.message_id, data: `forget:n:${owner.from.id}` });
    await waitFor(h.standIn, () => /nothing was deleted/.test(shown(chat, prompt.message_id).text ?? ''));
  });

  test('an old prompt without an owner works for the person of a private chat, and is refused kindly in a group', async () => {
    const { owner, other } = await twoPeopleWithData();
    const legacy = new InlineKeyboard().text('Yes', 'forget:y').text('No', 'forget:n');
    const inPrivate = await legacyPrompt(owner.chat, owner.from, 'Delete everything?', legacy);
    await refused(owner.chat, other, inPrivate.message_id, ['forget:y'], NOT_YOURS_RU);
    assert.equal(await stored.languages.get(owner.from.id), 'en');

    const chat = group();
    const inGroup = await legacyPrompt(chat, owner.from, 'Delete everything?', legacy);
    await refused(chat, owner, inGroup.message_id, ['forget:y'], OWNER_UNKNOWN);
    assert.equal(await stored.languages.get(owner.from.id), 'en', 'nothing deleted when the owner is unknown');

    owner.press(inPrivate.message_id, 'forget:y');
    await waitFor(h.standIn, () => /Done/.test(shown(owner.chat, inPrivate.message_id).text ?? ''));
    assert.equal(await stored.languages.get(owner.from.id), undefined);
    assert.equal(await stored.languages.get(other.from.id), 'ru');
  });
});

describe('/language', () => {
  test('in a group and across private chats, only the person who asked chooses their language', async () => {
    const owner = person(h);
    const other = person(h);
    const chat = group();
    const command = h.standIn.sendText({ chat, from: owner.from, text: '/language' });
    const ru = `lang:ru:${owner.from.id}`;
    const menu = await promptWith(chat, command.message_id, ru);
    assert.deepEqual(buttons(menu), [`lang:en:${owner.from.id}`, ru]);
    await refused(chat, other, menu.message_id, [ru]);
    assert.equal(await stored.languages.get(other.from.id), undefined, 'the presser’s language is not set');
    assert.equal(await stored.languages.get(owner.from.id), undefined);

    const privateCommand = owner.text('/language');
    const privateMenu = await promptWith(owner.chat, privateCommand.message_id, ru);
    await refused(owner.chat, other, privateMenu.message_id, [ru]);
    assert.equal(await stored.languages.get(other.from.id), undefined);

    h.standIn.pressButton({ chat, from: owner.from, messageId: menu.message_id, data: ru });
    await waitFor(h.standIn, () => /по-русски/.test(shown(chat, menu.message_id).text ?? ''));
    assert.equal(await stored.languages.get(owner.from.id), 'ru');
  });

  test('an old menu without an owner works for the person of a private chat only', async () => {
    const owner = person(h);
    const other = person(h);
    const legacy = new InlineKeyboard().text('English', 'lang:en').text('Русский', 'lang:ru');
    const menu = await legacyPrompt(owner.chat, owner.from, 'Choose my language:', legacy);
    await refused(owner.chat, other, menu.message_id, ['lang:ru']);
    assert.equal(await stored.languages.get(other.from.id), undefined);
    owner.press(menu.message_id, 'lang:ru');
    await poll(async () => ((await stored.languages.get(owner.from.id)) === 'ru' ? true : undefined));
  });
});

describe('feedback buttons', () => {
  test('in a group, only the photo’s sender judges the answer and moves its buttons', async () => {
    const owner = person(h);
    const other = person(h);
    const chat = group();
    const sent = await h.standIn.sendPhoto({
      chat,
      from: owner.from,
      file: await photoBytes(GOLDEN),
      caption: `@${h.standIn.me.username} what breed?`,
    });
    const answer = await waitFor(
      h.standIn,
      () =>
        h.standIn
          .botMessagesIn(chat.id)
          .find((m) => m.reply_to_message?.message_id === sent.message_id && ANSWER.test(m.text ?? '') && complete(m)),
      { timeoutMs: 20_000 },
    );
    const id = answer.message_id;
    await refused(chat, other, id, ['fb:y', 'fb:n']);
    assert.equal(await stored.feedback.get(other.from.id, chat.id, id), undefined, 'no feedback stored');
    assert.equal(await stored.awaiting.get(other.from.id, chat.id), undefined, 'no correction awaited');

    // The owner's 👎 brings the corrections; the other member cannot pick, page or go back.
    h.standIn.pressButton({ chat, from: owner.from, messageId: id, data: 'fb:n' });
    const corrections = await waitFor(h.standIn, () => {
      const now = shown(chat, id);
      return now.buttons.includes('fbp:1') ? now : undefined;
    });
    const pick = corrections.buttons.find((d) => d.startsWith('fb:b:')) as string;
    await refused(chat, other, id, [pick, 'fbp:1', 'fb:back']);
    assert.equal(await stored.feedback.get(other.from.id, chat.id, id), undefined);
    const ownersVerdict = await stored.feedback.get(owner.from.id, chat.id, id);
    assert.equal(ownersVerdict?.verdict, 'wrong');
    assert.equal(ownersVerdict?.correctBreed, undefined, 'the owner’s record is untouched');

    h.standIn.pressButton({ chat, from: owner.from, messageId: id, data: 'fbp:1' });
    await waitFor(h.standIn, () => shown(chat, id).buttons.includes('fbp:2'));
    h.standIn.pressButton({ chat, from: owner.from, messageId: id, data: 'fb:b:affenpinscher' });
    await poll(async () =>
      (await stored.feedback.get(owner.from.id, chat.id, id))?.correctBreed === 'affenpinscher' ? true : undefined,
    );
  });

  test('a press forged on someone else’s private answer is refused and stores nothing', async () => {
    const owner = person(h);
    const other = person(h);
    const { answer } = await owner.photo(BOXER);
    const id = answer.message_id;
    await refused(owner.chat, other, id, ['fb:y', 'fb:n']);
    assert.equal(await stored.feedback.get(other.from.id, owner.chat.id, id), undefined);
    assert.equal(await stored.awaiting.get(other.from.id, owner.chat.id), undefined);

    const query = owner.press(id, 'fb:y');
    assert.match(await owner.toast(query.id), /Glad I got it right/);
    assert.equal((await stored.feedback.get(owner.from.id, owner.chat.id, id))?.verdict, 'right');
  });
});
