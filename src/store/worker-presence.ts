/**
 * Workers announce themselves in Redis (model, gate, device, since when), refreshed while they live and expiring when
 * they stop, so `/stats` in any bot process can say what is serving.
 */
import os from 'node:os';
import type { Redis } from 'ioredis';
import { StoreKeys } from './store-keys.ts';

export interface WorkerInfo {
  id: string;
  model: string;
  gateModel: string | null;
  device: string;
  startedAt: number;
}

const TTL_SECONDS = 60;

export function announceWorker(redis: Redis, prefix: string, info: Omit<WorkerInfo, 'id'>): () => Promise<void> {
  const id = `${os.hostname()}-${process.pid}`;
  const key = new StoreKeys(prefix).worker(id);
  const write = () => redis.set(key, JSON.stringify({ id, ...info }), 'EX', TTL_SECONDS).catch(() => undefined);
  void write();
  const timer = setInterval(write, (TTL_SECONDS / 3) * 1000);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await redis.del(key).catch(() => undefined);
  };
}

export async function listWorkers(redis: Redis, prefix: string): Promise<WorkerInfo[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', new StoreKeys(prefix).everyWorker(), 'COUNT', 200);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0');
  if (keys.length === 0) return [];
  const values = await redis.mget(...keys);
  return values.flatMap((v) => (v === null ? [] : [JSON.parse(v) as WorkerInfo]));
}
