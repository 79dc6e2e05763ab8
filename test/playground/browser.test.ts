/**
 * The playground in a real browser: headless Chromium (Debian's `chromium` package, driven by playwright-core)
 * against the playground as `npm start` runs it without BOT_TOKEN — the real bot, worker, model and Redis behind
 * the chat page; videos and GIFs made here by ffmpeg from the shared photos. Screenshots go to test-results/.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { configSchema } from '../../src/config/index.ts';
import { type RunningPlayground, startPlayground } from '../../src/playground/start-playground.ts';
import { deleteKeysWithPrefix, REDIS_URL } from '../support/app-harness.ts';
import { sideBySide } from '../support/compose.ts';
import { image, MODELS_DIR, ROOT } from '../support/paths.ts';
import { tempDirs } from '../support/temp-dirs.ts';
import { gif, slideshow } from '../support/videos.ts';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = path.join(ROOT, 'test-results');
const BOXER = image('dogs/boxer-5e7846c317a2.jpg');
const BEAGLE = image('dogs/beagle-4aea27da2a0b.jpg');
const GOLDEN = image('dogs/golden_retriever-778c607c7b99.jpg');
const ANSWER_MS = 30_000;

let playground: RunningPlayground;
let context: BrowserContext;
let page: Page;
let userDataDir: string;
const prefix = `test-playground-${randomUUID().slice(0, 8)}`;
const printed: string[] = [];
const temp = tempDirs();
const pageErrors: string[] = [];

before(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: the browser test needs Debian's package — ` +
        '`apt-get update && apt-get install -y chromium` (.ci/run installs it).',
    );
  }
  const config = configSchema.parse({
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    MODELS_DIR,
    DEVICE: 'cpu',
    PLAYGROUND_PORT: '0',
    OPS_PORT: '0',
    LOG_LEVEL: 'info',
  });
  playground = await startPlayground(config, {
    logDestination: new Writable({ write: (_chunk, _encoding, callback) => callback() }),
    print: (line) => printed.push(line),
  });
  userDataDir = await mkdtemp(path.join(os.tmpdir(), 'dog-breeds-chromium-'));
  await mkdir(SCREENSHOTS, { recursive: true });
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 800 },
    colorScheme: 'light',
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (error) => pageErrors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(`console: ${message.text()}`);
  });
});

after(async () => {
  await context?.close();
  await playground?.stop();
  await deleteKeysWithPrefix(REDIS_URL, prefix);
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
  await temp.removeAll();
});

/**
 * The text of the bot's message replying to the person's message `id`, once it matches. (Page-side code is kept to
 * locators, expressions and functions typed by what they use: the project's TypeScript has no DOM types.)
 */
async function answerTo(id: number, pattern: RegExp): Promise<string> {
  const replies = page.locator(`.msg.from-bot[data-reply-to="${id}"]`);
  try {
    return (await replies.filter({ hasText: pattern }).first().textContent({ timeout: ANSWER_MS })) ?? '';
  } catch (error) {
    const got = await replies.allTextContents();
    throw new Error(`no answer to message ${id} matching ${pattern}; the bot said ${JSON.stringify(got)}`, {
      cause: error,
    });
  }
}

/** Presses Tab (or Shift+Tab) until the expression `isTarget` holds for the focused element. */
async function tabTo(isTarget: string, backwards = false, max = 40): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(backwards ? 'Shift+Tab' : 'Tab');
    if (await page.evaluate<boolean>(`Boolean(${isTarget})`)) return;
  }
  assert.fail(`keyboard focus never reached ${isTarget}`);
}

/** message ids of the person's photo messages, oldest first. */
async function personPhotoIds(): Promise<number[]> {
  const items = await page.locator('.msg.from-person:has(img.photo)').all();
  return Promise.all(items.map(async (li) => Number(await li.getAttribute('data-id'))));
}

const photoBubbles = () => page.locator('.msg.from-person img.photo');
const lastAnswerTo = (id: number) => page.locator(`.msg.from-bot[data-reply-to="${id}"]`).last();

/**
 * Once every photo has loaded (a photo grows when it loads) and the page had a moment to follow: the bottom of the
 * bot's last answer to message `id` (its buttons included) is inside the chat's visible area, with no scrolling.
 */
