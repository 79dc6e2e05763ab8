/**
 * A Redis server of the test's own — AOF on, its own port and folder — that the test may stop and start again
 * (the shared Redis on 6379 must never be disturbed). It dies with the test's process, however that ends.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { findOnPath, freePort } from '../../src/playground/private-redis.ts';

/** How long a SHUTDOWN may take before the server is killed and the stop fails. */
const SHUTDOWN_TIMEOUT_MS = 10_000;

/**
 * util-linux's setpriv sets a parent-death signal and execs redis-server: the kernel kills the server when this
 * process dies, SIGKILL included (an 'exit' handler does not run then). Elsewhere, only the 'exit' handler.
 */
const SETPRIV = process.platform === 'linux' ? findOnPath('setpriv') : undefined;
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

export class TestRedisServer {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly binary: string,
    private readonly extraArgs: readonly string[],
  ) {}

  /** @param extraArgs more of redis-server's options (`--replicaof 127.0.0.1 <port>`), kept across restarts */
  static async start(extraArgs: readonly string[] = []): Promise<TestRedisServer> {
    const binary = findOnPath('redis-server');
    if (binary === undefined) throw new Error('redis-server is not on the PATH (apt-get install redis-server)');
    const server = new TestRedisServer(
      await freePort(),
      await mkdtemp(path.join(os.tmpdir(), 'dog-breeds-aof-')),
      binary,
      extraArgs,
    );
    await server.startProcess();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /**
   * Stops the server the way an operator's restart does (SHUTDOWN: the AOF is flushed), or kills it. A SHUTDOWN that
   * has not ended the server within 10 s kills it and fails, rather than waiting for ever.
   */
  async stop(how: 'shutdown' | 'kill' = 'shutdown'): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    this.child = undefined;
    try {
      if (!isRunning(child)) return;
      const exited = once(child, 'exit');
      if (how === 'kill') {
        child.kill('SIGKILL');
        await exited;
        return;
      }
      const client = new Redis(this.url, {
        lazyConnect: true,
        maxRetriesPerRequest: 1,
        retryStrategy: () => null,
        connectTimeout: 2000,
      });
      client.on('error', () => undefined); // the server going away is the point
      await client.connect().catch(() => undefined); // a server that does not answer is killed below
      await client.call('SHUTDOWN').catch(() => undefined); // the connection closes as the server exits
      client.disconnect();
      const timer = new AbortController();
      const late = delay(SHUTDOWN_TIMEOUT_MS, 'late', { signal: timer.signal }).catch(() => 'aborted');
      const outcome = await Promise.race([exited.then(() => 'exited'), late]);
      timer.abort();
      if (outcome === 'late') {
        child.kill('SIGKILL');
        await exited;
        throw new Error(
          `test redis-server on port ${this.port} did not shut down in ${SHUTDOWN_TIMEOUT_MS} ms: killed`,
        );
      }
    } finally {
      running.delete(child);
    }
  }

  async restart(downMs = 1000, how: 'shutdown' | 'kill' = 'shutdown'): Promise<void> {
    await this.stop(how);
    await new Promise((resolve) => setTimeout(resolve, downMs));
    await this.startProcess();
  }

  /** One command on this server (`REPLICAOF NO ONE`, `INFO replication`), its reply as ioredis gives it. */
  async command(name: string, ...args: string[]): Promise<unknown> {
    const client = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    client.on('error', () => undefined); // reported by the command below
    try {
      await client.connect();
      return await client.call(name, ...args);
    } finally {
      client.disconnect();
    }
  }

  async close(): Promise<void> {
    await this.stop('kill');
    await rm(this.dir, { recursive: true, force: true });
  }

  private async startProcess(): Promise<void> {
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--save',
      '',
      '--dir',
      this.dir,
      ...this.extraArgs,
    ];
    const child =
      SETPRIV === undefined
        ? spawn(this.binary, args, { stdio: 'ignore' })
        : spawn(SETPRIV, ['--pdeathsig', 'KILL', '--', this.binary, ...args], { stdio: 'ignore' });
    this.child = child;
    running.add(child);
    child.once('exit', () => running.delete(child));
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (!isRunning(child)) {
        throw new Error(`test redis-server on port ${this.port} exited at start (code ${child.exitCode})`);
      }
      const client = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on('error', () => undefined); // refused until the server listens: retried below
      try {
        await client.connect();
        if ((await client.ping()) === 'PONG') return;
      } catch {
        if (Date.now() > deadline) throw new Error(`test redis-server on port ${this.port} did not start`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      } finally {
        client.disconnect();
      }
    }
  }
}
