/**
 * Which Redis failures pass by themselves, in one place. A connection that is gone comes back (ioredis reconnects);
 * a Redis that refuses writes — full at `maxmemory` with `noeviction` (OOM), a failed disk save (MISCONF), a primary
 * turned replica by a failover (READONLY), loading or failing over — takes them again without anyone changing the
 * request. The work waits and tries again. Anything else (a wrong type, a script's bug) fails the same every time.
 */

/** Error codes and messages of a connection that is gone or cannot be made, not of a command that failed. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const CONNECTION_MESSAGES =
  /^(Connection is closed|Stream isn't writeable|Command aborted due to connection close|Reached the max retries per request limit)/;
/**
 * Error replies (ioredis' ReplyError, also from inside a script) of a Redis that is, for now, not taking writes;
 * EXECABORT is a transaction that one of those discarded.
 */
const REFUSING = /^(OOM|MISCONF|READONLY|LOADING|MASTERDOWN|NOREPLICAS|TRYAGAIN|CLUSTERDOWN|BUSY|EXECABORT)\b/;

export function isRedisConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code } = error as NodeJS.ErrnoException;
  return (code !== undefined && CONNECTION_CODES.has(code)) || CONNECTION_MESSAGES.test(error.message);
}

/** A reply refusing a write for now (its text starts with the code, whichever command or script it came from). */
export function isRedisRefusingWrites(error: unknown): boolean {
  return error instanceof Error && REFUSING.test(error.message);
}

/** Whether `error`, or an error it wraps (grammY's BotError.error, `cause`), is Redis away or refusing writes for now. */
export function isRedisUnavailable(error: unknown): boolean {
  let cause = error;
  for (let depth = 0; cause instanceof Error && depth < 4; depth++) {
    if (isRedisConnectionError(cause) || isRedisRefusingWrites(cause)) return true;
    cause = (cause as { error?: unknown }).error ?? cause.cause;
  }
  return false;
}
