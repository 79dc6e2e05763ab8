/**
 * /history through the bot: a person's last answers in this chat, newest first (10 at most), each with its top breed
 * and a button that shows that answer again (rendered anew from the kept top-3, as a reply to the list); the buttons
 * are the asker's alone; /forget empties it. Real bot, worker, model and Redis, the Bot API stand-in over HTTP.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { groupChat } from '../../src/playground/bot-api/stand-in.ts';
import type { ChatMessage, UserChat } from '../../src/playground/bot-api/types.ts';
import { PredictionHistory, type PredictionRecord } from '../../src/store/index.ts';
import { type Harness, startHarness } from '../support/app-harness.ts';
import { waitFor } from '../support/poll.ts';
import { BEAGLE, BOXER, buttons, buttonText, GOLDEN, person } from './chat.ts';

let h: Harness;
let kept: PredictionHistory;

before(async () => {
  h = await startHarness({ RATE_LIMIT_PHOTOS: '20' });
  kept = new PredictionHistory({
    redis: h.app.redis,
    prefix: h.config.QUEUE_PREFIX,
    retentionSeconds: h.config.HISTORY_RETENTION_DAYS * 86_400,
    maxRecords: h.config.HISTORY_MAX_RECORDS,
  });
});
after(async () => {
  await h.close();
});

type Person = ReturnType<typeof person>;

const NOT_YOURS = /This button is for the person who asked/;

/** The bot's first message in `chatId` after message `afterId` whose text matches. */
function botMessageAfter(chatId: number, afterId: number, pattern: RegExp): Promise<ChatMessage> {
  return waitFor(
    h.standIn,
    () =>
      h.standIn.botMessagesIn(chatId).find((m) => m.message_id > afterId && pattern.test(m.text ?? m.caption ?? '')),
    { label: `a message after ${afterId} matching ${pattern}` },
  );
}

/** Sends /history and returns the bot's list (or its "no answers" line). */
async function historyOf(who: Person, chat: UserChat = who.chat): Promise<ChatMessage> {
  const command = h.standIn.sendText({ chat, from: who.from, text: '/history' });
  return botMessageAfter(chat.id, command.message_id, /^🕘/);
}

/** The list's lines about answers ("1. 🐶 Beagle — 97% · 2 minutes ago"), in order. */
const answerLines = (list: ChatMessage) => (list.text ?? '').split('\n').filter((line) => /^\d+\. /.test(line));