async function assertAnswerInView(id: number, what: string): Promise<void> {
  await page.evaluate('Promise.all([...document.images].map((img) => img.decode().catch(() => undefined)))');
  await page.waitForTimeout(400);
  const { gap, top } = await page.evaluate<{ gap: number; top: number }>(`(() => {
    const chat = document.getElementById('chat').getBoundingClientRect();
    const answers = document.querySelectorAll('.msg.from-bot[data-reply-to="${id}"]');
    const answer = answers[answers.length - 1].getBoundingClientRect();
    return { gap: answer.bottom - chat.bottom, top: answer.bottom - chat.top };
  })()`);
  assert.ok(gap <= 1, `${what}: the answer's bottom is ${Math.round(gap)} px below the visible chat`);
  assert.ok(top > 0, `${what}: the answer is above the visible chat`);
}

/** Polls a page expression until it holds (page.waitForFunction evaluates strings, which the page's CSP forbids). */
async function until(expression: string, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await page.evaluate<boolean>(`Boolean(${expression})`))) {
    if (Date.now() > end) assert.fail(`waited ${ms} ms for ${what}`);
    await page.waitForTimeout(50);
  }
}

interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Once the toast has shown: it covers no button in view, not the newest message, nor the composer. */
async function assertToastCoversNothing(what: string): Promise<void> {
  await until("getComputedStyle(document.getElementById('toast')).opacity === '1'", 'the toast to show');
  const { toast, covered } = await page.evaluate<{ toast: Rect; covered: string[] }>(`(() => {
    const box = (el) => { const r = el.getBoundingClientRect(); return { x: r.x, y: r.y, width: r.width, height: r.height }; };
    const toast = box(document.getElementById('toast'));
    // What shows of an element: in the chat, only the part inside its scrolled view.
    const chat = box(document.getElementById('chat'));
    const shown = (el) => {
      const r = box(el);
      if (!document.getElementById('chat').contains(el)) return r;
      const top = Math.max(r.y, chat.y);
      const bottom = Math.min(r.y + r.height, chat.y + chat.height);
      return { x: r.x, y: top, width: r.width, height: Math.max(0, bottom - top) };
    };
    const hits = (r) => toast.x < r.x + r.width && r.x < toast.x + toast.width && toast.y < r.y + r.height && r.y < toast.y + toast.height;
    const newest = [...document.querySelectorAll('.msg')].at(-1);
    const targets = [...document.querySelectorAll('.keyboard button, .keyboard a, #composer, #commands')];
    if (newest) targets.push(newest);
    return { toast, covered: targets.filter((el) => hits(shown(el))).map((el) => el.textContent.trim().slice(0, 40) || el.id) };
  })()`);
  assert.ok(toast.width > 0 && toast.height > 0, `${what}: the toast shows`);
  assert.deepEqual(covered, [], `${what}: the toast (${JSON.stringify(toast)}) covers these`);
}

/** Every button label under message `selector` can be read whole: not cut off sideways or below. */
async function assertLabelsWhole(selector: string, what: string): Promise<number> {
  const cut = await page.evaluate<{ count: number; cut: string[] }>(`(() => {
    const buttons = [...document.querySelectorAll(${JSON.stringify(`${selector} .keyboard button`)})];
    const cut = buttons.filter((b) => b.scrollWidth > b.clientWidth || b.scrollHeight > b.clientHeight);
    return { count: buttons.length, cut: cut.map((b) => b.textContent + ': ' + b.scrollWidth + '/' + b.clientWidth + ' × ' + b.scrollHeight + '/' + b.clientHeight) };
  })()`);
  assert.deepEqual(cut.cut, [], `${what}: labels cut off`);
  return cut.count;
}

