/**
 * Photos and videos in, jobs out. In private chats every photo (or image file, or album item) and every video (a
 * video, a GIF, a round video note, a video file) is answered; in groups only when asked — `/breed` as a reply to one,
 * or a caption mentioning the bot — which works with privacy mode on. A video goes the photo's way: queued by reference
 * as a photo job marked `media: 'video'`, under the same limit, answered once.
 * The bot never runs the model: it queues a job that the worker answers and shows "typing…" (a chat action). Photos
 * past the person's limit are queued to wait for their slot, or, past that, told they were skipped (`rate-limit.ts`).
 */
import { Composer } from 'grammy';
import type { Message } from 'grammy/types';
import type { Logger, Metrics } from '../../ops/index.ts';
import { enqueuePhoto, hasPhotoJob, type PhotoQueue } from '../../queue/index.ts';
import { sendTyping } from '../../telegram/index.ts';
import type { BotContext } from '../context.ts';
import { findPhoto, findVideo, type PhotoLookup, type VideoLookup } from '../photo-ref.ts';
import type { PhotoRateLimiter } from '../rate-limit.ts';

export interface PhotoHandlerDeps {
  queue: PhotoQueue;
  rateLimiter: PhotoRateLimiter;
  logger: Logger;
  metrics: Metrics;
  /** The shorter side, in pixels, a photo needs for the models (the photo size downloaded is the smallest that has it). */
  photoSide: number;
}

const isPrivate = (ctx: BotContext) => ctx.chat?.type === 'private';

/** Whether a caption or text mentions this bot by @username. */
function mentionsBot(message: Message, username: string): boolean {
  const text = message.caption ?? message.text ?? '';
  const entities = message.caption_entities ?? message.entities ?? [];
  return entities.some(
    (e) =>
      e.type === 'mention' && text.slice(e.offset, e.offset + e.length).toLowerCase() === `@${username.toLowerCase()}`,
  );
}

/** The video of a message, else its photo: what the bot would queue for it. */
function findMedia(message: Message, photoSide: number): VideoLookup | PhotoLookup {
  return findVideo(message) ?? findPhoto(message, photoSide);
}

/** The Fluent key of the kind refusal for a message with nothing the bot can queue. */
function refusalKey(lookup: Exclude<VideoLookup | PhotoLookup, { kind: 'photo' | 'video' }>, message: Message): string {
  switch (lookup.kind) {
    case 'none':
      return 'group-hint';
    case 'not-an-image':
      return 'not-an-image-file';
    case 'video-too-big':
      return 'video-too-big';
    case 'too-big':
      // Only an image sent as a file can be sent again as a photo (Telegram then makes it smaller).
      return message.photo ? 'photo-too-big' : 'file-too-big';
  }
}

/**
 * Queues one photo or video message for the worker (at the place and time the limit gives it), then shows "typing…".
 */
async function acceptMedia(ctx: BotContext, photoMessage: Message, deps: PhotoHandlerDeps): Promise<void> {
  const chatId = photoMessage.chat.id;
  const reply = { reply_parameters: { message_id: photoMessage.message_id, allow_sending_without_reply: true } };
  const lookup = findMedia(photoMessage, deps.photoSide);
  const count = (action: string) => deps.metrics.updates.inc({ action });
  if (lookup.kind !== 'photo' && lookup.kind !== 'video') {
    count('refused');
    await ctx.api.sendMessage(chatId, ctx.t(refusalKey(lookup, photoMessage)), reply);
    return;
  }
  const media = lookup.kind === 'video' ? ({ media: 'video', videoKind: lookup.videoKind } as const) : {};
  if (await hasPhotoJob(deps.queue, chatId, photoMessage.message_id)) {
    count('duplicate');
    deps.logger.info({ chatId, messageId: photoMessage.message_id }, 'photo already queued (update delivered again)');
    return;
  }
  const userId = ctx.from?.id ?? chatId;
  const decision = await deps.rateLimiter.take(userId);
  if (decision.kind === 'skipped') {
    // Too many waiting already: this photo is told so, each one (never silence).
    count('rate-limited');
    deps.logger.info({ userId, messageId: photoMessage.message_id }, 'rate limited: photo skipped');
    await ctx.api.sendMessage(chatId, ctx.t('photo-skipped', { seconds: decision.retryAfterSeconds }), reply);
    return;
  }
  // Queued before anything else is sent for it: a bot killed while Telegram is slow (over and over, in a crash loop)
  // has queued the photo already, and its replay finds the job. Progress is "typing…", not a status message: a status
  // sent again (its response lost, or the bot restarted before confirming the update) would stay "Looking…" for ever,
  // while a chat action sent twice is still one. The worker keeps it up and answers with one reply.
  await enqueuePhoto(
    deps.queue,
    {
      chatId,
      messageId: photoMessage.message_id,
      fileId: lookup.ref.fileId,
      fileUniqueId: lookup.ref.fileUniqueId,
      ...(lookup.ref.fileSize !== undefined ? { fileSize: lookup.ref.fileSize } : {}),
      userId,
      ...(ctx.from?.language_code ? { languageCode: ctx.from.language_code } : {}),
      locale: ctx.locale,
      ...media,
    },
    decision,
  );
  const { priority, delayMs } = decision;
  if (decision.kind === 'later') {
    count('queued-later');
    deps.logger.info({ chatId, messageId: photoMessage.message_id, userId, priority, delayMs }, 'photo queued to wait');
    // No "typing…" now: it would end long before the photo's turn (the worker shows it then). Told once per backlog;
    // Telegram failing here costs that notice only (the photo is queued).
    if (!decision.tell) return;
    const { limit, windowSeconds: window } = deps.rateLimiter;
    await ctx.api
      .sendMessage(chatId, ctx.t('photos-later', { limit, window }), reply)
      .catch((error: unknown) => deps.logger.warn({ err: error, chatId }, 'notice of waiting photos not sent'));
    return;
  }
  count('queued');
  deps.logger.info({ chatId, messageId: photoMessage.message_id, userId, priority, ...media }, 'photo queued');
  // Telegram failing here costs the "typing…" only.
  await sendTyping(ctx.api, chatId).catch((error: unknown) =>
    deps.logger.warn({ err: error, chatId, messageId: photoMessage.message_id }, 'chat action not sent; queued anyway'),
  );
}

export function photos(deps: PhotoHandlerDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  // A photo, a video, a GIF, a video note, or a document (image or video check inside): in private chats always, in
  // groups when the caption mentions us (a video note has no caption: `/breed` as a reply to it).
  composer.on(
    ['message:photo', 'message:document', 'message:video', 'message:animation', 'message:video_note'],
    async (ctx, next) => {
      if (isPrivate(ctx) || mentionsBot(ctx.msg, ctx.me.username)) return acceptMedia(ctx, ctx.msg, deps);
      return next();
    },
  );
  // `/breed` as a reply to a photo or a video (groups; works in private chats too).
  composer.command('breed', async (ctx) => {
    const target = ctx.msg.reply_to_message;
    if (target === undefined || findMedia(target, deps.photoSide).kind === 'none') {
      await ctx.reply(ctx.t('group-hint'), { reply_parameters: { message_id: ctx.msg.message_id } });
      return;
    }
    await acceptMedia(ctx, target, deps);
  });
  return composer;
}
