// The playground's chat page: plain JavaScript, no build step. It talks to the playground's small API
// (src/playground/web-server.ts) and builds every message from text + Telegram entities with DOM calls only:
// no HTML string from the bot or the person ever reaches innerHTML.

const $ = (id) => document.getElementById(id);
const ui = {
  chat: $('chat'),
  list: $('messages'),
  empty: $('empty'),
  start: $('start'),
  form: $('composer'),
  text: $('text'),
  file: $('file'),
  fileDoc: $('file-doc'),
  attach: $('attach'),
  attachMenu: $('attach-menu'),
  commands: $('commands'),
  notice: $('notice'),
  botName: $('bot-name'),
  botStatus: $('bot-status'),
  dropHint: $('drop-hint'),
  toast: $('toast'),
};

const state = {
  /** message id → the item last rendered */
  items: new Map(),
  botName: 'Dog Breeds',
  maxUploadBytes: 20 * 1024 * 1024,
  maxAlbum: 10,
  /** Whether the chat follows new messages: true until the person scrolls up, again once they are back down. */
  following: true,
  /** What the line under the bot's name says when the bot is not typing. */
  connection: 'bot · connecting…',
};

// ---------------------------------------------------------------------------
// Talking to the playground

async function post(path, body) {
  const isForm = body instanceof FormData;
  const res = await fetch(path, {
    method: 'POST',
    body: isForm ? body : JSON.stringify(body),
    headers: isForm ? {} : { 'content-type': 'application/json' },
  });
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try {
      message = (await res.json()).error ?? message;
    } catch {
      // not JSON: keep the status line
    }
    throw new Error(message);
  }
  return res.json();
}

async function sendText(text) {
  const trimmed = text.trim();
  if (trimmed === '') return false;
  try {
    await post('/playground/text', { text: trimmed });
    return true;
  } catch (error) {
    showNotice(`Could not send: ${error.message}`);
    return false;
  }
}

/** Clips the bot reads as videos: a video file, or a GIF (Telegram makes an MP4 animation of it). */
const isClip = (file) => file.type.startsWith('video/') || file.type === 'image/gif';

/**
 * What Telegram's apps send with a clip: its width, height and duration, read here from a <video> (an <img> for a
 * GIF, whose duration the browser does not tell). Whatever cannot be read in a few seconds is left out.
 */
async function clipFacts(file) {
  const url = URL.createObjectURL(file);
  const media = file.type === 'image/gif' ? new Image() : document.createElement('video');
  try {
    const loaded = new Promise((resolve) => {
      media.addEventListener(media instanceof Image ? 'load' : 'loadedmetadata', () => resolve(true), { once: true });
      media.addEventListener('error', () => resolve(false), { once: true });
      setTimeout(() => resolve(false), 3000);
    });
    if (media instanceof HTMLVideoElement) {
      media.preload = 'metadata';
      media.muted = true;
    }
    media.src = url;
    if (!(await loaded)) return {};
    if (media instanceof Image) return { width: media.naturalWidth, height: media.naturalHeight };
    return { width: media.videoWidth, height: media.videoHeight, duration: media.duration };
  } finally {
    URL.revokeObjectURL(url);
  }
}

/**
 * Photos (an album when several), videos and GIFs (a message each), or with `asFile` files sent without compression,
 * as Telegram's "send as file".
 */
async function sendFiles(fileList, asFile = false) {
  const files = [...fileList];
  if (files.length === 0) return;
  const tooBig = files.filter((f) => f.size > state.maxUploadBytes);
  const ok = files.filter((f) => f.size <= state.maxUploadBytes);
  if (tooBig.length > 0) {
    const names = tooBig.map((f) => f.name).join(', ');
    showNotice(`Not sent, over ${formatSize(state.maxUploadBytes)} (the Bot API's limit): ${names}`);
  }
  // Telegram albums hold at most 10 items: more become several albums.
  for (let i = 0; i < ok.length; i += state.maxAlbum) {
    const form = new FormData();
    if (asFile) form.append('asFile', '1');
    const group = ok.slice(i, i + state.maxAlbum);
    for (const [n, file] of group.entries()) {
      form.append(`file${n}`, file, file.name || `photo-${n + 1}.jpg`);
      if (!asFile && isClip(file)) form.append(`meta${n}`, JSON.stringify(await clipFacts(file)));
    }
    try {
      await post('/playground/photos', form);
    } catch (error) {
      showNotice(`Could not send: ${error.message}`);
      return;
    }
  }
}

