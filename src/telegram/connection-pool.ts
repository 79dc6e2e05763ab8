/**
 * How a Bot API client connects: keep-alive connections, at most BOT_API_MAX_SOCKETS at once per client. grammY's
 * default agent has no cap, so a burst (200 people's "typing…" at once) opened a connection per call; on a loaded
 * machine part of those handshakes waited for a retransmission (1 s and more), and the burst's first reply p95 went
 * from about 0.5 s to 2 s (`npm run bench:e2e`). Calls beyond the cap wait for a free connection, which is quicker.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { ApiClientOptions } from 'grammy';

/**
 * Connections one client keeps to the Bot API. Telegram's own default for webhook connections is 40; a long poll
 * holds one of them.
 */
export const BOT_API_MAX_SOCKETS = 40;

/** grammY client options for `apiRoot`: its defaults (compression over HTTPS), with a bounded keep-alive pool. */
export function botApiClientOptions(apiRoot: string): ApiClientOptions {
  const options = { keepAlive: true, maxSockets: BOT_API_MAX_SOCKETS };
  const agent = apiRoot.startsWith('https:') ? new HttpsAgent(options) : new HttpAgent(options);
  return { apiRoot, baseFetchConfig: { agent } };
}
