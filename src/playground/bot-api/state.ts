/** The stand-in's state, shared by the person's side and the Bot API methods (the facade builds it). */
import type { BotProfile } from './bot-profile.ts';
import type { ChatStore } from './chat-store.ts';
import type { FileStore } from './file-store.ts';
import type { UpdateQueue } from './update-queue.ts';

export interface StandInState {
  profile: BotProfile;
  chats: ChatStore;
  files: FileStore;
  updates: UpdateQueue;
  /** Upper bound of getUpdates' `timeout`, in seconds. */
  maxPollSeconds: number;
}
