/**
 * The bot and a photo worker whose vision core answers from a table (photo bytes → classification): the real bot,
 * queue, Redis, sharp drawing and Bot API stand-in over HTTP, with answers that do not depend on what the model makes
 * of a photo. For the Telegram flow of answers about several dogs; test/e2e runs the same flow with the real model.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { Worker } from 'bullmq';
import { type RunningApp, startApp } from '../../src/app.ts';
import { type Config, configSchema } from '../../src/config/index.ts';
import { loadTexts } from '../../src/i18n/texts.ts';
import { createLogger } from '../../src/ops/logger.ts';
import { BotApiStandIn } from '../../src/playground/bot-api/stand-in.ts';
import { openPersonalData } from '../../src/store/index.ts';
import { createTelegramApi } from '../../src/telegram/api.ts';
import { type Classification, loadBreeds } from '../../src/vision/index.ts';
import { PhotoReplies } from '../../src/worker/format-answer.ts';
import { startPhotoWorker } from '../../src/worker/photo-worker.ts';
import { deleteKeysWithPrefix, type Harness, REDIS_URL, TEST_TOKEN } from '../support/app-harness.ts';
import { MODELS_DIR } from '../support/paths.ts';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

export interface CannedHarness extends Harness {
  /** From now on, these photo bytes are classified as `result`. */
  answer(bytes: Uint8Array, result: Classification): void;
  worker: Worker;
}

export async function startCannedHarness(env: Record<string, string> = {}): Promise<CannedHarness> {
  const standIn = await BotApiStandIn.start({ token: TEST_TOKEN });
  const config: Config = configSchema.parse({
    BOT_TOKEN: TEST_TOKEN,
    TELEGRAM_API_ROOT: standIn.apiRoot,
    REDIS_URL,
    QUEUE_PREFIX: `test-${randomUUID().slice(0, 8)}`,
    MODELS_DIR,
    LOG_LEVEL: 'debug',
    OPS_PORT: '-1',
    ...env,
  });
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  const logger = createLogger({ level: 'debug', secrets: [TEST_TOKEN], destination: sink });
  const app: RunningApp = await startApp(config, ['bot'], logger);
  const table = new Map<string, Classification>();
  const breeds = await loadBreeds(`${MODELS_DIR}/breeds.json`);
  const personal = openPersonalData(app.redis, config.QUEUE_PREFIX, {
    answerRetentionSeconds: 3600,
    feedbackRetentionSeconds: 3600,
  });
  const telegram = { token: TEST_TOKEN, apiRoot: standIn.apiRoot };
  const worker = startPhotoWorker({
    connection: app.redis,
    prefix: config.QUEUE_PREFIX,
    concurrency: 2,
    locks: { lockDuration: config.JOB_LOCK_MS, stalledInterval: config.STALLED_INTERVAL_MS },
    classifier: {
      classify: async (input) => {
        const result = table.get(sha256(input));
        if (!result) throw new Error('canned vision: no answer for this photo');
        return structuredClone(result);
      },
    },
    api: createTelegramApi(telegram),
    telegram,
    answer: { unsureThreshold: config.UNSURE_THRESHOLD, groupLeadShare: config.GROUP_LEAD_SHARE },
    replies: new PhotoReplies(await loadTexts(MODELS_DIR, breeds), personal),
    logger: logger.child({ role: 'worker' }),
    metrics: app.metrics,
    history: app.history,
  });
  return {
    standIn,
    app,
    config,
    logLines,
    worker,
    answer: (bytes, result) => table.set(sha256(bytes), result),
    async close() {
      await worker.close();
      await app.stop();
      await standIn.close();
      await deleteKeysWithPrefix(config.REDIS_URL, config.QUEUE_PREFIX);
    },
  };
}
