/**
 * A throw-away Redis for the playground: `redis-server` on a free local port, no persistence, in a temporary folder,
 * stopped (and the folder removed) when the playground stops or the process exits.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { RedisUnavailableError } from '../queue/index.ts';

export interface PrivateRedis {
  url: string;
  /** The server's process id (to tell it from other Redis servers). */
  pid: number;
  stop(): Promise<void>;
}

/** The full path of an executable on the PATH, if there is one. */
export function findOnPath(binary: string, searchPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of searchPath.split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** A TCP port nobody listens on right now. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('freePort: unexpected address');
  return address.port;
}

export async function startPrivateRedis(
  binary: string,
  options: { readyTimeoutMs?: number } = {},
): Promise<PrivateRedis> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dog-breeds-redis-'));
  const port = await freePort();
  // Its own process group: a Ctrl-C in the terminal reaches the playground, which stops Redis last, after the
  // worker has let go of it (Redis quitting first would leave the worker waiting for it).
  const child = spawn(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-2000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const killOnExit = () => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', killOnExit);

  const url = `redis://127.0.0.1:${port}`;
  const stop = async () => {
    process.off('exit', killOnExit);
    await stopChild(child, exited);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const failure = await Promise.race([
      waitUntilReady(url, options.readyTimeoutMs ?? 10_000).then(() => undefined),
      exited.then(() => new Error(`redis-server exited at start-up: ${lastLine(output)}`)),
      spawnError,
    ]);
    if (failure) throw failure;
  } catch (error) {
    await stop();
    throw new RedisUnavailableError(`Could not start a private Redis with ${binary}: ${(error as Error).message}`);
  }
  return { url, pid: child.pid ?? 0, stop };
}

async function waitUntilReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    redis.on('error', () => undefined);
    try {
      await redis.connect();
      await redis.ping();
      return;
    } catch (error) {
      lastError = error;
    } finally {
      redis.disconnect();
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`not answering after ${timeoutMs} ms (${(lastError as Error | undefined)?.message ?? 'no reply'})`);
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '(no output)';
}
