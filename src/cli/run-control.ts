/** What several commands share about a run: how far back (`--since`) and how to stop it (Ctrl-C). */

const UNITS: Record<string, number> = { m: 60, h: 3600, d: 86400, w: 7 * 86400 };

/** "7d", "12h", "30m", "2w" → milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([mhdw])$/.exec(text.trim());
  if (!match) throw new Error(`"${text}" is not a duration like 30m, 12h, 7d or 2w`);
  return Number(match[1]) * (UNITS[match[2] as string] as number) * 1000;
}

/** Resolves on the first Ctrl-C (the run then stops and keeps what it has); a second one exits at once. */
export function interruptSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => {
      process.stderr.write('\nStopping: results so far are saved; run the same command again to continue.\n');
      process.once('SIGINT', () => process.exit(130));
      resolve();
    });
  });
}
