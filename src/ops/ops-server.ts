/**
 * Each process's operations endpoint: `/healthz` (the process is alive: its loops run), `/readyz` (Redis answers, the model is
 * loaded, the bot polls, Telegram answers — and, while one is not, why), `/metrics` (Prometheus), and Bull Board at
 * `/board` behind basic auth — only when credentials are configured. Binds to OPS_HOST (loopback unless a container
 * says otherwise). Started first, before any dependency is reached, so that a process that waits says what for.
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
import type { LivenessCheck } from './liveness.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';

export class OpsPortInUseError extends OperatorError {
  override readonly name = 'OpsPortInUseError';
}

/** `true` when ready; otherwise why not, in words (`false` alone reads "not ready"). */
export type ReadinessState = boolean | string;
export type ReadinessCheck = () => Promise<ReadinessState> | ReadinessState;

/** A check that does not answer within this long is reported as not ready (a Redis that is down never answers). */
const CHECK_TIMEOUT_MS = 2000;

export interface OpsServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  metrics: Metrics;
  /** Named checks; /readyz is 200 only when all pass. Each answer is `true` or why not. */
  readiness: Record<string, ReadinessCheck>;
  /**
   * The loops the process lives by (liveness.ts); /healthz is 503, naming the dead ones, when one has stopped. Read
   * at each request: a role adds its own once started.
   */
  liveness?: Record<string, LivenessCheck>;
  /** Facts shown beside the checks that do not make the process unready (what this process does not serve). */
  notes?: Record<string, string>;
  logger: Logger;
}

export interface BoardOptions {
  queues: Queue[];
  user: string;
  password: string;
}

export interface OpsServer {
  url: string;
  /** Bull Board over these queues at /board (added once the queues exist: Redis is reached after the endpoint is up). */
  mountBoard(board: BoardOptions): void;
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

/** One check's answer: `true`, or why not (false, a throw and no answer in time each said in words). */
async function runCheck(check: ReadinessCheck): Promise<true | string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${CHECK_TIMEOUT_MS / 1000} s`), CHECK_TIMEOUT_MS);
  });
  try {
    const state = await Promise.race([Promise.resolve().then(check), timeout]);
    return state === true ? true : state === false ? 'not ready' : state;
  } catch (error) {
    return `error: ${(error as Error).message}`;
  } finally {
    clearTimeout(timer);
  }
}

export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const app = express();
  app.disable('x-powered-by');

  app.get('/healthz', (_req, res) => {
    const dead = Object.entries(options.liveness ?? {}).flatMap(([name, check]) => {
      const state = check();
      return state === true ? [] : [[name, state] as const];
    });
    if (dead.length === 0) return void res.json({ status: 'ok' });
    res.status(503).json({ status: 'dead', checks: Object.fromEntries(dead) });
  });

  app.get('/readyz', async (_req, res) => {
    const results = await Promise.all(
      Object.entries(options.readiness).map(async ([name, check]) => [name, await runCheck(check)] as const),
    );
    const ready = results.every(([, state]) => state === true);
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ready' : 'not ready',
      checks: Object.fromEntries(results),
      ...(options.notes && Object.keys(options.notes).length > 0 ? { notes: options.notes } : {}),
    });
  });

  app.get('/metrics', async (_req, res) => {
    try {
      res.set('Content-Type', options.metrics.registry.contentType).send(await options.metrics.registry.metrics());
    } catch (error) {
      options.logger.warn({ err: error }, 'metrics collection failed');
      res.status(500).send('metrics unavailable');
    }
  });

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
  options.logger.info({ url }, 'ops endpoint listening');
  return {
    url,
    mountBoard(board) {
      const adapter = new ExpressAdapter().setBasePath('/board');
      createBullBoard({ queues: board.queues.map((q) => new BullMQAdapter(q)), serverAdapter: adapter });
      app.use('/board', basicAuth(board.user, board.password), adapter.getRouter());
      options.logger.info({ url: `${url}/board` }, 'Bull Board mounted');
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
