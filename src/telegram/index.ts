/** The Bot API client (grammY's, with bounded retries and reachability reports) and token-safe file downloads. */
export * from './api.ts';
export * from './chat-action.ts';
export * from './connection-pool.ts';
export * from './failure-streak.ts';
export * from './outage.ts';
export * from './reachability.ts';
