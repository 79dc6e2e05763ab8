/**
 * A small load balancer for the webhook tests: real HTTP in, each request forwarded whole (method, path, headers,
 * body) to the next of its targets in turn, the target's answer passed back; a target that does not answer makes a
 * 502, as a load balancer says. Counts what each target answered.
 */
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RoundRobinProxy {
  /** `http://127.0.0.1:<port>`: give it a path to make the webhook URL. */
  origin: string;
  /** Per target (in the order given): how many requests got each status (0: no answer, 502 given instead). */
  answered: Array<Map<number, number>>;
  close(): Promise<void>;
}

export async function startRoundRobinProxy(targetPorts: readonly number[]): Promise<RoundRobinProxy> {
  const answered = targetPorts.map(() => new Map<number, number>());
  let next = 0;
  const count = (target: number, status: number) => {
    const counts = answered[target] as Map<number, number>;
    counts.set(status, (counts.get(status) ?? 0) + 1);
  };
  const forward = (req: IncomingMessage, res: ServerResponse) => {
    const target = next++ % targetPorts.length;
    const upstream = request(
      { host: '127.0.0.1', port: targetPorts[target], method: req.method, path: req.url, headers: req.headers },
      (response) => {
        count(target, response.statusCode ?? 0);
        res.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(res);
      },
    );
    upstream.on('error', () => {
      count(target, 0);
      if (!res.headersSent) res.writeHead(502).end();
    });
    req.pipe(upstream);
  };
  const server = createServer(forward);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    answered,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
