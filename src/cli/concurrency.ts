import type { Config } from '../config/index.ts';

/**
 * Photos a command keeps in flight: two micro-batches' worth, so the next batch is being decoded while one runs
 * (MAX_BATCH is the setting that sizes batches; more in flight would only queue in memory).
 */
export function photosInFlight(config: Pick<Config, 'MAX_BATCH'>): number {
  return config.MAX_BATCH * 2;
}

/** Runs `fn` over `items` with at most `limit` calls in flight, in input order of start. */
export async function forEachConcurrently<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      await fn(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
}