/** The numbered photo under message `id` is drawn as Telegram draws photos: (almost) as wide as a bubble may be. */
async function assertPhotoFillsBubble(id: number, what: string): Promise<void> {
  const photo = page.locator(`.msg.from-bot[data-reply-to="${id}"] img.photo`).last();
  await photo.evaluate((img: { decode(): Promise<void> }) => img.decode());
  await page.waitForTimeout(200);
  // A bubble's widest: 85% of the chat's column, at most 30rem (style.css).
  const { width, max } = await page.evaluate<{ width: number; max: number }>(`(() => {
    const photos = document.querySelectorAll('.msg.from-bot[data-reply-to="${id}"] img.photo');
    const rem = Number.parseFloat(getComputedStyle(document.documentElement).fontSize);
    const column = document.getElementById('messages').clientWidth;
    return { width: photos[photos.length - 1].getBoundingClientRect().width, max: Math.min(0.85 * column, 30 * rem) };
  })()`);
  assert.ok(
    width >= 0.9 * max,
    `${what}: the photo is ${Math.round(width)} px wide, a bubble up to ${Math.round(max)}`,
  );
}

/** Presses 👍 under the answer to message `id`: the bot's toast shows (aria-live), then fades out. */
async function pressRightAndSeeToast(id: number, screenshot: string): Promise<void> {
  await lastAnswerTo(id).getByRole('button', { name: /👍/ }).first().click();
  const toast = page.locator('#toast');
  await toast.filter({ hasText: 'Thanks! Glad I got it right.' }).waitFor({ timeout: ANSWER_MS });
  assert.equal(await toast.getAttribute('aria-live'), 'polite');
  assert.equal(await toast.getAttribute('role'), 'status');
  await until("getComputedStyle(document.getElementById('toast')).opacity === '1'", 'the toast to show');
  const box = await toast.boundingBox();
  const viewport = page.viewportSize();
  assert.ok(box && viewport && box.x >= 0 && box.x + box.width <= viewport.width, 'the toast fits the screen');
  assert.ok(box.y >= 0 && box.y + box.height <= viewport.height, 'the toast is on the screen');
  await page.screenshot({ path: path.join(SCREENSHOTS, screenshot) });
  await until("document.getElementById('toast').textContent === ''", 'the toast to fade out', 10_000);
}

