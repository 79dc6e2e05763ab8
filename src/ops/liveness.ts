/**
 * Liveness: whether the loops a process lives by still run — polling Telegram (or the webhook server), taking jobs
 * from the queue. A process whose loop has stopped without being told to serves nothing while looking up, so
 * /healthz fails and the orchestrator (the container's HEALTHCHECK, ECS) restarts it. A loop that is only waiting —
 * for Redis, for Telegram — is alive: /readyz says what it waits for, and a restart would not help.
 */

/** `true` while the loop runs; otherwise why the process should be restarted, in words. */
export type LivenessCheck = () => true | string;

/**
 * A check that fails once `isRunning` has said false for longer than `graceMs`, with `why()` (what ended the loop,
 * when known) in its answer. The first `false` is seen when /healthz asks, which orchestrators do every few seconds.
 */
export function loopLiveness(
  graceMs: number,
  isRunning: () => boolean,
  why: () => string | undefined = () => undefined,
  now: () => number = Date.now,
): LivenessCheck {
  let stoppedSince: number | undefined;
  return () => {
    if (isRunning()) {
      stoppedSince = undefined;
      return true;
    }
    stoppedSince ??= now();
    const stoppedMs = now() - stoppedSince;
    if (stoppedMs <= graceMs) return true;
    return `stopped ${Math.round(stoppedMs / 1000)} s ago${why() ? `: ${why()}` : ''}`;
  };
}
