/**
 * Each process's operations endpoint: `/healthz` (the process is alive), `/readyz` (Redis answers, the model is
 * loaded, the bot polls, Telegram answers), `/metrics` (Prometheus), and Bull Board at `/board` behind basic auth —
 * only when credentials are configured. Binds to OPS_HOST (loopback unless a container says otherwise).
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import express, { type NextFunction, type Request, type Response } from 'express';
import { OperatorError } from '../operator-error.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';

export class OpsPortInUseError extends OperatorError {
  override readonly name = 'OpsPortInUseError';
}

export type ReadinessCheck = () => Promise<boolean>;

export interface OpsServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  metrics: Metrics;
  /** Named checks; /readyz is 200 only when all pass. */
  readiness: Record<string, ReadinessCheck>;
  /** Bull Board over these queues, when user and password are set. */
  board?: { queues: Queue[]; user: string; password: string };
  logger: Logger;
}

export interface OpsServer {
  url: string;
  close(): Promise<void>;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function basicAuth(user: string, password: string) {
  return (req: Request, res: Response, next: NextFunction) => {
    const header = req.headers.authorization ?? '';
    const [scheme, encoded] = header.split(' ');
    const [givenUser = '', givenPassword = ''] =
      scheme === 'Basic' && encoded ? Buffer.from(encoded, 'base64').toString('utf8').split(/:(.*)/s) : [];
    if (sameSecret(givenUser, user) && sameSecret(givenPassword, password)) return next();
    res.set('WWW-Authenticate', 'Basic realm="dog-breeds board"').status(401).send('Authentication required');
  };
}

export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const app = express();
  app.disable('x-powered-by');

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    const results = await Promise.all(
      Object.entries(options.readiness).map(async ([name, check]) => {
        const ok = await check().catch(() => false);
        return [name, ok] as const;
      }),
    );
    const ready = results.every(([, ok]) => ok);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks: Object.fromEntries(results) });
  });

  app.get('/metrics', async (_req, res) => {
    try {
      res.set('Content-Type', options.metrics.registry.contentType).send(await options.metrics.registry.metrics());
    } catch (error) {
      options.logger.warn({ err: error }, 'metrics collection failed');
      res.status(500).send('metrics unavailable');
    }
  });

  if (options.board) {
    const adapter = new ExpressAdapter().setBasePath('/board');
    createBullBoard({ queues: options.board.queues.map((q) => new BullMQAdapter(q)), serverAdapter: adapter });
    app.use('/board', basicAuth(options.board.user, options.board.password), adapter.getRouter());
  }

  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new OpsPortInUseError(
              `OPS_PORT ${options.port} on ${options.host} is taken: set OPS_PORT to a free port, 0 for any, or -1 for none.`,
            )
          : error,
      ),
    );
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`;
  options.logger.info({ url, board: options.board !== undefined }, 'ops endpoint listening');
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