describe('the playground in Chromium', () => {
  test('prints its address and serves the chat page', async () => {
    assert.ok(printed.includes(`Playground: ${playground.url}`), printed.join('\n'));
    await page.goto(playground.url);
    await page.getByText('bot · online').waitFor();
    assert.equal(await page.title(), 'Dog Breeds · playground');
    // Every control has a name a screen reader can say.
    await page.getByRole('textbox', { name: 'Message' }).waitFor();
    await page.getByRole('button', { name: 'Send', exact: true }).waitFor();
    await page.getByLabel('Send photos').waitFor({ state: 'attached' });
    assert.equal(await page.getAttribute('#messages', 'aria-live'), 'polite');
  });

  test('a dog photo through the file picker: "typing…", then answered, linked to Wikipedia, in view', async () => {
    // "typing…" may last less than a poll's interval (the answer ends it): a MutationObserver records it.
    await page.evaluate(`(() => {
      const status = document.getElementById('bot-status');
      window.typingSeen = '';
      new MutationObserver(() => {
        if (status.classList.contains('typing')) window.typingSeen = status.textContent;
      }).observe(status, { attributes: true, childList: true, characterData: true, subtree: true });
    })()`);
    await page.setInputFiles('#file', BOXER);
    await photoBubbles().first().waitFor();
    const [photoId] = await personPhotoIds();
    assert.ok(photoId);
    const text = await answerTo(photoId, /🐶 Boxer — \d+%/);
    assert.match(text, /2\. .+ — <?\d+%/);
    assert.equal(await page.evaluate<string>('window.typingSeen'), 'typing…', 'the chat action showed under the name');
    assert.equal(await page.textContent('#bot-status'), 'bot · online', 'the answer ended "typing…"');
    const link = page.locator('.msg.from-bot a', { hasText: 'Boxer' }).first();
    assert.equal(await link.getAttribute('href'), 'https://en.wikipedia.org/wiki/Boxer_(dog)');
    assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
    const loaded = await photoBubbles()
      .first()
      .evaluate((img: { decode(): Promise<void>; naturalWidth: number }) => img.decode().then(() => img.naturalWidth));
    assert.ok(loaded > 0, 'the photo shows in the chat');
    await assertAnswerInView(photoId, 'at 1280 px');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'playground-answer-1280.png') });
    await pressRightAndSeeToast(photoId, 'playground-toast-1280.png');
  });

  test('/breeds with the keyboard alone, then Next on its pager', async () => {
    await tabTo('document.activeElement?.id === "text"');
    await page.keyboard.type('/breeds');
    await page.keyboard.press('Enter');
    const pager = page.locator('.msg.from-bot', { hasText: 'The 121 breeds I know (page 1/4)' });
    await pager.waitFor({ timeout: ANSWER_MS });
    assert.equal(await page.inputValue('#text'), '', 'the box is cleared after sending');
    await tabTo('document.activeElement?.textContent?.includes("Next")', true);
    await page.keyboard.press('Enter');
    await page.locator('.msg.from-bot', { hasText: '(page 2/4)' }).waitFor({ timeout: ANSWER_MS });
    // The edited message keeps the keyboard focus on its buttons, so Enter goes on paging.
    const focused = await page.evaluate<string>('document.activeElement?.textContent ?? ""');
    assert.match(focused, /Next/);
    await page.keyboard.press('Enter');
    await page.locator('.msg.from-bot', { hasText: '(page 3/4)' }).waitFor({ timeout: ANSWER_MS });
    assert.equal(await page.locator('.msg.from-bot', { hasText: 'The 121 breeds' }).count(), 1, 'edited in place');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'playground-breeds.png') });
  });

  test('two files at once are an album: each photo answered', async () => {
    const before = new Set(await personPhotoIds());
    await page.setInputFiles('#file', [BEAGLE, GOLDEN]);
    await photoBubbles()
      .nth(before.size + 1)
      .waitFor();
    const album = (await personPhotoIds()).filter((id) => !before.has(id));
    assert.equal(album.length, 2);
    const groups = await Promise.all(album.map((id) => page.locator(`#m-${id}`).getAttribute('data-album')));
    assert.ok(groups[0], 'album items carry their media group');
    assert.equal(new Set(groups).size, 1, 'one media group');
    const [beagle, golden] = album as [number, number];
    await answerTo(beagle, /🐶 Beagle — \d+%/);
    await answerTo(golden, /🐶 Golden Retriever — \d+%/);
  });

  test('a photo dropped on the page is sent too', async () => {
    const base64 = (await readFile(BOXER)).toString('base64');
    const before = await photoBubbles().count();
    const dataTransfer = await page.evaluateHandle(`(() => {
      const bytes = Uint8Array.from(atob(${JSON.stringify(base64)}), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], 'dropped-boxer.jpg', { type: 'image/jpeg' }));
      return transfer;
    })()`);
    for (const type of ['dragenter', 'dragover', 'drop']) await page.dispatchEvent('#chat', type, { dataTransfer });
    await photoBubbles().nth(before).waitFor();
    const dropped = (await personPhotoIds()).at(-1);
    assert.ok(dropped);
    await answerTo(dropped, /🐶 Boxer — \d+%/);
    assert.equal(await page.isHidden('#drop-hint'), true);
  });

  test('on a 375 px wide phone: the chat follows the answer (also on resize), and 👍 shows a toast', async () => {
    await page.setViewportSize({ width: 375, height: 667 });
    // Counted before sending: the photo's bubble appears once the stand-in has made its sizes.
    const before = await photoBubbles().count();
    await page.setInputFiles('#file', BEAGLE);
    await photoBubbles().nth(before).waitFor();
    const photoId = (await personPhotoIds()).at(-1);
    assert.ok(photoId);
    await answerTo(photoId, /🐶 Beagle — \d+%/);
    await assertAnswerInView(photoId, 'at 375 px');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'playground-answer-375.png') });
    await page.setViewportSize({ width: 320, height: 480 });
    await assertAnswerInView(photoId, 'after resizing to 320 × 480');
    await page.setViewportSize({ width: 375, height: 667 });
    await assertAnswerInView(photoId, 'after resizing back');
    await pressRightAndSeeToast(photoId, 'playground-toast-375.png');

    // Scrolled up on purpose: a new message does not pull the chat down (as in Telegram); back down, it follows.
    await page.mouse.move(180, 200);
    await page.mouse.wheel(0, -400);
    await page.waitForTimeout(300);
    const readingAt = await page.locator('#chat').evaluate((chat: { scrollTop: number }) => chat.scrollTop);
    const botMessages = await page.locator('.msg.from-bot').count();
    // A message from the bot alone (the person's own sending scrolls down, as in Telegram).
    const { standIn, web } = playground;
    const sent = await fetch(`${standIn.apiRoot}/bot${standIn.token}/sendMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ chat_id: web.chat.id, text: 'A message while you read above' }),
    });
    assert.equal(sent.status, 200);
    await page.locator('.msg.from-bot').nth(botMessages).waitFor({ timeout: ANSWER_MS });
    await page.waitForTimeout(400);
    const after = await page.locator('#chat').evaluate((chat: { scrollTop: number }) => chat.scrollTop);
    assert.equal(after, readingAt, 'the chat kept the place the person scrolled up to');
  });

  test('several dogs: the numbered photo as wide as a bubble, 👎’s toast covers nothing, every label whole', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    const pair = await sideBySide(['dogs/beagle-4aea27da2a0b.jpg', 'dogs/boxer-5e7846c317a2.jpg']);
    const before = await photoBubbles().count();
    await page.setInputFiles('#file', { name: 'two-dogs.jpg', mimeType: 'image/jpeg', buffer: pair.bytes });
    await photoBubbles().nth(before).waitFor();
    const photoId = (await personPhotoIds()).at(-1);
    assert.ok(photoId);
    await answerTo(photoId, /I see 2 dogs/);
    const answer = lastAnswerTo(photoId);
    const wrong = answer.locator('button[data-data="fb:n:1"]');
    await wrong.waitFor({ timeout: ANSWER_MS });
    await assertPhotoFillsBubble(photoId, 'at 1280 px');
    await assertAnswerInView(photoId, 'several dogs at 1280 px');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'playground-several-dogs-1280.png') });

    await page.setViewportSize({ width: 375, height: 667 });
    await assertPhotoFillsBubble(photoId, 'at 375 px');
    const answerSelector = `#m-${await answer.getAttribute('data-id')}`;
    assert.equal(await assertLabelsWhole(answerSelector, 'the buttons of each dog at 375 px'), 6);

    // 👎 on dog 1: the toast, while the buttons it speaks of ("Tap one below") change under the answer.
    await wrong.click();
    await page.locator('#toast', { hasText: 'Which breed is dog 1?' }).waitFor({ timeout: ANSWER_MS });
    await answer.locator('button[data-data="fbp:1:1"]').waitFor({ timeout: ANSWER_MS });
    await assertAnswerInView(photoId, 'after 👎 at 375 px');
    await assertToastCoversNothing('after 👎 at 375 px');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'playground-wrong-toast-375.png') });
    await assertLabelsWhole(answerSelector, 'the other guesses at 375 px');

    // The whole list, two breeds a row: the long names too ("American Staffordshire Terrier") read whole.
    await answer.locator('button[data-data="fbp:1:1"]').click();
    await answer.locator('button[data-data="fbp:1:2"]').waitFor({ timeout: ANSWER_MS });
    assert.ok((await assertLabelsWhole(answerSelector, 'the breed picker at 375 px')) >= 10);
    await page.setViewportSize({ width: 320, height: 568 });
    await assertLabelsWhole(answerSelector, 'the breed picker at 320 px');
    await page.setViewportSize({ width: 375, height: 667 });
    await assertAnswerInView(photoId, 'the breed picker at 375 px');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'playground-breed-picker-375.png') });
    await answer.getByRole('button', { name: /Back/ }).click();
    await wrong.waitFor({ timeout: ANSWER_MS });
    await until("document.getElementById('toast').textContent === ''", 'the toast to fade out', 10_000);
  });

  test('the paperclip’s menu sends a photo as a file, without compression: a document, answered', async () => {
    await page.setViewportSize({ width: 375, height: 667 });
    await page.locator('#attach').click();
    const menu = page.getByRole('menu', { name: 'Attach' });
    await menu.waitFor();
    assert.equal(await page.getAttribute('#attach', 'aria-expanded'), 'true');
    const asFile = menu.getByRole('menuitem', { name: /File, without compression/ });
    assert.equal(
      await page.evaluate<boolean>('document.activeElement?.getAttribute("role") === "menuitem"'),
      true,
      'the menu takes the focus',
    );
    const box = await menu.boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 375 && box.y >= 0, 'the menu fits the screen');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'playground-attach-menu-375.png') });
    // Escape closes it, the focus back on the paperclip.
    await page.keyboard.press('Escape');
    assert.equal(await menu.isHidden(), true);
    assert.equal(await page.evaluate<string>('document.activeElement?.id'), 'attach');

    await page.locator('#attach').click();
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), asFile.click()]);
    assert.equal(chooser.isMultiple(), true);
    const documents = () => page.locator('.msg.from-person:has(.doc)');
    const before = await documents().count();
    await chooser.setFiles(GOLDEN);
    await documents().nth(before).waitFor({ timeout: ANSWER_MS });
    const id = Number(await documents().nth(before).getAttribute('data-id'));
    const sent = playground.standIn.messagesIn(playground.web.chat.id).find((m) => m.message_id === id);
    assert.ok(sent?.document, 'it arrived as a document');
    assert.equal(sent.photo, undefined, 'not as a photo');
    assert.equal(sent.document.mime_type, 'image/jpeg');
    assert.equal(sent.document.file_name, path.basename(GOLDEN));
    await answerTo(id, /🐶 Golden Retriever — \d+%/);
    await assertAnswerInView(id, 'a file at 375 px');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'playground-file-375.png') });
  });

  test('/history from its chip: the answers listed, newest first; a button shows one again', async () => {
    await page.setViewportSize({ width: 375, height: 667 });
    await page.locator('#commands button', { hasText: '/history' }).click();
    const list = page.locator('.msg.from-bot', { hasText: 'newest first' }).last();
    await list.waitFor({ timeout: ANSWER_MS });
    assert.match((await list.textContent()) ?? '', /1\. 🐶 Golden Retriever — \d+% · (just now|1 minute ago)/);
    const listId = Number(await list.getAttribute('data-id'));
    const listSelector = `#m-${listId}`;
    // Every photo answered so far: the first, the album's two, the dropped one, the one at 375 px, the two dogs (its
    // main dog), the file.
    const listed = await assertLabelsWhole(listSelector, 'the /history buttons at 375 px');
    assert.equal(listed, 7, (await list.textContent()) ?? '');
    const bots = await page.locator('.msg.from-bot').count();
    await page.locator(`${listSelector} .keyboard button`).first().click();
    const again = page.locator('.msg.from-bot').nth(bots);
    await again.waitFor({ timeout: ANSWER_MS });
    assert.match((await again.textContent()) ?? '', /My answer, (just now|1 minute ago):\s*🐶 Golden Retriever — \d+%/);
    assert.equal(await again.getAttribute('data-reply-to'), String(listId), 'a reply to the list');
    await assertAnswerInView(listId, '/history’s answer again at 375 px');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'playground-history-375.png') });
  });

  test("/commands in the bot's text are clickable, and the language buttons fit one line at 360 px", async () => {
    await page.setViewportSize({ width: 360, height: 740 });
    await page.locator('#text').fill('/start');
    await page.keyboard.press('Enter');
    const hello = page.locator('.msg.from-bot', { hasText: '/help says more' }).last();
    await hello.waitFor({ timeout: ANSWER_MS });
    const persons = await page.locator('.msg.from-person', { hasText: /^You:\/help/ }).count();
    await hello.locator('button.cmd', { hasText: '/help' }).click();
    await page
      .locator('.msg.from-person', { hasText: /^You:\/help/ })
      .nth(persons)
      .waitFor();
    await page.locator('#text').fill('/language');
    await page.keyboard.press('Enter');
    const russian = page.locator('.keyboard button', { hasText: 'Русский' }).last();
    await russian.waitFor({ timeout: ANSWER_MS });
    const whole = await russian.evaluate(
      (b: { scrollWidth: number; clientWidth: number }) => b.scrollWidth <= b.clientWidth,
    );
    const widths = await page.evaluate<string>(
      "JSON.stringify([...document.querySelectorAll('.keyboard button')].slice(-2).map((b) => [b.textContent, b.scrollWidth, b.clientWidth, b.parentElement.clientWidth]))",
    );
    assert.ok(whole, `"🇷🇺 Русский" is cut off: ${widths}`);
    const box = await russian.boundingBox();
    assert.ok(box && box.height < 48, `"🇷🇺 Русский" takes ${box?.height} px: more than one line`);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'playground-language-360.png') });
  });

  test('a video through the file picker: a playable video in the chat with what the browser read of it, answered', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    const dir = await temp.make('playground-video');
    const golden = ['dogs/golden_retriever-f7a9e407e825.jpg', 'dogs/golden_retriever-b5cbdac73688.jpg'];
    const clip = await slideshow(dir, golden, { name: 'golden-walk.mp4', secondsEach: 3 });
    const videos = () => page.locator('.msg.from-person:has(video.video)');
    const before = await videos().count();
    await page.setInputFiles('#file', clip);
    await videos().nth(before).waitFor({ timeout: ANSWER_MS });
    const id = Number(await videos().nth(before).getAttribute('data-id'));
    const sent = playground.standIn.messagesIn(playground.web.chat.id).find((m) => m.message_id === id);
    assert.ok(sent?.video, 'it arrived as a video message');
    // The stand-in's defaults are 640×360 and 5 s: these are what the page read from the file.
    assert.deepEqual([sent.video.width, sent.video.height, sent.video.duration], [640, 480, 6]);
    assert.equal(sent.video.mime_type, 'video/mp4');
    await until(`document.querySelector('#m-${id} video').readyState >= 1`, 'the video to load', 10_000);
    assert.equal(await page.getAttribute(`#m-${id} video`, 'aria-label'), 'Video: golden-walk.mp4');
    await answerTo(id, /Golden Retriever/);
    await assertAnswerInView(id, 'a video');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'playground-video.png') });
  });

  test('a GIF dropped on the page goes as Telegram sends it, an MP4 animation: playing on a loop, answered', async () => {
    const dir = await temp.make('playground-gif');
    const beagles = ['dogs/beagle-4aea27da2a0b.jpg', 'dogs/beagle-5456244aa5a2.jpg'];
    const base64 = (await readFile(await gif(dir, beagles, { name: 'beagle.gif' }))).toString('base64');
    const dataTransfer = await page.evaluateHandle(`(() => {
      const bytes = Uint8Array.from(atob(${JSON.stringify(base64)}), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], 'beagle.gif', { type: 'image/gif' }));
      return transfer;
    })()`);
    const animations = () => page.locator('.msg.from-person:has(video.animation)');
    const before = await animations().count();
    for (const type of ['dragenter', 'dragover', 'drop']) await page.dispatchEvent('#chat', type, { dataTransfer });
    await animations().nth(before).waitFor({ timeout: ANSWER_MS });
    const id = Number(await animations().nth(before).getAttribute('data-id'));
    const sent = playground.standIn.messagesIn(playground.web.chat.id).find((m) => m.message_id === id);
    assert.ok(sent?.animation, 'it arrived as an animation');
    assert.equal(sent.animation.mime_type, 'video/mp4', 'the GIF made an MP4, as Telegram does');
    assert.deepEqual([sent.animation.width, sent.animation.height], [320, 240]);
    const player = `#m-${id} video.animation`;
    assert.deepEqual(
      await page.evaluate<boolean[]>(
        `(() => { const v = document.querySelector('${player}'); return [v.loop, v.muted, v.controls]; })()`,
      ),
      [true, true, false],
    );
    assert.equal(await page.locator(`#m-${id} .doc`).count(), 0, 'shown once, as the animation, not as a file too');
    await answerTo(id, /Beagle/);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'playground-gif.png') });
  });

  test('on a 360 px wide phone screen: no sideways scrolling, the composer in view', async () => {
    await page.setViewportSize({ width: 360, height: 740 });
    await page.locator('#chat').evaluate((chat: { scrollTop: number; scrollHeight: number }) => {
      chat.scrollTop = chat.scrollHeight;
    });
    const widths = await page.evaluate<{ page: number; chat: number }>(`({
      page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      chat: document.getElementById('chat').scrollWidth - document.getElementById('chat').clientWidth,
    })`);
    assert.deepEqual(widths, { page: 0, chat: 0 }, 'content wider than the screen');
    for (const selector of ['#text', '.send', '.attach']) {
      const box = await page.locator(selector).boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 360 && box.y + box.height <= 740, `${selector} in view`);
    }
    await page.screenshot({ path: path.join(SCREENSHOTS, 'playground-360.png') });
    assert.deepEqual(pageErrors, [], 'no script errors or blocked resources');
  });
});
