/**
 * Webhook mode's HTTP side: serves grammY's webhook handler on its own port (the load balancer's target), at the
 * path of WEBHOOK_URL. Telegram sends the secret_token given to setWebhook with every update; a request without it
 * gets 401 (the first one logged, the rest only counted; the secret is never logged), one with it but a body over
 * WEBHOOK_BODY_LIMIT 413 (read no further). The handler only replies and queues, so it answers in milliseconds; see
 * ANSWER_WITHIN_MS for the slow case, update-claim.ts for re-deliveries.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Bot, BotError, type Context, webhookCallback } from 'grammy';
import type { Update } from 'grammy/types';
import type { Logger, Metrics } from '../ops/index.ts';
import { RetryDeliveryLater } from './update-claim.ts';

/**
 * A request still being handled after this long is answered 200 anyway while its handling goes on (grammY's
 * `onTimeout` as a function, which then returns): Telegram re-sends an update it got no answer for, and its own
 * patience is longer than this, so it does not re-send. Nothing is lost: the handling continues under its claim,
 * its errors reach the error boundary (the person is told), and stop() waits for the requests in flight. Only a
 * process killed within that handling loses the update — as with polling.
 */
export const ANSWER_WITHIN_MS = 10_000;
/**
 * The largest request body read: Telegram's updates are a few kilobytes (a long message with its entities, a photo's
 * sizes), so a body past this is no update; it is refused 413 as it passes the limit, never buffered whole.
 */
export const WEBHOOK_BODY_LIMIT = 1024 * 1024;
/** Stop waits for requests in flight (each ends within ANSWER_WITHIN_MS) this much longer, then closes their sockets. */
const STOP_MARGIN_MS = 2000;

export interface WebhookServerOptions<C extends Context> {
  bot: Bot<C>;
  host: string;
  /** 0 picks a free one. */
  port: number;
  /** The path Telegram posts to: WEBHOOK_URL's pathname. Other paths get 404. */
  path: string;
  /** setWebhook's secret_token. */
  secret: string;
  logger: Logger;
  metrics: Metrics;
  /** Default ANSWER_WITHIN_MS (tests make it short). */
  answerWithinMs?: number;
}

export interface WebhookServer {
  /** The port it listens on (the chosen one when 0 was asked). */
  port: number;
  /** Stops accepting, lets requests in flight finish (bounded), then closes. */
  close(): Promise<void>;
}

export async function startWebhookServer<C extends Context>(options: WebhookServerOptions<C>): Promise<WebhookServer> {
  const handle = webhookRequestHandler(options);
  const inFlight = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    if (req.method !== 'POST' || new URL(req.url ?? '/', 'http://webhook').pathname !== options.path) {
      res.writeHead(404).end();
      return;
    }
    inFlight.add(res);
    res.on('close', () => inFlight.delete(res));
    void handle(req, res);
  });
  await listen(server, options.host, options.port);
  const graceMs = (options.answerWithinMs ?? ANSWER_WITHIN_MS) + STOP_MARGIN_MS;
  return { port: (server.address() as AddressInfo).port, close: () => closeGracefully(server, inFlight, graceMs) };
}

/** One request: grammY checks the secret (constant-time) and runs the bot; this maps what came of it to a status. */
function webhookRequestHandler<C extends Context>(options: WebhookServerOptions<C>) {
  const { logger, metrics, answerWithinMs = ANSWER_WITHIN_MS } = options;
  const count = (outcome: string) => metrics.webhookRequests.inc({ outcome });
  let refusedBefore = false;
  const callback = webhookCallback(options.bot, limitedHttpAdapter, {
    secretToken: options.secret,
    timeoutMilliseconds: answerWithinMs,
    onTimeout: () => {
      count('timeout');
      logger.warn({ afterMs: answerWithinMs }, 'webhook update still being handled: answered, handling goes on');
    },
  });
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      await callback(req, res);
      if (res.statusCode !== 401) return void count('answered');
      count('unauthorized');
      if (refusedBefore) return;
      refusedBefore = true;
      // Once, not per request: a flood of forged requests must not flood the log. The metric counts every one.
      logger.warn(
        { remote: req.socket.remoteAddress, path: options.path },
        'webhook request without the right secret token refused (401); later ones are only counted in ' +
          'dog_breeds_webhook_requests_total{outcome="unauthorized"}',
      );
    } catch (error) {
      if (res.headersSent) return;
      const cause = error instanceof BotError ? error.error : error;
      if (cause instanceof BodyTooLarge) {
        count('too-large');
        logger.warn({ limit: WEBHOOK_BODY_LIMIT }, 'webhook request with a body over the limit refused (413)');
        // The rest of the body is not read: the connection goes with the answer.
        return void res.writeHead(413, { connection: 'close' }).end();
      }
      if (cause instanceof RetryDeliveryLater) {
        count('retry-later');
        return void res.writeHead(503, { 'retry-after': '1' }).end();
      }
      if (cause instanceof SyntaxError) {
        count('bad-request');
        logger.warn({ err: cause }, 'webhook request with a body that is not JSON refused (400)');
        return void res.writeHead(400).end();
      }
      // Outside the bot's error boundary (it catches the handlers'): Telegram sends the update again.
      count('failed');
      logger.error({ err: cause }, 'webhook update not handled: Telegram will send it again');
      res.writeHead(500).end();
    }
  };
}

class BodyTooLarge extends Error {}

/**
 * grammY's adapter for node:http (`'http'`), but for its body: read up to WEBHOOK_BODY_LIMIT and refused beyond (by
 * its declared length before reading), where grammY's reads any size. Read only once the secret matched.
 */
function limitedHttpAdapter(req: IncomingMessage, res: ServerResponse) {
  const secret = req.headers['x-telegram-bot-api-secret-token'];
  return {
    get update(): Promise<Update> {
      return readLimitedJson(req);
    },
    header: Array.isArray(secret) ? secret[0] : secret,
    end: () => void res.end(),
    respond: (json: string) => void res.writeHead(200, { 'content-type': 'application/json' }).end(json),
    unauthorized: () => void res.writeHead(401).end('secret token is wrong'),
  };
}

function readLimitedJson(req: IncomingMessage): Promise<Update> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > WEBHOOK_BODY_LIMIT) return reject(new BodyTooLarge());
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= WEBHOOK_BODY_LIMIT) return void chunks.push(chunk);
      req.off('data', onData).off('end', onEnd).pause();
      chunks.length = 0;
      reject(new BodyTooLarge());
    };
    const onEnd = () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Update);
      } catch (error) {
        reject(error);
      }
    };
    req.on('data', onData).once('end', onEnd).once('error', reject);
  });
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeGracefully(server: Server, inFlight: ReadonlySet<ServerResponse>, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const deadline = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close(() => {
      clearTimeout(deadline);
      resolve();
    });
    // Keep-alive sockets would hold close() open until they time out: idle ones go now, busy ones after their answer.
    for (const res of inFlight) if (!res.headersSent) res.setHeader('connection', 'close');
    server.closeIdleConnections();
  });
}
