/**
 * `/stats` for the admins in ADMIN_IDS: queue depth, answers in the last hour and day, latency percentiles, and which
 * model runs on which device. Anyone else gets what any unknown text gets — no hint that the command exists.
 */
import { Composer } from 'grammy';
import type { Redis } from 'ioredis';
import type { ServiceStats, Texts } from '../../i18n/index.ts';
import type { PhotoQueue } from '../../queue/index.ts';
import { listWorkers, type PredictionHistory } from '../../store/index.ts';
import type { BotContext } from '../context.ts';

export interface AdminDeps {
  adminIds: readonly number[];
  queue: PhotoQueue;
  history: PredictionHistory;
  redis: Redis;
  prefix: string;
}

const HOUR = 3600_000;

function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? null;
}

export async function collectStats(deps: AdminDeps, now = Date.now()): Promise<ServiceStats> {
  const [counts, lastDay, workers] = await Promise.all([
    deps.queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed'),
    deps.history.since(now - 24 * HOUR),
    listWorkers(deps.redis, deps.prefix),
  ]);
  const lastHour = lastDay.filter((r) => r.at >= now - HOUR);
  const latencies = (records: typeof lastDay) => records.map((r) => r.ms).sort((a, b) => a - b);
  const window = (records: typeof lastDay) => {
    const ms = latencies(records);
    return { answers: records.length, p50: percentile(ms, 0.5), p95: percentile(ms, 0.95) };
  };
  return {
    queue: {
      // Photo jobs carry priorities (the fair order), so BullMQ counts them as prioritized, not waiting.
      waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
      active: counts.active ?? 0,
      delayed: counts.delayed ?? 0,
      failed: counts.failed ?? 0,
    },
    historyOn: deps.history.enabled,
    lastHour: window(lastHour),
    lastDay: window(lastDay),
    workers: workers.map((w) => ({ model: w.model, gateModel: w.gateModel, device: w.device })),
  };
}

export function admin(deps: AdminDeps & { texts: Texts }): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.command('stats', async (ctx, next) => {
    if (ctx.from === undefined || !deps.adminIds.includes(ctx.from.id)) return next();
    await ctx.reply(deps.texts.stats(ctx.locale, await collectStats(deps)), { parse_mode: 'HTML' });
  });
  return composer;
}
