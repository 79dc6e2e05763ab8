/**
 * Micro-batching: requests that arrive together run as one batch. A batch is flushed when it holds `maxBatch` items
 * or `maxWaitMs` after its first item arrived, whichever comes first; while `maxInFlight` batches are running, new
 * items wait and go out together as soon as one finishes (under load, batches fill up by themselves).
 * Each caller gets its own result; when a batch fails as a whole, its items are retried one by one, so one bad item
 * never fails its batch-mates.
 */

export interface MicroBatcherOptions {
  /** Most items in one batch. */
  maxBatch: number;
  /** Longest an item waits for batch-mates, in milliseconds. 0 = flush on the next tick. */
  maxWaitMs: number;
  /** Batches running at once; 2 keeps the next batch ready while one runs. */
  maxInFlight?: number;
  /** Told the size of every batch run (metrics). */
  onBatch?: (size: number) => void;
}

/** Runs a batch; must return one result per item, in order. */
export type BatchFunction<I, O> = (items: I[]) => Promise<O[]>;

interface Waiting<I, O> {
  item: I;
  resolve: (result: O) => void;
  reject: (error: unknown) => void;
}

export class MicroBatcher<I, O> {
  private queue: Waiting<I, O>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  private readonly maxInFlight: number;

  constructor(
    private readonly runBatch: BatchFunction<I, O>,
    private readonly options: MicroBatcherOptions,
  ) {
    if (!(options.maxBatch >= 1)) throw new RangeError('maxBatch must be at least 1');
    this.maxInFlight = options.maxInFlight ?? 2;
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.queue.length >= this.options.maxBatch) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.options.maxWaitMs);
    });
  }

  /** Items waiting for a batch. */
  get waiting(): number {
    return this.queue.length;
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.queue.length > 0 && this.inFlight < this.maxInFlight) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      this.inFlight++;
      void this.execute(batch).finally(() => {
        this.inFlight--;
        // Whatever queued up meanwhile has waited long enough.
        if (this.queue.length > 0) this.flush();
      });
    }
  }

  private async execute(batch: Waiting<I, O>[]): Promise<void> {
    this.options.onBatch?.(batch.length);
    try {
      const results = await this.runBatch(batch.map((w) => w.item));
      if (results.length !== batch.length) throw new Error(`batch of ${batch.length} returned ${results.length}`);
      batch.forEach((w, i) => {
        w.resolve(results[i] as O);
      });
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.reject(error);
        return;
      }
      // Isolate the culprit: each item alone.
      await Promise.all(
        batch.map(async (w) => {
          try {
            const results = await this.runBatch([w.item]);
            if (results.length !== 1) throw new Error(`batch of 1 returned ${results.length}`);
            w.resolve(results[0] as O);
          } catch (singleError) {
            w.reject(singleError);
          }
        }),
      );
    }
  }
}