async function pressButton(button, messageId, data) {
  if (button.getAttribute('aria-busy') === 'true') return;
  button.setAttribute('aria-busy', 'true');
  try {
    await post('/playground/button', { messageId, data });
  } catch (error) {
    button.removeAttribute('aria-busy');
    showNotice(error.message);
    return;
  }
  // The bot answers by editing the message, which re-renders its buttons; if it does not, free the button again.
  setTimeout(() => button.removeAttribute('aria-busy'), 10_000);
}

let noticeTimer;
function showNotice(message, kind = 'error') {
  clearTimeout(noticeTimer);
  ui.notice.className = kind === 'error' ? 'notice' : 'notice info';
  ui.notice.textContent = message;
  noticeTimer = setTimeout(() => {
    ui.notice.textContent = '';
  }, 8000);
}

let toastTimer;
let toastClear;
/** The bot's answer to a button press (answerCallbackQuery's text), shown as Telegram does: briefly, then gone. */
function showToast(text, alert = false) {
  clearTimeout(toastTimer);
  clearTimeout(toastClear);
  ui.toast.textContent = text;
  ui.toast.classList.add('show');
  toastTimer = setTimeout(
    () => {
      ui.toast.classList.remove('show');
      toastClear = setTimeout(() => {
        ui.toast.textContent = '';
      }, 400);
    },
    alert ? 6000 : Math.min(6000, 2500 + text.length * 40),
  );
}

// A chat action ("typing…"), as Telegram shows it: under the bot's name, for about 5 s or until the bot's next message.
const CHAT_ACTION_MS = 5000;
const ACTION_WORDS = {
  typing: 'typing…',
  upload_photo: 'sending a photo…',
  upload_video: 'sending a video…',
  upload_document: 'sending a file…',
};
let typingTimer;
function showTyping(action) {
  clearTimeout(typingTimer);
  ui.botStatus.textContent = ACTION_WORDS[action] ?? 'typing…';
  ui.botStatus.classList.add('typing');
  typingTimer = setTimeout(endTyping, CHAT_ACTION_MS);
}

function endTyping() {
  clearTimeout(typingTimer);
  ui.botStatus.classList.remove('typing');
  ui.botStatus.textContent = state.connection;
}

function showConnection(text) {
  state.connection = text;
  if (!ui.botStatus.classList.contains('typing')) ui.botStatus.textContent = text;
}

// ---------------------------------------------------------------------------
// Rendering Telegram text: entities → elements, everything else → text nodes

const SAFE_PROTOCOLS = new Set(['http:', 'https:', 'mailto:', 'tel:']);

function safeUrl(raw) {
  try {
    const url = new URL(raw);
    return SAFE_PROTOCOLS.has(url.protocol) ? url.href : undefined;
  } catch {
    return undefined;
  }
}

function link(href, external = true) {
  const a = document.createElement('a');
  a.href = href;
  if (external) {
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
  }
  return a;
}

