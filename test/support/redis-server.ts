/**
 * A Redis server of the test's own — AOF on, its own port and folder — that the test may stop and start again
 * (the shared Redis on 6379 must never be disturbed).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { findOnPath, freePort } from '../../src/playground/private-redis.ts';

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

  /** Stops the server the way an operator's restart does (SHUTDOWN: the AOF is flushed), or kills it. */
  async stop(how: 'shutdown' | 'kill' = 'shutdown'): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (how === 'kill') child.kill('SIGKILL');
    else {
      const client = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      client.on('error', () => undefined); // the server going away is the point
      await client.connect();
      await client.call('SHUTDOWN').catch(() => undefined); // the connection closes as the server exits
      client.disconnect();
    }
    await exited;
    this.child = undefined;
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
    this.child = spawn(
      this.binary,
      [
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
      ],
      { stdio: 'ignore' },
    );
    const deadline = Date.now() + 10_000;
    for (;;) {
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
