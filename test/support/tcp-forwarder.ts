/**
 * A managed Redis endpoint in miniature: one address whose connections are piped to the current target port.
 * `switchTo` moves it for new connections only and leaves the open ones where they are — as a managed endpoint's
 * DNS does at a failover, where clients still talk to the old primary until they reconnect.
 */
import { createConnection, createServer, type Socket } from 'node:net';

export class TcpForwarder {
  private readonly sockets = new Set<Socket>();
  /** How many connections were piped to each target port. */
  readonly connections = new Map<number, number>();

  private constructor(
    private readonly server: ReturnType<typeof createServer>,
    readonly port: number,
    private target: number,
  ) {}

  static async start(targetPort: number): Promise<TcpForwarder> {
    let forwarder: TcpForwarder | undefined;
    const server = createServer((client) => forwarder?.pipe(client));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('the forwarder has no port');
    forwarder = new TcpForwarder(server, address.port, targetPort);
    return forwarder;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** New connections go to `port` from now on; open ones stay with the old target. */
  switchTo(port: number): void {
    this.target = port;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private pipe(client: Socket): void {
    const target = this.target;
    this.connections.set(target, (this.connections.get(target) ?? 0) + 1);
    const upstream = createConnection({ host: '127.0.0.1', port: target });
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      // Either side going away ends the pair, as a dropped TCP path would; the other side sees a close.
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
