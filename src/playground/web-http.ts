/** The playground's HTTP plumbing: its error, JSON and Server-Sent Events replies, bounded request bodies. */
import type { IncomingMessage, ServerResponse } from 'node:http';

const MAX_JSON_BYTES = 64 * 1024;

/** A request the page got wrong (or that is too big): its status and a message the page shows. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function eventText(event: string, json: string): string {
  return `event: ${event}\ndata: ${json}\n\n`;
}

export function writeEvent(res: ServerResponse, event: string, data: unknown): void {
  res.write(eventText(event, JSON.stringify(data)));
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const data = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(data),
    'cache-control': 'no-store',
  });
  res.end(data);
}

/**
 * The whole body, or 413 once it passes `limit`. The rest of an oversized body is read and dropped rather than cut
 * off, so that the client gets to see the 413.
 */
export async function readBody(req: IncomingMessage, limit: number, what: string): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  const chunks: Buffer[] = [];
  let size = 0;
  let over = Number.isFinite(declared) && declared > limit;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.byteLength;
    if (size > limit) over = true;
    if (!over) chunks.push(buffer);
  }
  if (over) throw new HttpProblem(413, `Too large: ${what}`);
  return Buffer.concat(chunks);
}

export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const body = await readBody(req, MAX_JSON_BYTES, `${MAX_JSON_BYTES} bytes of JSON`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpProblem(400, 'Expected a JSON body');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new HttpProblem(400, 'Expected a JSON object');
  }
  return parsed as Record<string, unknown>;
}
