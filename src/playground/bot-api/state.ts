/** The stand-in's state, shared by the person's side and the Bot API methods (the facade builds it). */
import type { BotProfile } from './bot-profile.ts';
import type { ChatStore } from './chat-store.ts';
import type { FileStore } from './file-store.ts';
import type { UpdateQueue } from './update-queue.ts';
import type { WebhookDelivery } from './webhook-delivery.ts';

export interface StandInState {
  profile: BotProfile;
  chats: ChatStore;
  files: FileStore;
  updates: UpdateQueue;
  /** Set by setWebhook: then updates are POSTed to the bot instead of handed to getUpdates. */
  webhook: WebhookDelivery;
  /** Upper bound of getUpdates' `timeout`, in seconds. */
  maxPollSeconds: number;
}
