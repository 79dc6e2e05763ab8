/**
 * Which Redis failures pass by themselves. A Redis that refuses writes — full at `maxmemory` with `noeviction` (OOM),
 * a failed disk save (MISCONF), a primary turned replica by a failover (READONLY) — or that is loading or failing over
 * comes back without anyone changing the request: the work waits and tries again. So does a connection that is gone.
 * Anything else (a wrong type, a script's bug) would fail the same way every time.
 */

/** Error replies (ioredis' ReplyError, also from inside a script) of a Redis that is, for now, not taking writes. */
const REFUSING = /^(OOM|MISCONF|READONLY|LOADING|MASTERDOWN|NOREPLICAS|TRYAGAIN|CLUSTERDOWN|BUSY)\b/;
/** What ioredis rejects a command with when its connection is gone, or gave up on it. */
const DISCONNECTED = /^(Connection is closed|Stream isn't writeable|Reached the max retries per request limit)/;

/** Whether `error`, or an error it wraps (grammY's BotError.error, `cause`), is Redis away or refusing writes for now. */
export function isRedisUnavailable(error: unknown): boolean {
  let cause = error;
  for (let depth = 0; cause instanceof Error && depth < 4; depth++) {
    if (cause.name === 'ReplyError' && REFUSING.test(cause.message)) return true;
    if (DISCONNECTED.test(cause.message)) return true;
    cause = (cause as { error?: unknown }).error ?? cause.cause;
  }
  return false;
}
