/**
 * The steps of a stop, by name, so that when a stop outlives its time limit the process can say what did not stop
 * ("photo worker: jobs still running") instead of hanging or dying without a word.
 */
export class ShutdownSteps {
  private readonly running = new Set<string>();

  /** Runs one step; its name is listed by `unfinished()` until it settles. */
  async run(name: string, step: () => Promise<unknown> | unknown): Promise<void> {
    this.running.add(name);
    try {
      await step();
    } finally {
      this.running.delete(name);
    }
  }

  unfinished(): string[] {
    return [...this.running];
  }
}
