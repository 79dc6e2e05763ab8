/**
 * How a Bot API client connects: undici's fetch (Node's) over keep-alive connections, at most BOT_API_MAX_SOCKETS at
 * once per client, its file downloads included. grammY's default agent has no cap, so a burst (200 people's
 * "typing…" at once) opened a connection per call; on a loaded machine part of those handshakes waited for a
 * retransmission (1 s and more), and the burst's first reply p95 went from about 0.5 s to 2 s (`npm run bench:e2e`).
 * Calls beyond the cap wait for a free connection, which is quicker. Not grammY's default node-fetch 2: with calls
 * waiting for connections and answers sent chunked (a self-hosted Bot API server, a proxy), it reports a false
 * "Premature close" (node-fetch issue #1767), and a reply that was sent is counted failed and sent again.
 */
import type { Api, ApiClientOptions } from 'grammy';
import { Agent, fetch as undiciFetch } from 'undici';

/**
 * Connections one client keeps to the Bot API. Telegram's own default for webhook connections is 40; a long poll
 * holds one of them.
 */
export const BOT_API_MAX_SOCKETS = 40;

/** A fetch over one client's pool of connections. */
export type PoolFetch = (url: string, init?: RequestInit) => Promise<Response>;

/** A new pool of at most BOT_API_MAX_SOCKETS keep-alive connections, and the fetch that uses it. */
export function connectionPool(): PoolFetch {
  const dispatcher = new Agent({ connections: BOT_API_MAX_SOCKETS });
  // undici's fetch with its own Agent (a dispatcher may not fit another undici's fetch, such as Node's bundled one);
  // its types are its own package's, the same shapes as Node's global fetch.
  return (url, init) =>
    undiciFetch(url, { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher }) as unknown as Promise<Response>;
}

/** grammY client options for `apiRoot`: its defaults, over `fetch` (a new pool unless given). */
export function botApiClientOptions(apiRoot: string, fetch: PoolFetch = connectionPool()): ApiClientOptions {
  // grammY types `fetch` as node-fetch's; it calls it with (url, init) and reads the answer's `json()`, as here.
  return { apiRoot, fetch: fetch as unknown as NonNullable<ApiClientOptions['fetch']> };
}

const pools = new WeakMap<Api, PoolFetch>();

/** Remembers the pool `api` calls through, for its file downloads. */
export function rememberPool(api: Api, fetch: PoolFetch): void {
  pools.set(api, fetch);
}

/** The pool `api`'s calls go through, or the global fetch for a client made elsewhere. */
export function poolOf(api: Api): PoolFetch {
  return pools.get(api) ?? globalThis.fetch;
}
