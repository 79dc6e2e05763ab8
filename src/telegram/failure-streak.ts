/** A run of failures in a row: when it started and how long it is, so that it is told once at each end. */
export class FailureStreak {
  private since: number | undefined;
  private failures = 0;

  constructor(private readonly now: () => number = Date.now) {}

  get failing(): boolean {
    return this.since !== undefined;
  }

  /** Counts a failure; true for the first of a streak. */
  fail(): boolean {
    this.failures++;
    if (this.since !== undefined) return false;
    this.since = this.now();
    return true;
  }

  /** A success: the streak that it ends, if one was running. */
  end(): { failures: number; downMs: number } | undefined {
    if (this.since === undefined) return undefined;
    const ended = { failures: this.failures, downMs: this.now() - this.since };
    this.since = undefined;
    this.failures = 0;
    return ended;
  }
}