function elementFor(entity, part) {
  switch (entity.type) {
    case 'bold':
      return document.createElement('strong');
    case 'italic':
      return document.createElement('em');
    case 'underline':
      return document.createElement('u');
    case 'strikethrough':
      return document.createElement('s');
    case 'code':
      return document.createElement('code');
    case 'pre':
      return document.createElement('pre');
    case 'blockquote':
    case 'expandable_blockquote':
      return document.createElement('blockquote');
    case 'spoiler': {
      const span = document.createElement('span');
      span.className = 'spoiler';
      span.tabIndex = 0;
      span.title = 'Spoiler';
      return span;
    }
    case 'text_link': {
      const href = safeUrl(entity.url ?? '');
      return href ? link(href) : document.createElement('span');
    }
    case 'url': {
      const href = safeUrl(/^[a-z][\w+.-]*:/i.test(part) ? part : `https://${part}`);
      return href ? link(href) : document.createElement('span');
    }
    case 'email':
      return link(`mailto:${part}`, false);
    case 'bot_command':
      return commandButton(part);
    default:
      return document.createElement('span');
  }
}

/** As in Telegram: a command in a message can be tapped to send it. */
function commandButton(command) {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'cmd';
  button.title = `Send ${command}`;
  button.textContent = command;
  button.addEventListener('click', () => sendText(command.replace(/@\w+$/, '')));
  return button;
}

