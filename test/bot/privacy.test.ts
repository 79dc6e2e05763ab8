/**
 * /forget end to end: after a confirmation it deletes everything kept about the person — answer history, answer
 * contexts, feedback, language choice, a pending correction, finished jobs — and nobody else's.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { PersonalData } from '../../src/store/index.ts';
import { type Harness, startHarness } from '../support/app-harness.ts';
import { poll, waitFor } from '../support/poll.ts';
import { buttons, GOLDEN, person, personalDataOf } from './chat.ts';

let h: Harness;
let stored: PersonalData;

before(async () => {
  h = await startHarness({ RATE_LIMIT_PHOTOS: '20' });
  stored = personalDataOf(h);
});
after(async () => {
  await h.close();
});

/** A person with two answers, 👍 on one, 👎 pending a typed name on the other, and Russian chosen. */
async function personWithData() {
  const p = person(h);
  const first = await p.photo(GOLDEN);
  const second = await p.photo(GOLDEN);
  // The language first: any command ends a pending correction (the 👎 below starts one).
  p.text('/language ru');
  await poll(async () => ((await stored.languages.get(p.from.id)) === 'ru' ? true : undefined));
  p.press(first.answer.message_id, 'fb:y');
  p.press(second.answer.message_id, 'fb:n');
  await poll(async () =>
    (await stored.feedback.since(0)).filter((r) => r.userId === p.from.id).length === 2 &&
    (await stored.languages.get(p.from.id)) === 'ru' &&
    (await stored.awaiting.get(p.from.id, p.chat.id)) !== undefined
      ? true
      : undefined,
  );
  await poll(async () =>
    (await h.app.history.since(0)).filter((r) => r.userId === p.from.id).length === 2 ? true : undefined,
  );
  return { p, first, second };
}

test('/forget asks first, then deletes history, feedback, language and pending state — only this person’s', async () => {
  const { p, first } = await personWithData();
  const other = await personWithData();

  const command = p.text('/forget');
  // The buttons carry their owner: only this person may answer (button-owners.test.ts).
  const [yes, no] = [`forget:y:${p.from.id}`, `forget:n:${p.from.id}`];
  const confirm = await waitFor(h.standIn, () =>
    h.standIn.botMessagesIn(p.chat.id).find((m) => m.message_id > command.message_id && buttons(m).includes(yes)),
  );
  assert.match(confirm.text ?? '', /Удалить всё, что я храню о вас/, 'asked in the chosen language');
  assert.deepEqual(buttons(confirm), [yes, no]);
  p.press(confirm.message_id, yes);
  const done = await waitFor(h.standIn, () => {
    const text = p.message(confirm.message_id)?.text ?? '';
    return /Готово/.test(text) ? text : undefined;
  });
  assert.match(done, /ответов — 2, отзывов — 2, завершённых заданий — 2, а также выбранный язык/);

  assert.equal((await h.app.history.since(0)).filter((r) => r.userId === p.from.id).length, 0);
  assert.equal((await stored.feedback.since(0)).filter((r) => r.userId === p.from.id).length, 0);
  assert.equal(await stored.languages.get(p.from.id), undefined);
  assert.equal(await stored.awaiting.get(p.from.id, p.chat.id), undefined);
  assert.equal(await stored.answers.get(p.chat.id, first.answer.message_id), undefined);
  const jobs = await h.app.queue.getJobs(['completed', 'failed']);
  assert.equal(jobs.filter((j) => j?.data.userId === p.from.id).length, 0);

  // The buttons under an old answer now find nothing.
  const query = p.press(first.answer.message_id, 'fb:y');
  assert.match(await p.toast(query.id), /too old for feedback/);

  // Someone else's data is untouched.
  assert.equal((await h.app.history.since(0)).filter((r) => r.userId === other.p.from.id).length, 2);
  assert.equal((await stored.feedback.since(0)).filter((r) => r.userId === other.p.from.id).length, 2);
  assert.equal(await stored.languages.get(other.p.from.id), 'ru');
  assert.ok(await stored.answers.get(other.p.chat.id, other.first.answer.message_id));
});

test('/forget, then "Keep it": nothing is deleted', async () => {
  const { p } = await personWithData();
  const command = p.text('/forget');
  const no = `forget:n:${p.from.id}`;
  const confirm = await waitFor(h.standIn, () =>
    h.standIn.botMessagesIn(p.chat.id).find((m) => m.message_id > command.message_id && buttons(m).includes(no)),
  );
  p.press(confirm.message_id, no);
  await waitFor(h.standIn, () => /ничего не удалено/.test(p.message(confirm.message_id)?.text ?? ''));
  assert.equal((await stored.feedback.since(0)).filter((r) => r.userId === p.from.id).length, 2);
  assert.equal(await stored.languages.get(p.from.id), 'ru');
});

test('/help says what is kept, for how long, that photos are not kept, and how to delete it', async () => {
  const p = person(h);
  p.text('/help');
  const help = await waitFor(h.standIn, () =>
    h.standIn.botMessagesIn(p.chat.id).find((m) => /How to use me/.test(m.text ?? '')),
  );
  const text = help.text ?? '';
  assert.match(text, /your photos are not kept/);
  assert.match(text, /each answer \(the photo's Telegram file id, the model and its top-3\) for 7 days/);
  assert.match(text, /feedback \(file id, my answer and your correction\) for 90 days/);
  assert.match(text, /your \/language choice/);
  assert.match(text, /\/forget deletes all of it/);
});
