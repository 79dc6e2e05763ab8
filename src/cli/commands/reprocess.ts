/**
 * `dog-breeds reprocess --since 7d --model <id>`: re-runs the photos and videos people sent (from the answer history:
 * file ids, never the files) through another model, and reports how many answers would change and which breeds
 * moved — to judge a new model before switching people to it.
 */
import { connectRedis } from '../../queue/index.ts';
import { PredictionHistory, type PredictionRecord } from '../../store/index.ts';
import { loadManifest } from '../../vision/index.ts';
import { type BatchItem, runBatch } from '../batch-run.ts';
import type { CliContext } from '../context.ts';
import { ResultFile } from '../result-file.ts';
import { interruptSignal, parseDuration } from '../run-control.ts';

export interface ReprocessFlags {
  since: string;
  model: string;
  local?: boolean;
  out?: string;
  json?: boolean;
}

export interface ReprocessReport {
  model: string;
  since: string;
  photos: number;
  compared: number;
  unreadable: number;
  top1Changed: number;
  verdictChanged: number;
  moves: { from: string; to: string; count: number }[];
}

export function compareAnswers(
  before: ReadonlyMap<string, PredictionRecord>,
  after: ReadonlyMap<string, { isDog: boolean; top: readonly { breed: string }[] } | null>,
  model: string,
  since: string,
): ReprocessReport {
  let compared = 0;
  let unreadable = 0;
  let top1Changed = 0;
  let verdictChanged = 0;
  const moves = new Map<string, number>();
  for (const [key, old] of before) {
    const now = after.get(key);
    if (now === undefined) continue;
    if (now === null) {
      unreadable++;
      continue;
    }
    compared++;
    if (old.isDog !== now.isDog) verdictChanged++;
    const from = old.top[0]?.breed ?? '?';
    const to = now.top[0]?.breed ?? '?';
    if (from !== to) {
      top1Changed++;
      moves.set(`${from} → ${to}`, (moves.get(`${from} → ${to}`) ?? 0) + 1);
    }
  }
  return {
    model,
    since,
    photos: before.size,
    compared,
    unreadable,
    top1Changed,
    verdictChanged,
    moves: [...moves.entries()]
      .map(([pair, count]) => {
        const [from = '', to = ''] = pair.split(' → ');
        return { from, to, count };
      })
      .sort((a, b) => b.count - a.count || a.from.localeCompare(b.from))
      .slice(0, 10),
  };
}

function formatReport(r: ReprocessReport): string {
  const pct = (n: number) => (r.compared === 0 ? '—' : `${((n / r.compared) * 100).toFixed(1)}%`);
  const lines = [
    `${r.photos} photos answered since ${r.since} ago, re-run with ${r.model}: ${r.compared} compared, ${r.unreadable} no longer downloadable`,
    `top breed changed: ${r.top1Changed} (${pct(r.top1Changed)}); dog / not-a-dog verdict changed: ${r.verdictChanged} (${pct(r.verdictChanged)})`,
  ];
  if (r.moves.length > 0)
    lines.push('moves (before → after):', ...r.moves.map((m) => `  ${m.from} → ${m.to}: ${m.count}`));
  return `${lines.join('\n')}\n`;
}

export async function reprocessCommand(flags: ReprocessFlags, context: CliContext): Promise<number> {
  const { config } = context;
  const sinceMs = parseDuration(flags.since);
  const manifest = await loadManifest(flags.model, config.MODELS_DIR);
  const redis = await connectRedis(config.REDIS_URL);
  let records: PredictionRecord[];
  try {
    const history = new PredictionHistory({
      redis,
      prefix: config.QUEUE_PREFIX,
      retentionSeconds: Math.round(config.HISTORY_RETENTION_DAYS * 86400),
      maxRecords: config.HISTORY_MAX_RECORDS,
    });
    records = await history.since(Date.now() - sinceMs);
  } finally {
    redis.disconnect();
  }
  // The latest answer per photo (the same photo may have been sent twice).
  const before = new Map(records.map((r) => [r.fileUniqueId, r]));
  // A video's answer is re-read from its frames, as the chat worker read it.
  const items: BatchItem[] = [...before.values()].map((r) => ({
    data: {
      source: { kind: 'telegram', fileId: r.fileId },
      key: `tg:${r.fileUniqueId}`,
      ...(r.media === 'video' ? { media: 'video' } : {}),
    },
  }));
  const after = new Map<string, { isDog: boolean; top: { breed: string }[] } | null>();
  const out = flags.out === undefined ? undefined : new ResultFile(flags.out);
  const summary = await runBatch({
    config,
    modelId: manifest.id,
    modelRef: flags.model,
    items,
    local: flags.local ?? false,
    logger: context.logger,
    interrupted: interruptSignal(),
    onResult: async (item, result) => {
      after.set(item.data.key.slice(3), result.ok ? result : null);
      await out?.append({ input: item.data.key, result });
    },
  });
  await out?.close();
  const report = compareAnswers(before, after, manifest.id, flags.since);
  context.out.write(flags.json ? `${JSON.stringify(report)}\n` : formatReport(report));
  return summary.interrupted ? 130 : 0;
}