// Telegram finds commands in a message itself (a bot's HTML has no tag for them): "/word" after a space or the start.
const COMMAND = /(^|[\s(«"'])(\/[A-Za-z][A-Za-z0-9_]{0,31}(?:@[A-Za-z][A-Za-z0-9_]{3,31})?)(?=$|[\s.,;:!?)»"'])/g;
const NO_COMMANDS_IN = new Set(['A', 'BUTTON', 'CODE', 'PRE']);

/** Appends plain text, with the commands in it as buttons unless it sits in a link or code. */
function appendPlain(parent, text) {
  if (NO_COMMANDS_IN.has(parent.nodeName)) return void parent.append(text);
  let pos = 0;
  for (const match of text.matchAll(COMMAND)) {
    const start = match.index + match[1].length;
    if (start > pos) parent.append(text.slice(pos, start));
    parent.append(commandButton(match[2]));
    pos = start + match[2].length;
  }
  if (pos < text.length) parent.append(text.slice(pos));
}

/** Text with entities (UTF-16 offsets, as JavaScript strings count) as a fragment of safe DOM nodes. */
function renderText(text, entities) {
  const sorted = (entities ?? [])
    .filter((e) => Number.isInteger(e.offset) && Number.isInteger(e.length) && e.length > 0)
    .sort((a, b) => a.offset - b.offset || b.length - a.length);
  const fragment = document.createDocumentFragment();
  const build = (parent, start, end, list) => {
    let pos = start;
    let i = 0;
    while (i < list.length) {
      const entity = list[i];
      const from = Math.max(entity.offset, pos);
      const to = Math.min(entity.offset + entity.length, end);
      if (from >= to) {
        i++;
        continue;
      }
      if (from > pos) appendPlain(parent, text.slice(pos, from));
      // Entities starting inside this one nest in it (clipped to it).
      let j = i + 1;
      while (j < list.length && list[j].offset < to) j++;
      const element = elementFor(entity, text.slice(from, to));
      if (entity.type !== 'bot_command') build(element, from, to, list.slice(i + 1, j));
      parent.append(element);
      pos = to;
      i = j;
    }
    if (pos < end) appendPlain(parent, text.slice(pos, end));
  };
  build(fragment, 0, text.length, sorted);
  return fragment;
}

// ---------------------------------------------------------------------------
// Messages

function formatSize(bytes) {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} B`;
}

function formatTime(seconds) {
  return new Date(seconds * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function renderBubble(item) {
  const bubble = el('div', 'bubble');
  bubble.append(el('span', 'visually-hidden', item.from === 'bot' ? `${state.botName}:` : 'You:'));

  if (item.replyTo) {
    const quote = el('div', 'reply');
    if (item.replyTo.photoUrl) {
      const thumb = document.createElement('img');
      thumb.src = item.replyTo.photoUrl;
      thumb.alt = '';
      quote.append(thumb);
    }
    const who = item.replyTo.from === 'bot' ? state.botName : 'You';
    quote.append(el('span', '', `${who}: ${item.replyTo.text.split('\n')[0]}`));
    quote.prepend(el('span', 'visually-hidden', 'In reply to'));
    bubble.append(quote);
  }

  if (item.photo) {
    const img = document.createElement('img');
    img.className = 'photo';
    img.src = item.photo.url;
    img.alt = `Photo: ${item.photo.name}`;
    img.width = item.photo.width;
    img.height = item.photo.height;
    img.decoding = 'async';
    bubble.append(img);
  }

  if (item.video) bubble.append(renderVideo(item.video));

  if (item.document) {
    if (item.document.url) {
      const img = document.createElement('img');
      img.className = 'photo';
      img.src = item.document.url;
      img.alt = `Image file: ${item.document.name}`;
      bubble.append(img);
    }
    const doc = el('div', 'doc');
    doc.append(el('span', 'icon', '📄'));
    const label = el('span', '');
    label.append(el('span', 'name', item.document.name));
    label.append(el('span', 'size', `${formatSize(item.document.size)} · ${item.document.mimeType}`));
    doc.append(label);
    bubble.append(doc);
  }

  if (item.text) {
    const text = el('div', 'text');
    text.append(renderText(item.text, item.entities));
    bubble.append(text);
  }

  const meta = el('div', 'meta');
  if (item.edited) meta.append(el('span', '', 'edited'));
  const time = el('time', '', formatTime(item.date));
  time.dateTime = new Date(item.date * 1000).toISOString();
  meta.append(time);
  bubble.append(meta);
  return bubble;
}

/**
 * A clip as Telegram's apps show it: a video with its controls, muted until the person turns the sound on; a GIF
 * playing on a loop, silent; a video note round.
 */
function renderVideo(video) {
  const label = { video: `Video: ${video.name}`, animation: `GIF: ${video.name}`, note: 'Video message' }[video.kind];
  if (video.mimeType === 'image/gif') {
    const img = document.createElement('img');
    img.className = 'photo video animation';
    img.src = video.url;
    img.alt = label;
    return img;
  }
  const player = document.createElement('video');
  player.className = `photo video ${video.kind}`;
  player.src = video.url;
  player.muted = true;
  player.playsInline = true;
  player.preload = 'metadata';
  player.width = video.width;
  player.height = video.height;
  player.setAttribute('aria-label', label);
  if (video.kind === 'video') player.controls = true;
  else {
    player.loop = true;
    player.autoplay = true;
  }
  return player;
}

function renderKeyboard(item) {
  const keyboard = el('div', 'keyboard');
  keyboard.setAttribute('role', 'group');
  keyboard.setAttribute('aria-label', 'Message buttons');
  for (const row of item.keyboard) {
    const line = el('div', 'kb-row');
    for (const b of row) {
      const href = b.url ? safeUrl(b.url) : undefined;
      if (href) {
        const a = link(href);
        a.textContent = b.text;
        line.append(a);
      } else if (b.data !== undefined) {
        const button = el('button', '', b.text);
        button.type = 'button';
        button.dataset.data = b.data;
        button.addEventListener('click', () => pressButton(button, item.id, b.data));
        line.append(button);
      }
    }
    keyboard.append(line);
  }
  return keyboard;
}

function nearBottom() {
  const { scrollTop, scrollHeight, clientHeight } = ui.chat;
  return scrollHeight - scrollTop - clientHeight < 80;
}

function scrollToBottom() {
  state.following = true;
  follow();
}

// Following the chat, as Telegram does: whatever makes it taller (a message, an edit, a photo that has loaded) or
// the window smaller keeps the newest message in view, unless the person scrolled up to read; scrolling back down
// follows again. Only a scroll up under an unchanged layout (wheel, touch, keys, the scroll bar) stops following: the
// browser's own scrolls when the layout changes (a narrower window re-wrapping the text above) do not.
let seen = { top: 0, height: 0, client: 0 };
const measure = () => ({ top: ui.chat.scrollTop, height: ui.chat.scrollHeight, client: ui.chat.clientHeight });
ui.chat.addEventListener('scroll', () => {
  const now = measure();
  const sameLayout = now.height === seen.height && now.client === seen.client;
  if (nearBottom()) state.following = true;
  else if (sameLayout && now.top < seen.top) state.following = false;
  seen = now;
});
const follow = () => {
  if (state.following) ui.chat.scrollTop = ui.chat.scrollHeight;
  seen = measure();
};
new ResizeObserver(follow).observe(ui.list);
new ResizeObserver(follow).observe(ui.chat);
// A photo grows when it loads (its box may be sized before, but not a file's preview or a reply's thumbnail).
ui.list.addEventListener('load', follow, true);

function upsert(item) {
  const previous = state.items.get(item.id);
  state.items.set(item.id, item);
  let li = document.getElementById(`m-${item.id}`);
  const stick = state.following || (!previous && item.from === 'person');

  // Keep the keyboard focus on an edited message's buttons (the /breeds pager): same button, or the same label.
  const focused = li?.contains(document.activeElement) ? document.activeElement : undefined;
  const focusData = focused?.dataset?.data;
  const focusText = focused?.textContent;

  if (!li) {
    li = el('li', `msg from-${item.from}`);
    li.id = `m-${item.id}`;
    li.dataset.id = String(item.id);
    const after = [...ui.list.children].find((child) => Number(child.dataset.id) > item.id);
    ui.list.insertBefore(li, after ?? null);
  }
  const children = [renderBubble(item)];
  if (item.keyboard) children.push(renderKeyboard(item));
  li.replaceChildren(...children);
  // As Telegram: a photo is as wide as the bubble may be, unless that makes it taller than the cap (style.css).
  // A video or a GIF as a photo; a video note keeps its own round size.
  const picture = item.photo ?? (item.video?.kind === 'note' ? undefined : item.video);
  li.classList.toggle('has-photo', Boolean(picture));
  li.style.setProperty('--photo-ratio', picture ? String(picture.width / Math.max(1, picture.height)) : '');
  if (item.albumId) li.dataset.album = item.albumId;
  if (item.replyTo) li.dataset.replyTo = String(item.replyTo.id);

  if (focused) {
    const buttons = [...li.querySelectorAll('.keyboard button')];
    const again =
      buttons.find((b) => b.dataset.data === focusData) ??
      buttons.find((b) => b.textContent === focusText) ??
      buttons[0];
    if (again) again.focus();
    else ui.text.focus();
  }
  updateEmpty();
  if (!previous && item.from === 'bot') endTyping();
  if (stick) scrollToBottom();
}

function remove(id) {
  state.items.delete(id);
  const li = document.getElementById(`m-${id}`);
  if (li?.contains(document.activeElement)) ui.text.focus();
  li?.remove();
  updateEmpty();
}

function reset(items) {
  state.items.clear();
  ui.list.replaceChildren();
  for (const item of items) upsert(item);
  updateEmpty();
  scrollToBottom();
}

function updateEmpty() {
  ui.empty.hidden = state.items.size > 0;
}

// ---------------------------------------------------------------------------
// Wiring

async function loadInfo() {
  try {
    const res = await fetch('/playground/info');
    const info = await res.json();
    state.botName = info.bot.name;
    state.maxUploadBytes = info.maxUploadBytes;
    state.maxAlbum = info.maxAlbum;
    ui.botName.textContent = info.bot.name;
    document.title = `${info.bot.name} · playground`;
    const chips = info.commands.map((c) => {
      const chip = el('button', 'chip', `/${c.command}`);
      chip.type = 'button';
      chip.title = c.description;
      chip.addEventListener('click', () => sendText(`/${c.command}`));
      return chip;
    });
    ui.commands.replaceChildren(...chips);
  } catch {
    showNotice('Could not reach the playground. Is it still running?');
  }
}

function connect() {
  const events = new EventSource('/playground/events');
  events.addEventListener('open', () => showConnection('bot · online'));
  events.addEventListener('error', () => showConnection('bot · reconnecting…'));
  events.addEventListener('typing', (e) => showTyping(JSON.parse(e.data).action));
  events.addEventListener('reset', (e) => reset(JSON.parse(e.data)));
  events.addEventListener('message', (e) => upsert(JSON.parse(e.data)));
  events.addEventListener('remove', (e) => remove(JSON.parse(e.data).id));
  events.addEventListener('toast', (e) => {
    const { text, alert } = JSON.parse(e.data);
    showToast(text, alert);
  });
}

ui.form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = ui.text.value;
  if (await sendText(text)) ui.text.value = '';
  ui.text.focus();
});

ui.start.addEventListener('click', async () => {
  await sendText('/start');
  ui.text.focus();
});

ui.file.addEventListener('change', async () => {
  const files = [...ui.file.files];
  ui.file.value = '';
  await sendFiles(files);
});

ui.fileDoc.addEventListener('change', async () => {
  const files = [...ui.fileDoc.files];
  ui.fileDoc.value = '';
  await sendFiles(files, true);
});

// The paperclip's menu, as Telegram's: a photo (compressed, an album when several) or a file sent as it is.
function openAttachMenu() {
  ui.attachMenu.hidden = false;
  ui.attach.setAttribute('aria-expanded', 'true');
  ui.attachMenu.querySelector('[role="menuitem"]')?.focus();
}

function closeAttachMenu(refocus = false) {
  if (ui.attachMenu.hidden) return;
  ui.attachMenu.hidden = true;
  ui.attach.setAttribute('aria-expanded', 'false');
  if (refocus) ui.attach.focus();
}

ui.attach.addEventListener('click', () => (ui.attachMenu.hidden ? openAttachMenu() : closeAttachMenu(true)));
for (const item of ui.attachMenu.querySelectorAll('[role="menuitem"]')) {
  item.addEventListener('click', () => {
    closeAttachMenu(true);
    $(item.dataset.input).click();
  });
}
ui.attachMenu.addEventListener('keydown', (event) => {
  const items = [...ui.attachMenu.querySelectorAll('[role="menuitem"]')];
  const at = items.indexOf(document.activeElement);
  if (event.key === 'Escape') closeAttachMenu(true);
  else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
    const step = event.key === 'ArrowDown' ? 1 : -1;
    items[(at + step + items.length) % items.length]?.focus();
  } else return;
  event.preventDefault();
});
document.addEventListener('click', (event) => {
  if (!ui.attach.parentElement.contains(event.target)) closeAttachMenu();
});
ui.attachMenu.addEventListener('focusout', (event) => {
  if (!ui.attach.parentElement.contains(event.relatedTarget)) closeAttachMenu();
});

// Drag and drop anywhere on the page; a counter, because enter/leave fire for every child crossed.
let dragDepth = 0;
const hasFiles = (event) => [...(event.dataTransfer?.types ?? [])].includes('Files');
document.addEventListener('dragenter', (event) => {
  if (!hasFiles(event)) return;
  event.preventDefault();
  dragDepth++;
  ui.dropHint.hidden = false;
});
document.addEventListener('dragover', (event) => {
  if (!hasFiles(event)) return;
  event.preventDefault();
  event.dataTransfer.dropEffect = 'copy';
});
document.addEventListener('dragleave', (event) => {
  if (!hasFiles(event)) return;
  dragDepth = Math.max(0, dragDepth - 1);
  if (dragDepth === 0) ui.dropHint.hidden = true;
});
document.addEventListener('drop', (event) => {
  if (!hasFiles(event)) return;
  event.preventDefault();
  dragDepth = 0;
  ui.dropHint.hidden = true;
  sendFiles(event.dataTransfer.files);
});

// Pasting an image sends it too.
document.addEventListener('paste', (event) => {
  const files = [...(event.clipboardData?.files ?? [])];
  if (files.length === 0) return;
  event.preventDefault();
  sendFiles(files);
});

await loadInfo();
connect();