describe('/history', () => {
  let owner: Person;
  let list: ChatMessage;

  before(async () => {
    owner = person(h);
    for (const photo of [GOLDEN, BOXER, BEAGLE]) await owner.photo(photo);
    list = await historyOf(owner);
  });

  test('lists the answers in this chat, newest first, each with its top breed and a button of its own', () => {
    assert.match(list.text ?? '', /^🕘 Your last 3 answers here, newest first:/);
    const lines = answerLines(list);
    assert.equal(lines.length, 3, list.text);
    assert.match(lines[0] ?? '', /^1\. 🐶 Beagle — \d+% · (just now|1 minute ago)$/);
    assert.match(lines[1] ?? '', /^2\. 🐶 Boxer — \d+% · /);
    assert.match(lines[2] ?? '', /^3\. 🐶 Golden Retriever — \d+% · /);
    const data = buttons(list);
    assert.equal(data.length, 3);
    for (const one of data) assert.match(one, new RegExp(`^hist:\\d{13}:${owner.from.id}$`));
    assert.equal(buttonText(list, data[1] ?? ''), '2. Boxer');
    assert.ok(
      data.every((one) => Buffer.byteLength(one) <= 64),
      'callback data within Telegram’s 64 bytes',
    );
  });

  test('a button shows that answer again, as a reply to the list, with its breed card', async () => {
    const press = owner.press(list.message_id, buttons(list)[1] ?? '');
    await owner.toast(press.id);
    const again = await waitFor(h.standIn, () =>
      h.standIn.botMessagesIn(owner.chat.id).find((m) => m.reply_to_message?.message_id === list.message_id),
    );
    assert.match(
      again.text ?? '',
      /^🕘 My answer, (just now|1 minute ago):\n\n🐶 Boxer — \d+%\n2\. .+ — <?\d+%\n3\. .+ — <?\d+%/,
    );
    assert.deepEqual(buttons(again), ['card:boxer'], 'the ℹ️ card, no 👍/👎');
    assert.ok(
      again.entities?.some((e) => e.type === 'text_link' && e.url === 'https://en.wikipedia.org/wiki/Boxer_(dog)'),
    );
  });

  test('another person’s press is refused, forged or not: nothing is shown', async () => {
    const other = person(h);
    const before = h.standIn.botMessagesIn(owner.chat.id).length;
    const [first] = buttons(list);
    assert.ok(first);
    const press = h.standIn.pressButton({
      chat: owner.chat,
      from: other.from,
      messageId: list.message_id,
      data: first,
    });
    assert.match(await other.toast(press.id), NOT_YOURS);
    const forgedData = first.replace(/:\d+$/, `:${other.from.id}`);
    const forged = h.standIn.pressButton({
      chat: owner.chat,
      from: other.from,
      messageId: list.message_id,
      data: forgedData,
      forged: true,
    });
    assert.match(await other.toast(forged.id), NOT_YOURS);
    // Settled: the owner's /history after the presses is answered, and nothing else came before it.
    const after = await historyOf(owner);
    const since = h.standIn.botMessagesIn(owner.chat.id).slice(before);
    assert.deepEqual(
      since.map((m) => m.message_id),
      [after.message_id],
      'no answer shown again for them',
    );
    // Their own /history has nothing: the answers are the owner's.
    assert.match((await historyOf(other)).text ?? '', /No answers to show here yet/);
  });

  test('in a group, it lists only what was answered there', async () => {
    const chat = groupChat(-800_123);
    assert.match((await historyOf(owner, chat)).text ?? '', /No answers to show here yet/);
  });

  test('/forget empties it: the list is then empty and its old buttons say the answer is gone', async () => {
    const command = owner.text('/forget');
    const prompt = await waitFor(h.standIn, () =>
      h.standIn
        .botMessagesIn(owner.chat.id)
        .find((m) => m.message_id > command.message_id && buttons(m).includes(`forget:y:${owner.from.id}`)),
    );
    owner.press(prompt.message_id, `forget:y:${owner.from.id}`);
    await waitFor(h.standIn, () =>
      /Done/.test(h.standIn.botMessagesIn(owner.chat.id).find((m) => m.message_id === prompt.message_id)?.text ?? ''),
    );
    assert.deepEqual(await kept.recentOf(owner.from.id, owner.chat.id, 10), []);
    assert.equal((await kept.since(0)).filter((r) => r.userId === owner.from.id).length, 0);
    assert.match((await historyOf(owner)).text ?? '', /^🕘 No answers to show here yet/);
    const press = owner.press(list.message_id, buttons(list)[0] ?? '');
    assert.equal(await owner.toast(press.id), 'That answer is no longer kept.');
  });
});

test('/history lists the 10 newest of more, and speaks Russian to a Russian speaker', async () => {
  const someone = person(h, 'ru');
  const now = Date.now();
  const breeds = [
    'beagle',
    'boxer',
    'pug',
    'basenji',
    'papillon',
    'saluki',
    'whippet',
    'borzoi',
    'kelpie',
    'chow',
    'keeshond',
    'malinois',
  ];
  for (const [i, breed] of breeds.entries()) {
    const record: PredictionRecord = {
      jobId: `photo_${someone.chat.id}_${i + 1}`,
      chatId: someone.chat.id,
      userId: someone.from.id,
      fileId: `file-${i}`,
      fileUniqueId: `unique-${i}`,
      model: 'test',
      outcome: i === 0 ? 'not-a-dog' : 'answered',
      isDog: i !== 0,
      dogScore: 0.9,
      top: [{ breed, p: 0.8 }],
      ms: 100,
      // Oldest first, an hour apart; the newest 5 minutes ago.
      at: now - 5 * 60_000 - (breeds.length - 1 - i) * 3_600_000,
    };
    await kept.add(record);
  }
  const list = await historyOf(someone);
  assert.match(list.text ?? '', /^🕘 Ваши последние 10 ответов здесь, сначала новые:/);
  const lines = answerLines(list);
  assert.equal(lines.length, 10);
  assert.match(lines[0] ?? '', /^1\. 🐶 .+ — 80% · 5 минут назад$/);
  assert.match(lines[1] ?? '', /^2\. 🐶 .+ — 80% · 1 час назад$/);
  assert.equal(buttons(list).length, 10);
  const help = someone.text('/help');
  assert.match((await botMessageAfter(someone.chat.id, help.message_id, /\/history/)).text ?? '', /\/history — /);
  const menu = h.standIn.commandMenu('ru').map((c) => c.command);
  assert.ok(menu.includes('history'), `the Russian command menu: ${menu.join(', ')}`);
  assert.ok(h.standIn.commandMenu().some((c) => c.command === 'history' && /answers/.test(c.description)));
});
